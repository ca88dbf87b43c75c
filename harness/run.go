package harness

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/paycert/paycert/reports"
	"github.com/paycert/paycert/requirements"
)

// Config selects and configures a run.
type Config struct {
	Suites      []string  // suites to run; empty means all
	LabelFilter string    // an extra Ginkgo label filter
	OutDir      string    // where the reports go; created if missing
	ToolVersion string    // for the report
	Progress    io.Writer // a line per finished test; nil for none
	GinkgoLog   io.Writer // Ginkgo's own console output; nil discards it
	// Signature is the report's signature status from the first write
	// on (reports.Report.Signature; empty means reports.Unsigned): the
	// caller signs the directory after Run returns.
	Signature string
}

// ErrConfig is wrapped by errors in the run configuration.
var ErrConfig = errors.New("configuration error")

// Filter builds the label filter for the chosen suites and extra filter and
// checks it, so that a bad filter is reported before anything runs.
func Filter(suites []string, extra string) (string, error) {
	known := Suites()
	var parts []string
	for _, s := range suites {
		ok := false
		for _, k := range known {
			ok = ok || k == s
		}
		if !ok {
			return "", fmt.Errorf("%w: unknown suite %q (known: %s)", ErrConfig, s, strings.Join(known, ", "))
		}
		parts = append(parts, "suite:"+s)
	}
	f := strings.Join(parts, " || ")
	if extra = strings.TrimSpace(extra); extra != "" {
		if _, err := types.ParseLabelFilter(extra); err != nil {
			return "", fmt.Errorf("%w: label filter %q: %s", ErrConfig, extra, plainError(err))
		}
		if f != "" {
			f = "(" + f + ") && (" + extra + ")"
		} else {
			f = extra
		}
	}
	if _, err := types.ParseLabelFilter(f); err != nil {
		return "", fmt.Errorf("%w: label filter %q: %s", ErrConfig, f, plainError(err))
	}
	return f, nil
}

// plainError renders a Ginkgo error (a coloured heading, a caret under the
// offending character, a link) as one plain line: heading and message.
func plainError(err error) string {
	var ge types.GinkgoError
	if !errors.As(err, &ge) {
		return err.Error()
	}
	msg := strings.Join(strings.Fields(ansi.ReplaceAllString(ge.Message, "")), " ")
	return strings.TrimSpace(ansi.ReplaceAllString(ge.Heading, "") + ": " + msg)
}

// ansi matches terminal colour escape sequences and Ginkgo's colour
// markup ({{red}}, {{/}}).
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m|\\{\\{/?[a-z-]*\\}\\}")

// ErrNoIUT wraps ErrConfig when no selected suite has its IUT among the
// probes.
var ErrNoIUT = fmt.Errorf("%w: no IUT for the selected suites", ErrConfig)

// plan is what a run will execute: the label filter for the suites that
// have their IUT among the probes, and the suites left out for want of one.
type plan struct {
	filter  string
	suites  []string
	leftOut []string // one line per suite left out, with the reason
}

// planRun selects the test cases of cfg for a session offering the given
// kinds of IUT. A suite none of whose test cases' IUT kinds the session
// offers is left out (and said so once, not per test case); a selection
// that holds no test case is a configuration error naming the filter.
func planRun(cfg Config, s *Session) (plan, error) {
	filter, err := Filter(cfg.Suites, cfg.LabelFilter)
	if err != nil {
		return plan{}, err
	}
	lf, err := types.ParseLabelFilter(filter)
	if err != nil {
		return plan{}, fmt.Errorf("%w: label filter %q: %v", ErrConfig, filter, err)
	}
	suites := cfg.Suites
	if len(suites) == 0 {
		suites = Suites()
	}
	needs := map[string][]string{} // suite -> kinds of the selected test cases
	for _, tc := range Catalog() {
		if slices.Contains(suites, tc.Suite) && lf(labelsOf(tc)) && !slices.Contains(needs[tc.Suite], tc.Needs) {
			needs[tc.Suite] = append(needs[tc.Suite], tc.Needs)
		}
	}
	if len(needs) == 0 {
		what := "suites " + strings.Join(suites, ",")
		if cfg.LabelFilter != "" {
			what = fmt.Sprintf("label filter %q", cfg.LabelFilter)
		}
		return plan{}, fmt.Errorf("%w: the %s selects no test case (certify list shows them)", ErrConfig, what)
	}
	var p plan
	for _, suite := range suites {
		kinds := needs[suite]
		if len(kinds) == 0 {
			continue
		}
		if slices.ContainsFunc(kinds, s.has) {
			p.suites = append(p.suites, suite)
			continue
		}
		p.leftOut = append(p.leftOut, fmt.Sprintf("suite %s: the probes offer no %s IUT", suite, strings.Join(kinds, " or ")))
	}
	if len(p.suites) == 0 {
		return plan{}, fmt.Errorf("%w: %s", ErrNoIUT, strings.Join(p.leftOut, "; "))
	}
	if p.filter, err = Filter(p.suites, cfg.LabelFilter); err != nil {
		return plan{}, err
	}
	return p, nil
}

