package reports

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// WriteAll recounts the report and writes report.json, junit.xml,
// summary.txt and report.html into dir, each atomically.
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
	if err := WriteFileAtomic(filepath.Join(dir, "summary.txt"), []byte(Summarize(r))); err != nil {
		return err
	}
	h, err := HTML(r)
	if err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, "report.html"), h)
}

// Journal appends one JSON line per finished test to a file, synced after
// every line, so that a run killed at any point leaves every finished test
// on disk.
type Journal struct {
	mu sync.Mutex
	f  *os.File
}

// OpenJournal creates (or truncates) the journal at path.
//
// It never writes through a link: a path that exists and is not a regular
// file (a symbolic link planted in the report directory, a FIFO, a device)
// is refused, and the file is opened without following links.
func OpenJournal(path string) (*Journal, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("journal: refusing to write %s: it exists and is not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND|noFollow, 0o644)
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

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	// Outcome is the run's overall verdict (Report.Outcome).
	Outcome  string       `xml:"outcome,attr"`
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

// JUnit renders the report as JUnit XML, one testsuite per paycert suite;
// the testsuites element carries the run's overall verdict as its outcome
// attribute.
func JUnit(r *Report) ([]byte, error) {
	out := junitSuites{Name: "paycert", Outcome: r.Outcome}
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
