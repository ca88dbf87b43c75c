package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// JSON renders the report as indented JSON.
func JSON(r *Report) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// WriteAll writes report.json, junit.xml and summary.txt into dir.
func WriteAll(dir string, r *Report) error {
	r.Recount()
	j, err := JSON(r)
	if err != nil {
		return fmt.Errorf("report.json: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "report.json"), j); err != nil {
		return err
	}
	x, err := JUnit(r)
	if err != nil {
		return fmt.Errorf("junit.xml: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "junit.xml"), x); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "summary.txt"), []byte(Summarize(r)))
}

// Journal appends one JSON line per finished test to a file, synced after
// every line, so that a run killed at any point leaves every finished test
// on disk.
type Journal struct {
	mu sync.Mutex
	f  *os.File
}

// OpenJournal creates (or truncates) the journal at path.
func OpenJournal(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return &Journal{f: f}, nil
}

// Append writes one result.
func (j *Journal) Append(r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return j.f.Sync()
}

// Close closes the journal.
func (j *Journal) Close() error { return j.f.Close() }

// Summarize renders the full verdict table, with each test's requirement
// statement and requirement IDs, and the totals, as plain text.
func Summarize(r *Report) string { return summarize(r, true) }

// Brief renders a compact verdict table (ID, verdict, title, reason) and the
// totals, for terminals.
func Brief(r *Report) string { return summarize(r, false) }

func summarize(r *Report, full bool) string {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "paycert %s — %s — %s\n", r.Tool.Version, strings.ToUpper(r.Outcome), r.Status)
	fmt.Fprintf(&buf, "probe: %s", r.Probe)
	if r.IUT.Product != "" {
		fmt.Fprintf(&buf, "  IUT: %s %s %s", r.IUT.Vendor, r.IUT.Product, r.IUT.Version)
	}
	fmt.Fprintf(&buf, "  seed: %d\n", r.Seed)
	header := []string{"Test case", "Verdict", "Requirement", "Requirement IDs"}
	if !full {
		header = []string{"Test case", "Verdict", "Title"}
	}
	t := tablewriter.NewTable(&buf,
		tablewriter.WithHeaderAutoFormat(tw.Off), // "Requirement IDs", not "REQUIREMENT I DS"
		tablewriter.WithHeader(header),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithMaxWidth(150),
	)
	for _, res := range r.Tests {
		if res.Verdict == Skipped {
			continue
		}
		req := res.Requirement
		if !full {
			req = res.Title
		}
		if res.Message != "" && res.Verdict != Pass {
			req += "\n→ " + firstLine(res.Message)
		}
		row := []string{res.ID, strings.ToUpper(string(res.Verdict)), req}
		if full {
			row = append(row, strings.Join(res.Requirements, "\n"))
		}
		t.Append(row)
	}
	t.Render()
	s := r.Summary
	fmt.Fprintf(&buf, "%d test cases: %d passed, %d failed, %d errors, %d not applicable, %d skipped\n",
		s.Total, s.Pass, s.Fail, s.Error, s.NotApplicable, s.Skipped)
	for _, w := range r.Inconclusive {
		fmt.Fprintf(&buf, "inconclusive: %s\n", w)
	}
	for _, w := range r.LeftOut {
		fmt.Fprintf(&buf, "left out: %s\n", w)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&buf, "warning: %s\n", w)
	}
	if r.Signature != "" {
		fmt.Fprintf(&buf, "signature: %s\n", r.Signature)
	}
	return buf.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string     `xml:"name,attr"`
	Classname string     `xml:"classname,attr"`
	Time      float64    `xml:"time,attr"`
	Failure   *junitMsg  `xml:"failure,omitempty"`
	Error     *junitMsg  `xml:"error,omitempty"`
	Skipped   *junitSkip `xml:"skipped,omitempty"`
	SystemOut string     `xml:"system-out,omitempty"`
}

type junitMsg struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

type junitSkip struct {
	Message string `xml:"message,attr"`
}

// JUnit renders the report as JUnit XML, one testsuite per paycert suite.
func JUnit(r *Report) ([]byte, error) {
	out := junitSuites{}
	idx := map[string]int{}
	for _, res := range r.Tests {
		i, ok := idx[res.Suite]
		if !ok {
			i = len(out.Suites)
			idx[res.Suite] = i
			out.Suites = append(out.Suites, junitSuite{Name: res.Suite})
		}
		s := &out.Suites[i]
		c := junitCase{Name: res.ID + " " + res.Title, Classname: "paycert." + res.Suite, Time: res.Duration.Seconds()}
		var ev strings.Builder
		for _, e := range res.Evidence {
			fmt.Fprintf(&ev, "[%s] %s\n", e.Kind, e.Text)
		}
		c.SystemOut = ev.String()
		switch res.Verdict {
		case Fail:
			c.Failure = &junitMsg{Message: firstLine(res.Message), Body: res.Message}
			s.Failures++
		case Error:
			c.Error = &junitMsg{Message: firstLine(res.Message), Body: res.Message}
			s.Errors++
		case Skipped, NotApplicable:
			c.Skipped = &junitSkip{Message: string(res.Verdict) + ": " + res.Message}
			s.Skipped++
		}
		s.Tests++
		s.Time += c.Time
		s.Cases = append(s.Cases, c)
		out.Tests++
	}
	for _, s := range out.Suites {
		out.Failures += s.Failures
		out.Errors += s.Errors
	}
	b, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}