// run is the state of the run in progress, fed by the reporter node.
type run struct {
	mu        sync.Mutex
	report    *reports.Report
	journal   *reports.Journal
	dir       string
	progress  io.Writer
	bar       *progress
	interrupt bool
	writeErr  error
	masker    func(string) string
	selected  func(labels []string) bool // the run's label filter
}

var (
	runMu  sync.Mutex
	active *run
)

var _ = ginkgo.ReportAfterEach(func(sr ginkgo.SpecReport) {
	runMu.Lock()
	r := active
	runMu.Unlock()
	if r == nil || sr.LeafNodeType != types.NodeTypeIt {
		return
	}
	res, ran := resultOf(sr, r.masker)
	r.mu.Lock()
	if sr.State.Is(types.SpecStateInterrupted | types.SpecStateAborted) {
		r.interrupt = true
	}
	interrupted := r.interrupt
	r.mu.Unlock()
	switch {
	case ran:
	case interrupted && r.selected(sr.Labels()):
		res.Verdict, res.Message = reports.Skipped, "not run: the run was interrupted"
	default:
		return // left out by the run's suite selection or label filter
	}
	r.add(res)
})

func specID(sr ginkgo.SpecReport) string {
	for _, l := range sr.Labels() {
		if id, ok := strings.CutPrefix(l, "tc:"); ok {
			return id
		}
	}
	return ""
}

