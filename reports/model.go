// Package reports holds paycert's report model and its renderers.
//
// The model is independent of the test framework: a Report lists test
// results with verdicts, requirement IDs and evidence, says whether the
// run completed, what was tested with what (tool build, IUT identities,
// input digests) and traces every catalogued requirement to the test cases
// that evidence it. Renderers write report.json, junit.xml, summary.txt and
// report.html;
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
	Schema string `json:"schema"`
	Tool   Tool   `json:"tool"`
	Status string `json:"status"`
	// Outcome is the overall verdict (OutcomePass, OutcomeFail,
	// OutcomeInconclusive), derived by Recount.
	Outcome string   `json:"outcome"`
	Probe   string   `json:"probe"`
	IUT     IUT      `json:"iut"`
	Seed    int64    `json:"seed"`
	Suites  []string `json:"suites"`
	// LeftOut names the selected suites that did not run because the
	// probes offer no IUT of the kind they test, one line each.
	LeftOut []string `json:"leftOut,omitempty"`
	// Inconclusive gives, for each suite that ran but in which no test
	// case reached pass or fail, why the run vouches for nothing there.
	// A report with any is inconclusive (Outcome), never a pass.
	Inconclusive []string    `json:"inconclusive,omitempty"`
	LabelFilter  string      `json:"labelFilter,omitempty"`
	Start        time.Time   `json:"start"`
	End          time.Time   `json:"end,omitzero"`
	Summary      Summary     `json:"summary"`
	Tests        []Result    `json:"tests"`
	Warnings     []string    `json:"warnings,omitempty"`
	Extensions   interface{} `json:"extensions,omitempty"`
	// Host is the name of the machine that ran the tests.
	Host string `json:"host"`
	// Inputs are the digests of what the run's verdicts rest on besides
	// the IUT: the ICS and the embedded vector files.
	Inputs Inputs `json:"inputs"`
	// Traceability maps every catalogued requirement to the test cases
	// that evidence it; Recount fills in their verdicts and its status.
	Traceability []Trace `json:"traceability"`
	// Signature states whether the report directory is signed: Unsigned
	// unless a signer sets it. certify sets it to the key and file of the
	// signature it writes at the end of the run ("ed25519 KEYID,
	// attestation.intoto.json"), or to "not signed: REASON" when it
	// refused to sign (a leak scan finding).
	Signature string `json:"signature"`
}

// Unsigned is the Signature of a report nobody signed.
const Unsigned = "unsigned"

// Inputs names the files a run read, each with its SHA-256.
type Inputs struct {
	// ICS is the implementation conformance statement as used, or nil
	// when the run had none.
	ICS *ICSInput `json:"ics,omitempty"`
	// Vectors are the embedded known-answer vector files.
	Vectors []FileDigest `json:"vectors"`
}

// ICSInput identifies the ICS of a run.
type ICSInput struct {
	Source string `json:"source"` // the name it was read under
	SHA256 string `json:"sha256"` // of the file as read
	// Copy is the file in the report directory holding it redacted (keys
	// as key check values, PANs masked), and CopySHA256 that file's digest.
	Copy       string `json:"copy"`
	CopySHA256 string `json:"copySha256"`
}

// FileDigest is a file's name and hex SHA-256.
type FileDigest struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Tool identifies the program that made the report. Revision, Modified
// and Sum come from the binary's build information; each is "unknown"
// when the build did not record it (go test, go run).
type Tool struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`  // VCS revision
	Modified  string `json:"modified,omitempty"`  // "true" when built from a modified work tree
	Sum       string `json:"sum,omitempty"`       // module checksum
	GoVersion string `json:"goVersion,omitempty"` // the Go toolchain
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
	// Exercised counts what the test case exercised, by kind (e.g. 14
	// cryptograms checked), so a reader sees what a verdict rests on.
	Exercised map[string]int `json:"exercised,omitempty"`
	Evidence  []Evidence     `json:"evidence,omitempty"`
}

// Evidence is one item of a test's transcript: an APDU exchange, an
// adapter call, or a note. Text is already masked.
type Evidence struct {
	Kind string `json:"kind"` // apdu, rpc, note
	Text string `json:"text"`
}

// Recount recomputes the summary and the outcome from the results.
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
	r.Outcome = r.outcome()
	r.retrace()
}

// Outcomes of a run, as Outcome states them.
const (
	OutcomePass         = "pass"
	OutcomeFail         = "fail"
	OutcomeInconclusive = "inconclusive"
)

// outcome is the run's overall verdict: fail when any test case failed;
// inconclusive when none failed but a test case ended in error, a suite
// that ran reached no verdict, or the run did not complete; pass otherwise.
func (r *Report) outcome() string {
	switch {
	case r.Summary.Fail > 0:
		return OutcomeFail
	case r.Summary.Error > 0 || r.Status != StatusComplete || len(r.Inconclusive) > 0:
		return OutcomeInconclusive
	}
	return OutcomePass
}

// ExitCode maps the report to certify's exit status: 0 when every
// applicable test passed, 1 when any failed, 3 when the run is
// inconclusive (see Outcome).
func (r *Report) ExitCode() int {
	switch r.outcome() {
	case OutcomeFail:
		return 1
	case OutcomeInconclusive:
		return 3
	}
	return 0
}
