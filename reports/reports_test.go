package reports

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *Report {
	return &Report{
		Schema: Schema, Tool: Tool{Name: "paycert certify", Version: "test"}, Signature: Unsigned, Status: StatusComplete, Probe: "ref:", Seed: 7,
		Tests: []Result{
			{ID: "EMV-ONL-001", Suite: "emv", Title: "no TC", Requirement: "A cloud card MUST NOT return a TC.", Requirements: []string{"SEED-Q3"}, Verdict: Pass, Duration: time.Millisecond},
			{ID: "EMV-EC-001", Suite: "emv", Title: "no 9F74", Requirement: "A cloud card MUST NOT return 9F74.", Verdict: Fail, Message: "9F74 present\nmore detail", Evidence: []Evidence{{"apdu", "C: 80A8 R: 9000"}}},
			{ID: "TOK-TTL-001", Suite: "token", Title: "expiry", Requirement: "R", Verdict: NotApplicable, Message: "no test clock"},
			{ID: "KEY-EXH-001", Suite: "keymgmt", Title: "exhaustive", Requirement: "R", Verdict: Error, Message: "stalled"},
			{ID: "EMV-SEL-001", Suite: "emv", Title: "sel", Requirement: "R", Verdict: Skipped},
		},
		Traceability: []Trace{
			{ID: "SEED-Q3", Cases: []TraceCase{{ID: "EMV-ONL-001"}}},
			{ID: "SEED-Q3 no offline e-cash", Cases: []TraceCase{{ID: "EMV-ONL-001"}, {ID: "EMV-EC-001"}}},
			{ID: "SEED-Q6 limited-use keys", Cases: []TraceCase{{ID: "TOK-TTL-001"}, {ID: "TOK-OTHER-001"}}},
			{ID: "PCI PIN 18-3", Cases: []TraceCase{{ID: "EMV-ONL-001"}, {ID: "KEY-EXH-001"}}},
			{ID: "PCI DSS v4.0.1 3.3.1"},
		},
	}
}

func TestTraceability(t *testing.T) {
	r := sample()
	r.Recount()
	want := []string{Satisfied, NotSatisfied, NotTested, NotTested, NotCovered}
	for i, tr := range r.Traceability {
		if tr.Status != want[i] {
			t.Errorf("%s: status %s, want %s (%+v)", tr.ID, tr.Status, want[i], tr.Cases)
		}
	}
	if v := r.Traceability[2].Cases[1].Verdict; v != NotRun {
		t.Errorf("a test case the run did not include has verdict %q", v)
	}
	if got := r.TraceCounts(); got[NotTested] != 2 || got[Satisfied] != 1 {
		t.Errorf("counts %v", got)
	}
}

func TestRecountAndExitCode(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Report)
		want   int
	}{
		{"a failure wins", func(r *Report) {}, 1},
		{"errors only", func(r *Report) { r.Tests[1].Verdict = Pass }, 3},
		{"all pass", func(r *Report) { r.Tests[1].Verdict = Pass; r.Tests[3].Verdict = Pass }, 0},
		{"incomplete", func(r *Report) { r.Tests[1].Verdict = Pass; r.Tests[3].Verdict = Pass; r.Status = StatusIncomplete }, 3},
		{"a suite reached no verdict", func(r *Report) {
			r.Tests[1].Verdict = Pass
			r.Tests[3].Verdict = Pass
			r.Inconclusive = []string{"suite keymgmt: no test case reached a verdict"}
		}, 3},
	}
	outcomes := map[int]string{0: OutcomePass, 1: OutcomeFail, 3: OutcomeInconclusive}
	for _, tc := range tests {
		r := sample()
		tc.mutate(r)
		r.Recount()
		if got := r.ExitCode(); got != tc.want {
			t.Errorf("%s: exit %d, want %d (%+v)", tc.name, got, tc.want, r.Summary)
		}
		if r.Outcome != outcomes[tc.want] {
			t.Errorf("%s: outcome %q, want %q", tc.name, r.Outcome, outcomes[tc.want])
		}
	}
	r := sample()
	r.Recount()
	if r.Summary != (Summary{Total: 5, Pass: 1, Fail: 1, Error: 1, Skipped: 1, NotApplicable: 1}) {
		t.Errorf("summary %+v", r.Summary)
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	r := sample()
	if err := WriteAll(dir, r); err != nil {
		t.Fatal(err)
	}
	var back Report
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if err := json.Unmarshal(b, &back); err != nil || len(back.Tests) != 5 || back.Summary.Fail != 1 {
		t.Fatalf("report.json round trip: %v %+v", err, back.Summary)
	}
	x, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
	var js junitSuites
	if err := xml.Unmarshal(x, &js); err != nil {
		t.Fatal(err)
	}
	if js.Tests != 5 || js.Failures != 1 || js.Errors != 1 || len(js.Suites) != 3 || js.Outcome != OutcomeFail {
		t.Errorf("junit: %+v", js)
	}
	s, _ := os.ReadFile(filepath.Join(dir, "summary.txt"))
	for _, want := range []string{"EMV-EC-001", "FAIL", "MUST NOT return 9F74", "→ 9F74 present", "NOT-APPLICABLE", "1 passed, 1 failed, 1 errors, 1 not applicable, 1 skipped"} {
		if !strings.Contains(string(s), want) {
			t.Errorf("summary.txt lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(string(s), "EMV-SEL-001") {
		t.Error("summary.txt lists a skipped test")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("left %s", e.Name())
		}
	}
}

func TestWriteFileAtomicReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	for _, content := range []string{"one", "two"} {
		if err := WriteFileAtomic(p, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != content {
			t.Fatalf("content %q", b)
		}
	}
	if err := WriteFileAtomic(filepath.Join(t.TempDir(), "no", "such", "dir", "f"), nil); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func TestJournal(t *testing.T) {
	p := filepath.Join(t.TempDir(), "results.jsonl")
	j, err := OpenJournal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sample().Tests[:2] {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	b, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"EMV-EC-001"`) {
		t.Errorf("journal: %q", lines)
	}
}

// TestSummaryHeader checks the rendered header of summary.txt word for word
// (tablewriter would otherwise turn "Requirement IDs" into "REQUIREMENT I DS")
// and that the overall outcome leads.
func TestSummaryHeader(t *testing.T) {
	r := sample()
	r.Recount()
	s := Summarize(r)
	first, _, _ := strings.Cut(s, "\n")
	if !strings.HasPrefix(first, "FAIL — 5 test cases: 1 passed, 1 failed") || !strings.Contains(first, "5 requirements: 1 satisfied, 1 not satisfied, 2 not tested, 1 not covered") {
		t.Errorf("first line %q does not state the outcome with its counts", first)
	}
	for _, want := range []string{"Evidence (test case verdict)", "NOT-SATISFIED", "EMV-EC-001 fail", "no test case", "signature: unsigned"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	var header string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "Test case") {
			header = line
			break
		}
	}
	for _, col := range []string{"Test case", "Verdict", "Requirement", "Requirement IDs"} {
		if !strings.Contains(header, col) {
			t.Errorf("header %q lacks %q", header, col)
		}
	}
}

// TestJournalRefusesLinks: a results.jsonl planted as a symbolic link in the
// report directory is refused, and its target is left as it was.
func TestJournalRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "results.jsonl")
	if err := os.Symlink(victim, link); err != nil {
		t.Skip(err)
	}
	if j, err := OpenJournal(link); err == nil {
		j.Close()
		t.Fatal("OpenJournal wrote through a symbolic link")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep\n" {
		t.Errorf("the link's target was changed: %q", b)
	}
}