// resultOf turns a spec report into a result; ran is false for a spec whose
// body never started (filtered out, or not reached).
func resultOf(sr ginkgo.SpecReport, maskText func(string) string) (res reports.Result, ran bool) {
	id := specID(sr)
	tc, _ := Lookup(id)
	res = reports.Result{
		ID: id, Suite: tc.Suite, Title: tc.Title, Requirement: tc.Requirement,
		Requirements: tc.Requirements, Duration: sr.RunTime,
	}
	rec := takeRecord(id)
	ran = rec != nil
	if rec == nil {
		rec = &record{}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	res.Evidence = rec.evidence
	res.Exercised = rec.exercised
	msg := maskText(sr.Failure.Message)
	switch {
	case rec.verdict == reports.NotApplicable:
		res.Verdict, res.Message = reports.NotApplicable, rec.message
	case sr.State == types.SpecStatePassed:
		res.Verdict = reports.Pass
	case sr.State == types.SpecStateSkipped || sr.State == types.SpecStatePending:
		res.Verdict, res.Message = reports.Skipped, "not selected by the run's filter"
		if msg != "" {
			res.Message = msg
		}
	case rec.verdict == reports.Error:
		res.Verdict, res.Message = reports.Error, rec.message
	case sr.State == types.SpecStateFailed:
		res.Verdict, res.Message = reports.Fail, msg
	case sr.State == types.SpecStateTimedout:
		res.Verdict, res.Message = reports.Error, "the test case timed out: the IUT stalled or is too slow\n"+msg
	default: // panicked, interrupted, aborted
		res.Verdict, res.Message = reports.Error, sr.State.String()+": "+msg
	}
	return res, ran
}

func (r *run) add(res reports.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res.ID == "" {
		return
	}
	r.report.Tests = append(r.report.Tests, res)
	if res.Verdict != reports.Skipped {
		if err := r.journal.Append(res); err != nil && r.writeErr == nil {
			r.writeErr = err
		}
		if r.progress != nil {
			r.bar.done()
			fmt.Fprintf(r.progress, "%-15s %-14s %s\n", res.ID, strings.ToUpper(string(res.Verdict)), res.Title)
		}
		// Keep an up-to-date report on disk, marked incomplete, so that a
		// run killed at any point leaves one.
		if err := reports.WriteAll(r.dir, r.report); err != nil && r.writeErr == nil {
			r.writeErr = err
		}
	}
}

type testingT struct{ failed bool }

func (t *testingT) Fail() { t.failed = true }

// Run executes the selected suites against the session's IUTs and writes
// the reports into cfg.OutDir. It returns the final report, marked
// incomplete if the run was interrupted. RunSpecs may be called once per
// process, so Run may be too.
func Run(s *Session, cfg Config, start time.Time) (*reports.Report, error) {
	sc, rc := ginkgo.GinkgoConfiguration()
	rc.NoColor = true
	rc.Succinct = true
	log := cfg.GinkgoLog
	if log == nil {
		log = io.Discard
	}
	formatter.ColorableStdOut = log
	formatter.ColorableStdErr = log
	return execute(&testingT{}, s, cfg, sc, rc, start)
}

func execute(t ginkgo.GinkgoTestingT, s *Session, cfg Config, sc types.SuiteConfig, rc types.ReporterConfig, start time.Time) (*reports.Report, error) {
	p, err := planRun(cfg, s)
	if err != nil {
		return nil, err
	}
	sc.LabelFilter = p.filter
	selected, err := types.ParseLabelFilter(p.filter)
	if err != nil {
		return nil, fmt.Errorf("%w: label filter %q: %v", ErrConfig, p.filter, err)
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: report directory: %v", ErrConfig, err)
	}
	journal, err := reports.OpenJournal(filepath.Join(cfg.OutDir, "results.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	defer journal.Close()
	inputs, err := inputsOf(s, cfg.OutDir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	rep := &reports.Report{
		Schema: reports.Schema, Tool: toolOf(cfg.ToolVersion), Host: hostName(), Signature: signatureOf(cfg),
		Status: reports.StatusIncomplete, Probe: s.ProbeURI(), IUT: s.IUT, Seed: s.Seed, Inputs: inputs,
		Suites: p.suites, LeftOut: p.leftOut, LabelFilter: cfg.LabelFilter, Start: start.UTC(), Tests: []reports.Result{},
		Warnings:     slices.Clone(s.Notes),
		Traceability: traceability(requirements.Embedded(), Catalog()),
	}
	if err := reports.WriteAll(cfg.OutDir, rep); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	r := &run{report: rep, journal: journal, dir: cfg.OutDir, progress: cfg.Progress, bar: newProgress(cfg.Progress), masker: s.Masker.Text, selected: selected}
	s.learnICSSecrets()
	setCurrent(s)
	runMu.Lock()
	active = r
	runMu.Unlock()
	defer func() {
		runMu.Lock()
		active = nil
		runMu.Unlock()
		setCurrent(nil)
	}()

	sc.RandomSeed = s.Seed
	sc.Timeout = 2 * time.Hour
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(t, "paycert", sc, rc)

	r.mu.Lock()
	defer r.mu.Unlock()
	rep.End = time.Now().UTC()
	rep.IUT = s.IUT
	sort.SliceStable(rep.Tests, func(i, j int) bool { return rep.Tests[i].ID < rep.Tests[j].ID })
	rep.Status = reports.StatusComplete
	if r.interrupt {
		rep.Status = reports.StatusIncomplete
		rep.Warnings = append(rep.Warnings, "the run was interrupted; results after the interruption are missing")
	}
	rep.Inconclusive = inconclusive(rep)
	if err := reports.WriteAll(cfg.OutDir, rep); err != nil {
		return rep, err
	}
	return rep, r.writeErr
}

// inconclusive lists, for each suite of the report in which no test case
// reached pass or fail, why the run cannot vouch for that IUT.
func inconclusive(rep *reports.Report) []string {
	var out []string
	for _, suite := range rep.Suites {
		counts := map[reports.Verdict]int{}
		for _, res := range rep.Tests {
			if res.Suite == suite {
				counts[res.Verdict]++
			}
		}
		if counts[reports.Pass]+counts[reports.Fail] > 0 {
			continue
		}
		out = append(out, fmt.Sprintf("suite %s: no test case reached a verdict (%d not applicable, %d errors, %d skipped): the IUT was probed but nothing it declares was tested",
			suite, counts[reports.NotApplicable], counts[reports.Error], counts[reports.Skipped]))
	}
	return out
}

// Unreached writes into cfg.OutDir the report of a run that could not start
// (the IUT was unreachable, the run was interrupted while opening it, the
// configuration was refused): status incomplete, the reason, and every test
// case that cfg selects, each with verdict error and the reason, so that a
// CI system shows what was not tested and why.
func Unreached(cfg Config, probe string, seed int64, start time.Time, reason string) (*reports.Report, error) {
	rep := &reports.Report{
		Schema: reports.Schema, Tool: toolOf(cfg.ToolVersion), Host: hostName(), Signature: signatureOf(cfg),
		Status: reports.StatusIncomplete, Probe: probe, Seed: seed, Suites: cfg.Suites,
		LabelFilter: cfg.LabelFilter, Start: start.UTC(), End: time.Now().UTC(), Tests: []reports.Result{},
		Warnings:     []string{"the run did not start: " + reason},
		Traceability: traceability(requirements.Embedded(), Catalog()),
	}
	if filter, err := Filter(cfg.Suites, cfg.LabelFilter); err == nil {
		if lf, err := types.ParseLabelFilter(filter); err == nil {
			for _, tc := range Catalog() {
				if lf(labelsOf(tc)) {
					rep.Tests = append(rep.Tests, reports.Result{
						ID: tc.ID, Suite: tc.Suite, Title: tc.Title, Requirement: tc.Requirement,
						Requirements: tc.Requirements, Verdict: reports.Error, Message: "not run: " + reason,
					})
				}
			}
		}
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return rep, fmt.Errorf("report directory: %w", err)
	}
	journal, err := reports.OpenJournal(filepath.Join(cfg.OutDir, "results.jsonl"))
	if err != nil {
		return rep, err
	}
	defer journal.Close()
	for _, res := range rep.Tests {
		if err := journal.Append(res); err != nil {
			return rep, err
		}
	}
	return rep, reports.WriteAll(cfg.OutDir, rep)
}

// signatureOf is the report's signature status for cfg.
func signatureOf(cfg Config) string {
	if cfg.Signature == "" {
		return reports.Unsigned
	}
	return cfg.Signature
}
