package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Summarize renders summary.txt: the overall verdict with its counts on the
// first line, what was tested, the requirement table (each requirement's
// status and the test cases that evidence it), then the full verdict table
// with each test's requirement statement and requirement IDs, as plain text.
func Summarize(r *Report) string { return summarize(r, true) }

// Brief renders the overall verdict line and a compact verdict table (ID,
// verdict, title, reason), for terminals.
func Brief(r *Report) string { return summarize(r, false) }

// Headline is the overall verdict and its counts, one line, as every
// format states it first.
func Headline(r *Report) string {
	s := r.Summary
	line := fmt.Sprintf("%s — %d test cases: %d passed, %d failed, %d errors, %d not applicable, %d skipped",
		strings.ToUpper(r.Outcome), s.Total, s.Pass, s.Fail, s.Error, s.NotApplicable, s.Skipped)
	if len(r.Traceability) > 0 {
		n := r.TraceCounts()
		line += fmt.Sprintf("; %d requirements: %d satisfied, %d not satisfied, %d not tested, %d not covered",
			len(r.Traceability), n[Satisfied], n[NotSatisfied], n[NotTested], n[NotCovered])
	}
	return line
}

func summarize(r *Report, full bool) string {
	var buf bytes.Buffer
	fmt.Fprintln(&buf, Headline(r))
	fmt.Fprintf(&buf, "paycert %s (revision %s) — report %s — signature: %s\n", r.Tool.Version, orUnknown(r.Tool.Revision), r.Status, orUnknown(r.Signature))
	fmt.Fprintf(&buf, "probe: %s", r.Probe)
	if r.IUT.Product != "" {
		fmt.Fprintf(&buf, "  IUT: %s %s %s", r.IUT.Vendor, r.IUT.Product, r.IUT.Version)
	}
	fmt.Fprintf(&buf, "  seed: %d\n", r.Seed)
	if full && len(r.Traceability) > 0 {
		requirementTable(&buf, r)
	}
	header := []string{"Test case", "Verdict", "Requirement", "Requirement IDs"}
	if !full {
		header = []string{"Test case", "Verdict", "Title"}
	}
	t := newTable(&buf, header)
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
	return buf.String()
}

// requirementTable renders the traceability matrix: requirement, status,
// and the test cases with their verdicts.
func requirementTable(w io.Writer, r *Report) {
	t := newTable(w, []string{"Requirement", "Status", "Evidence (test case verdict)"})
	for _, tr := range r.Traceability {
		var cases []string
		for _, c := range tr.Cases {
			cases = append(cases, c.ID+" "+string(c.Verdict))
		}
		if len(cases) == 0 {
			cases = []string{"no test case"}
		}
		t.Append([]string{tr.ID, strings.ToUpper(tr.Status), strings.Join(cases, ", ")})
	}
	t.Render()
}

func newTable(w io.Writer, header []string) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off), // "Requirement IDs", not "REQUIREMENT I DS"
		tablewriter.WithHeader(header),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithMaxWidth(150),
	)
}

// orUnknown returns s, or "unknown" when it is empty.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
