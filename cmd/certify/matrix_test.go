package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/iut"
	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/probes/ref"
	"github.com/paycert/paycert/probes/target"
	"github.com/paycert/paycert/reports"
)

// certifyRun runs the certify binary (this test binary, through PATH) and
// returns its report and exit code.
func certifyRun(t *testing.T, args ...string) (*reports.Report, int, string) {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("certify", append([]string{"run", "--out", out, "--seed", "7"}, args...)...)
	stdout, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("certify %v: %v", args, err)
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatalf("certify %v (exit %d): no report: %v\n%s", args, code, err, stdout)
	}
	var r reports.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	return &r, code, string(stdout)
}

func verdicts(r *reports.Report, v reports.Verdict) []string {
	var ids []string
	for _, res := range r.Tests {
		if res.Verdict == v {
			ids = append(ids, res.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// verdictsByID maps each test case of a report to its verdict.
func verdictsByID(r *reports.Report) map[string]reports.Verdict {
	m := map[string]reports.Verdict{}
	for _, res := range r.Tests {
		m[res.ID] = res.Verdict
	}
	return m
}

// checkFault asserts that a run against a faulted IUT is exactly what the
// fault declares for the card profile (iut.Fault.MustFailFor; "" is the
// default): those test cases fail, every other test case that ran gets
// the verdict it got on the clean reference (clean), nothing ends in
// error, and certify exits 1 with a complete report.
func checkFault(t *testing.T, f iut.Fault, profile string, clean map[string]reports.Verdict, r *reports.Report, code int, out string) {
	t.Helper()
	want := slices.Clone(f.MustFailFor(profile))
	sort.Strings(want)
	if got := verdicts(r, reports.Fail); !slices.Equal(got, want) {
		t.Errorf("fault %s: failed %v, want exactly %v\n%s", f.Name, got, want, out)
	}
	for _, res := range r.Tests {
		if slices.Contains(want, res.ID) {
			continue
		}
		if v, ok := clean[res.ID]; !ok || res.Verdict != v {
			t.Errorf("fault %s: %s is %s, on the clean reference %s: a fault must change only the verdicts it declares (%s)", f.Name, res.ID, res.Verdict, v, res.Message)
		}
	}
	if code != exitFail || r.Status != reports.StatusComplete {
		t.Errorf("fault %s: exit %d status %s, want 1 and complete", f.Name, code, r.Status)
	}
}

// TestFaultMatrix runs every reference fault through the certify binary
// and checks that it changes exactly the verdicts it names (checkFault). A
// test case that no fault kills fails the matrix: it has not been shown
// able to fail.
func TestFaultMatrix(t *testing.T) {
	r, code, out := certifyRun(t)
	if code != 0 || r.Summary.Pass != r.Summary.Total || r.Summary.Total == 0 {
		t.Fatalf("clean reference run: exit %d, %+v\n%s", code, r.Summary, out)
	}
	clean := verdictsByID(r)
	killed := map[string]bool{}
	for _, f := range target.Faults() {
		if f.Hostile {
			continue // TestHostile holds it to its own rule
		}
		t.Run(f.IUT+"/"+f.Name, func(t *testing.T) {
			if f.IUT == iut.HSM {
				needSoftHSM(t) // ref: has no HSM without SoftHSM2
			}
			args := []string{"--probe", f.Probe()}
			if f.LabelFilter != "" {
				args = append(args, "--label-filter", f.LabelFilter)
			}
			if len(f.Suites) > 0 {
				args = append(args, "--suite", strings.Join(f.Suites, ","))
			}
			r, code, out := certifyRun(t, args...)
			checkFault(t, f, "", clean, r, code, out)
		})
		for _, id := range f.Killed() {
			if _, ok := harness.Lookup(id); !ok {
				t.Errorf("fault %s names unknown test case %s", f.Name, id)
			}
			killed[id] = true
		}
	}
	for _, tc := range harness.Catalog() {
		if !killed[tc.ID] {
			t.Errorf("no reference fault makes %s fail: it has not been shown able to fail", tc.ID)
		}
	}
	for _, p := range card.Profiles()[1:] {
		t.Run("profile/"+p, func(t *testing.T) { profileMatrix(t, p) })
	}
}

// profileMatrix runs the emv suite against the reference card as profile
// p, with p's ICS (the one `certify ics --profile p` prints): clean, no
// test case may fail or end in error and some must pass (the ICS may make
// some not applicable, with the reason); then under every card fault that
// applies to p, exactly the test cases the fault declares for p fail.
func profileMatrix(t *testing.T, p string) {
	uri := ref.URI(p, "")
	r, code, out := certifyRun(t, "--probe", uri, "--suite", "emv")
	if code != 0 || r.Summary.Fail != 0 || r.Summary.Error != 0 || r.Summary.Pass == 0 {
		t.Fatalf("clean %s: exit %d, %+v\n%s", uri, code, r.Summary, out)
	}
	clean := verdictsByID(r)
	for _, f := range card.Faults {
		if !f.AppliesTo(p) || !slices.Contains(f.Suites, "emv") {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			r, code, out := certifyRun(t, "--probe", ref.URI(p, f.Name), "--suite", "emv")
			checkFault(t, f, p, clean, r, code, out)
		})
	}
}
