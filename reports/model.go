// Package reports holds paycert's report model and its renderers.
//
// The model is independent of the test framework: a Report lists test
// results with verdicts, requirement IDs and evidence, and says whether the
// run completed. Renderers write report.json, junit.xml and summary.txt;
// every file is written atomically (a temporary file renamed into place), so
// a reader sees either the old or the new version, never half of one. A
// journal (results.jsonl) gets one line per finished test as the run goes.
package reports

import (
	"time"
)

// Schema names the JSON layout of Report.
const Schema = "paycert-report/1"

// Verdict is the outcome of one test case.
type Verdict string

// Verdicts. Error means the test could not reach a verdict (the IUT
// stalled, disconnected or answered something unparseable); NotApplicable
// means the implementation conformance statement or the IUT's declared
// capabilities exclude the test, with the reason in Message; Skipped means
// the run's filter left it out.
const (
	Pass          Verdict = "pass"
	Fail          Verdict = "fail"
	Error         Verdict = "error"
	Skipped       Verdict = "skipped"
	NotApplicable Verdict = "not-applicable"
)

// Status of a report.
const (
	StatusIncomplete = "incomplete"
	StatusComplete   = "complete"
)

// Report is the record of one certification run.
type Report struct {
	Schema      string      `json:"schema"`
	Tool        Tool        `json:"tool"`
	Status      string      `json:"status"`
	Probe       string      `json:"probe"`
	IUT         IUT         `json:"iut"`
	Seed        int64       `json:"seed"`
	Suites      []string    `json:"suites"`
	LabelFilter string      `json:"labelFilter,omitempty"`
	Start       time.Time   `json:"start"`
	End         time.Time   `json:"end,omitzero"`
	Summary     Summary     `json:"summary"`
	Tests       []Result    `json:"tests"`
	Warnings    []string    `json:"warnings,omitempty"`
	Extensions  interface{} `json:"extensions,omitempty"`
}

// Tool identifies the program that made the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// IUT identifies the implementation under test, as far as it was learned.
type IUT struct {
	Kind    string            `json:"kind"` // card, tsp, pinpad
	Vendor  string            `json:"vendor,omitempty"`
	Product string            `json:"product,omitempty"`
	Version string            `json:"version,omitempty"`
	ATR     string            `json:"atr,omitempty"`
	Details map[string]string `json:"details,omitempty"`
}

// Summary counts results by verdict.
type Summary struct {
	Total         int `json:"total"`
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	Error         int `json:"error"`
	Skipped       int `json:"skipped"`
	NotApplicable int `json:"notApplicable"`
}

// Result is the outcome of one test case.
type Result struct {
	ID           string        `json:"id"`
	Suite        string        `json:"suite"`
	Title        string        `json:"title"`
	Requirement  string        `json:"requirement"` // the RFC 2119 statement tested
	Requirements []string      `json:"requirements"`
	Verdict      Verdict       `json:"verdict"`
	Message      string        `json:"message,omitempty"`
	Duration     time.Duration `json:"durationNs"`
	Evidence     []Evidence    `json:"evidence,omitempty"`
}

// Evidence is one item of a test's transcript: an APDU exchange, an
// adapter call, or a note. Text is already masked.
type Evidence struct {
	Kind string `json:"kind"` // apdu, rpc, note
	Text string `json:"text"`
}

// Recount recomputes the summary from the results.
func (r *Report) Recount() {
	s := Summary{Total: len(r.Tests)}
	for _, t := range r.Tests {
		switch t.Verdict {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case Error:
			s.Error++
		case Skipped:
			s.Skipped++
		case NotApplicable:
			s.NotApplicable++
		}
	}
	r.Summary = s
}

// ExitCode maps the report to certify's exit status: 0 when every
// applicable test passed, 1 when any failed, 3 when none failed but some
// could not reach a verdict or the run did not complete.
func (r *Report) ExitCode() int {
	switch {
	case r.Summary.Fail > 0:
		return 1
	case r.Summary.Error > 0 || r.Status != StatusComplete:
		return 3
	}
	return 0
}
