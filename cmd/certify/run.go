package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/probes"
	_ "github.com/paycert/paycert/probes/ref"
	"github.com/paycert/paycert/reports"
	_ "github.com/paycert/paycert/suites/emv"
)

type runFlags struct {
	probe   string
	suites  []string
	filter  string
	out     string
	seed    int64
	verbose bool
}

func newRunCmd() *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "run",
		Short: "Run the conformance suites against an IUT and write a report",
		Long: `Run the conformance suites against an implementation under test.

Probe URIs:
` + indent(probes.Schemes) + `

Exit status: 0 all applicable tests passed, 1 a test failed, 2 usage or
configuration error, 3 the IUT was unreachable or a test ended in error.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return doRun(c, f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.probe, "probe", "ref:", "the IUT to test (see above)")
	fl.StringSliceVar(&f.suites, "suite", nil, "suites to run, comma-separated (default: all that apply to the probe)")
	fl.StringVar(&f.filter, "label-filter", "", "Ginkgo label filter, e.g. 'tc:EMV-ONL-001 || req:SEED-Q3-online-only'")
	fl.StringVar(&f.out, "out", "", "report directory (default: a new directory under ./certify-reports/)")
	fl.Int64Var(&f.seed, "seed", 0, "seed for test order and random data (default: from the clock; printed in the report)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "also print Ginkgo's own output")
	return c
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func doRun(c *cobra.Command, f runFlags) error {
	start := time.Now()
	if f.seed == 0 {
		f.seed = start.UnixNano() % 1_000_000_000
	}
	if _, err := harness.Filter(f.suites, f.filter); err != nil {
		return &exitError{exitUsage, err}
	}
	if f.out == "" {
		f.out = filepath.Join("certify-reports", start.UTC().Format("20060102T150405Z")+fmt.Sprintf("-%d", os.Getpid()))
	}
	ctx, cancel := context.WithTimeout(c.Context(), 2*time.Minute)
	defer cancel()
	card, err := probes.Open(ctx, f.probe)
	if err != nil {
		if errors.Is(err, probes.ErrUsage) {
			return &exitError{exitUsage, err}
		}
		return &exitError{exitIUT, fmt.Errorf("IUT unreachable: %w", err)}
	}
	defer card.Close()
	s := harness.NewSession(card.URI(), card, f.seed)
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	atr, err := card.Reset(rctx)
	rcancel()
	if err != nil {
		return &exitError{exitIUT, fmt.Errorf("IUT unreachable: reset: %w", err)}
	}
	s.IUT = reports.IUT{Kind: "card", ATR: fmt.Sprintf("%X", atr)}
	out := c.OutOrStdout()
	fmt.Fprintf(out, "paycert %s: testing %s (ATR %X), seed %d\n", version(), card.URI(), atr, f.seed)
	cfg := harness.Config{Suites: f.suites, LabelFilter: f.filter, OutDir: f.out, ToolVersion: version(), Progress: out}
	if f.verbose {
		cfg.GinkgoLog = c.ErrOrStderr()
	}
	rep, err := harness.Run(s, cfg, start)
	if err != nil {
		if errors.Is(err, harness.ErrConfig) {
			return &exitError{exitUsage, err}
		}
		return &exitError{exitIUT, err}
	}
	fmt.Fprintln(out)
	fmt.Fprint(out, reports.Brief(rep))
	fmt.Fprintf(out, "reports: %s\n", f.out)
	if code := rep.ExitCode(); code != exitPass {
		return &exitError{code, errors.New("")}
	}
	return nil
}
