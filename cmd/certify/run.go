package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/attest"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/probes"
	"github.com/paycert/paycert/probes/target"
	"github.com/paycert/paycert/reports"
)

// loadICS reads the ICS named by --ics: a file, "default" for the embedded
// one, "profile:NAME" for a reference card profile's, or nothing, in which
// case ref: alone gets the ICS of the profile it names (the default's
// without ?profile=). It returns the ICS's bytes too, whose digest the
// signed report names. A file must be a regular file of at most
// ics.MaxSize bytes: a FIFO or a device would block or never end.
func loadICS(name string, uris []string) (*ics.ICS, []byte, error) {
	switch {
	case name == "default":
		return ics.Default(), ics.DefaultYAML(), nil
	case strings.HasPrefix(name, "profile:"):
		return profileICS(strings.TrimPrefix(name, "profile:"), "--ics")
	case name == "":
		profile := ""
		for _, u := range uris {
			if !strings.HasPrefix(u, "ref:") {
				return nil, nil, nil
			}
			if q, err := url.Parse(u); err == nil && q.Query().Get("profile") != "" {
				profile = q.Query().Get("profile")
			}
		}
		return profileICS(profile, "--probe")
	}
	fi, err := os.Stat(name)
	if err != nil {
		return nil, nil, fmt.Errorf("--ics: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("--ics: %s is not a regular file", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("--ics: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, ics.MaxSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("--ics: %s: %w", name, err)
	}
	c, err := ics.Parse(data, name)
	if err != nil {
		return nil, nil, fmt.Errorf("--ics: %w", err)
	}
	return c, data, nil
}

// profileICS returns the ICS of a reference card profile ("" for the
// default) and its bytes; flag names where the profile came from.
func profileICS(profile, flag string) (*ics.ICS, []byte, error) {
	c, err := ics.Profile(profile)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", flag, err)
	}
	data, err := ics.ProfileYAML(profile)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", flag, err)
	}
	return c, data, nil
}

