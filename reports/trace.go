package reports

// Trace is one row of the traceability matrix: a catalogued requirement,
// the test cases that cite it, their verdicts in this run, and what the
// run says of the requirement.
type Trace struct {
	ID         string      `json:"id"`
	Document   string      `json:"document,omitempty"`
	Clause     string      `json:"clause,omitempty"`
	Paraphrase string      `json:"paraphrase,omitempty"`
	Cases      []TraceCase `json:"cases"`
	Status     string      `json:"status"`
}

// TraceCase is a test case that evidences a requirement, with its verdict;
// NotRun when the run did not include it.
type TraceCase struct {
	ID      string  `json:"id"`
	Verdict Verdict `json:"verdict"`
}

// NotRun is a TraceCase's verdict for a test case the run did not include.
const NotRun Verdict = "not-run"

// Statuses of a requirement in the traceability matrix.
const (
	// Satisfied: a test case citing it passed and none failed or ended
	// in error.
	Satisfied = "satisfied"
	// NotSatisfied: a test case citing it failed.
	NotSatisfied = "not-satisfied"
	// NotTested: test cases cite it, but in this run none passed or
	// failed, or one ended in error, so the run vouches for nothing.
	NotTested = "not-tested"
	// NotCovered: no test case of this tool cites it.
	NotCovered = "not-covered"
)

// TraceStatuses lists the statuses in the order reports count them.
var TraceStatuses = []string{Satisfied, NotSatisfied, NotTested, NotCovered}

// retrace sets every trace case's verdict from the results and every
// requirement's status from its cases' verdicts.
func (r *Report) retrace() {
	verdicts := make(map[string]Verdict, len(r.Tests))
	for _, t := range r.Tests {
		verdicts[t.ID] = t.Verdict
	}
	for i := range r.Traceability {
		tr := &r.Traceability[i]
		counts := map[Verdict]int{}
		for j := range tr.Cases {
			v, ok := verdicts[tr.Cases[j].ID]
			if !ok {
				v = NotRun
			}
			tr.Cases[j].Verdict = v
			counts[v]++
		}
		switch {
		case len(tr.Cases) == 0:
			tr.Status = NotCovered
		case counts[Fail] > 0:
			tr.Status = NotSatisfied
		case counts[Pass] > 0 && counts[Error] == 0:
			tr.Status = Satisfied
		default:
			tr.Status = NotTested
		}
	}
}

// TraceCounts counts the requirements of the matrix by status.
func (r *Report) TraceCounts() map[string]int {
	n := map[string]int{}
	for _, tr := range r.Traceability {
		n[tr.Status]++
	}
	return n
}