type runFlags struct {
	probes  []string
	suites  []string
	filter  string
	out     string
	seed    int64
	verbose bool
	ics     string
	signKey string
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
configuration error, 3 inconclusive: the IUT was unreachable, a test ended
in error, a suite reached no verdict, or the run was interrupted. Every run
writes a report, whatever its exit status.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return doRun(c, f) },
	}
	fl := c.Flags()
	fl.StringArrayVar(&f.probes, "probe", []string{"ref:"}, "an IUT to test (see above); repeat for a card and host-side IUTs")
	fl.StringSliceVar(&f.suites, "suite", nil, "suites to run, comma-separated (default: all that apply to the probe)")
	fl.StringVar(&f.filter, "label-filter", "", "Ginkgo label filter, e.g. 'tc:EMV-ONL-001 || req:SEED-Q3-online-only'")
	fl.StringVar(&f.out, "out", "", "report directory (default: a new directory under ./certify-reports/)")
	fl.Int64Var(&f.seed, "seed", 0, "seed for test order and random data (default: from the clock; printed in the report)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "also print Ginkgo's own output")
	fl.StringVar(&f.signKey, "sign-key", "", "sign the report directory with this Ed25519 key (from certify keygen; default $"+signKeyEnv+"); without one the report says unsigned")
	fl.StringVar(&f.ics, "ics", "", "the implementation conformance statement (YAML, see docs/ics.md); \"default\" is the reference IUTs' own, \"profile:NAME\" a reference card profile's (ref:?profile=NAME uses it when none is given)")
	return c
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func doRun(c *cobra.Command, f runFlags) (err error) {
	start := time.Now()
	probes.Warn = func(w string) { fmt.Fprintf(c.ErrOrStderr(), "certify: warning: %s\n", w) }
	if f.seed == 0 {
		f.seed = start.UnixNano() % 1_000_000_000
	}
	if f.out == "" {
		f.out = filepath.Join("certify-reports", start.UTC().Format("20060102T150405Z")+fmt.Sprintf("-%d", os.Getpid()))
	}
	// Every exit path writes a report: one that ends before the suites ran
	// writes the report of a run that did not start, with the reason.
	// It is signed like any other when a key was given.
	var (
		ran     bool
		conf    *ics.ICS
		icsData []byte
		signer  *attest.Signer
	)
	defer func() {
		if err == nil || ran {
			return
		}
		probe := strings.Join(f.probes, " ")
		cfg := harness.Config{Suites: f.suites, LabelFilter: f.filter, OutDir: f.out, ToolVersion: version(), Signature: signatureStatus(signer)}
		rep, werr := harness.Unreached(cfg, probe, f.seed, start, err.Error())
		if werr != nil {
			fmt.Fprintf(c.ErrOrStderr(), "certify: writing the report: %v\n", werr)
			return
		}
		if signer != nil {
			sess := harness.NewSession(probe, nil, f.seed)
			if conf != nil {
				registerICSSecrets(sess, conf)
			}
			if serr := signBundle(context.WithoutCancel(c.Context()), f.out, signer, sess, rep, runConfiguration(f.ics, icsData)); serr != nil {
				fmt.Fprintf(c.ErrOrStderr(), "certify: %v\n", serr)
			}
		}
	}()
	if _, err := harness.Filter(f.suites, f.filter); err != nil {
		return &exitError{exitUsage, err}
	}
	conf, icsData, err = loadICS(f.ics, f.probes)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	signer, err = loadSignKey(f.signKey)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	// SIGINT and SIGTERM end the opening of the IUTs at once (each wait
	// yields to ctx); during the suites Ginkgo's own handler interrupts the
	// test in flight. Either way the report is written and the adapter
	// processes paycert started are stopped (set.Close).
	sigCtx, stopSignals := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	ctx, cancel := context.WithTimeout(sigCtx, 2*time.Minute)
	defer cancel()
	set, err := target.Open(ctx, f.probes, adapter.WithClientInfo("paycert certify", version()))
	if err != nil {
		switch {
		case sigCtx.Err() != nil:
			return &exitError{exitIUT, errors.New("interrupted while opening the IUT")}
		case errors.Is(err, probes.ErrUsage):
			return &exitError{exitUsage, err}
		}
		return &exitError{exitIUT, fmt.Errorf("IUT unreachable: %w", err)}
	}
	defer set.Close()
	// Name the probes as resolved (pcsc:// becomes the reader it found).
	var names []string
	for _, u := range f.probes {
		switch {
		case strings.HasPrefix(u, "pkcs11:"):
			if set.HSM != nil {
				u = set.HSM.URI() // without the pin-source
			}
		case set.Card != nil && !strings.HasPrefix(u, "ref:") && !strings.HasPrefix(u, "adapter"):
			u = set.Card.URI()
		}
		names = append(names, u)
	}
	s := harness.NewSession(strings.Join(names, " "), set.Card, f.seed)
	s.HSM, s.Notes = set.HSM, set.Notes
	set.AmendICS(conf)
	s.IUT = reports.IUT{Kind: strings.Join(set.Kinds(), "+"), Details: map[string]string{}}
	if conf != nil {
		s.ICS = conf
		s.IUT.Vendor, s.IUT.Product, s.IUT.Version = conf.Implementation.Vendor, conf.Implementation.Product, conf.Implementation.Version
		for k, v := range conf.Summary() {
			s.IUT.Details["ics."+k] = v
		}
		s.IUT.Details["ics"] = conf.Source
		registerICSSecrets(s, conf)
	}
	out := c.OutOrStdout()
	if set.Card != nil {
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		atr, err := set.Card.Reset(rctx)
		rcancel()
		if sigCtx.Err() != nil {
			return &exitError{exitIUT, errors.New("interrupted while resetting the card")}
		}
		if err != nil {
			return &exitError{exitIUT, fmt.Errorf("IUT unreachable: reset: %w", err)}
		}
		s.IUT.ATR = fmt.Sprintf("%X", atr)
		fmt.Fprintf(out, "paycert %s: testing card %s (ATR %X)\n", version(), set.Card.URI(), atr)
	}
	s.Refresh = harness.RefreshFrom(s, set)
	maps.Copy(s.Hosts, set.Hosts)
	for role, cl := range set.Hosts {
		im := cl.Hello().Implementation
		s.IUT.Details[role] = strings.TrimSpace(im.Vendor + " " + im.Product + " " + im.Version)
		fmt.Fprintf(out, "paycert %s: testing %s %s\n", version(), role, s.IUT.Details[role])
	}
	if set.HSM != nil {
		s.IUT.Details["hsm"] = set.HSM.Token()
		fmt.Fprintf(out, "paycert %s: testing hsm %s\n", version(), s.IUT.Details["hsm"])
	}
	for _, n := range set.Notes {
		fmt.Fprintf(out, "paycert %s: %s\n", version(), n)
	}
	if len(f.suites) == 0 {
		f.suites = harness.SuitesFor(set.Kinds())
		if len(f.suites) == 0 {
			return usageErr("no suite applies to the probes %q (they offer %v)", f.probes, set.Kinds())
		}
	}
	fmt.Fprintf(out, "suites %s, seed %d\n", strings.Join(f.suites, ","), f.seed)
	cfg := harness.Config{Suites: f.suites, LabelFilter: f.filter, OutDir: f.out, ToolVersion: version(), Progress: out, Signature: signatureStatus(signer)}
	if f.verbose {
		cfg.GinkgoLog = c.ErrOrStderr()
	}
	rep, err := harness.Run(s, cfg, start)
	ran = rep != nil
	if err != nil && rep == nil {
		if errors.Is(err, harness.ErrConfig) {
			return &exitError{exitUsage, err}
		}
		return &exitError{exitIUT, err}
	}
	// A report was written: sign it, whatever the run's outcome.
	var signErr error
	if signer != nil {
		icsName := ""
		if conf != nil {
			icsName = conf.Source
		}
		signErr = signBundle(context.WithoutCancel(c.Context()), f.out, signer, s, rep, runConfiguration(icsName, icsData))
	}
	fmt.Fprintln(out)
	fmt.Fprint(out, reports.Brief(rep))
	fmt.Fprintf(out, "reports: %s\n", f.out)
	switch {
	case err != nil:
		if signErr != nil {
			err = fmt.Errorf("%w; %v", err, signErr)
		}
		return &exitError{exitIUT, err}
	case signErr != nil:
		return signErr
	}
	if code := rep.ExitCode(); code != exitPass {
		return &exitError{code, errors.New("")}
	}
	return nil
}
