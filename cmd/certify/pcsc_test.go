package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebfe/scard"
	"github.com/paycert/paycert/iut"
	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/probes/target"
)

const vpcdReader = "Virtual PCD 00 00"

// pcscReady reports whether pcscd runs with the vpcd driver loaded.
func pcscReady() error {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return fmt.Errorf("no PC/SC service (start pcscd: scripts/pcscd-up): %w", err)
	}
	defer ctx.Release()
	readers, err := ctx.ListReaders()
	if err != nil {
		return fmt.Errorf("pcscd lists no readers (is vsmartcard-vpcd installed?): %w", err)
	}
	for _, r := range readers {
		if r == vpcdReader {
			return nil
		}
	}
	return fmt.Errorf("pcscd has no %q reader (readers: %q)", vpcdReader, readers)
}

// waitReader waits until the vpcd reader shows a card (present) or none.
func waitReader(t *testing.T, present bool) {
	t.Helper()
	ctx, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Release()
	deadline := time.Now().Add(15 * time.Second)
	rs := []scard.ReaderState{{Reader: vpcdReader, CurrentState: scard.StateUnaware}}
	for {
		if err := ctx.GetStatusChange(rs, time.Second); err != nil && err != scard.ErrTimeout {
			t.Fatalf("reader status: %v", err)
		}
		if (rs[0].EventState&scard.StatePresent != 0) == present {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("reader %q: card present=%v not reached in 15 s (state %x)", vpcdReader, present, rs[0].EventState)
		}
		rs[0].CurrentState = rs[0].EventState
	}
}

// serveCard starts `certify serve card` as profile (the default for "")
// against pcscd's vpcd slot and waits for the reader to see the card.
func serveCard(t *testing.T, profile, fault string) func() {
	t.Helper()
	args := []string{"serve", "card", "--vpcd", "127.0.0.1:35963"}
	if profile != "" {
		args = append(args, "--profile", profile)
	}
	if fault != "" {
		args = append(args, "--fault", fault)
	}
	cmd := exec.Command("certify", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitReader(t, true)
	return func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		waitReader(t, false)
		if t.Failed() {
			t.Logf("serve card stderr:\n%s", stderr.String())
		}
	}
}

// pcscProfile is the non-UnionPay profile the PC/SC test also drives, and
// pcscProfileFaults the faults it runs it with (the in-process matrix runs
// every fault of every profile).
const pcscProfile = card.ProfileMCCVN17

var pcscProfileFaults = []string{card.FaultStaticARQC, card.FaultCTQNoPIN, card.FaultPDOLNoUN}

// TestPCSCEndToEnd drives the reference card through real pcscd and its
// vpcd driver: the suite over pcsc:// must pass the clean card and fail
// exactly the expected test cases of every card fault; and the card as a
// Mastercard M/Chip profile, with the ICS 'certify ics --profile' prints,
// passes clean and fails a few faults exactly.
func TestPCSCEndToEnd(t *testing.T) {
	if err := pcscReady(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the PC/SC path cannot be tested: %v", err)
		}
		t.Skipf("PC/SC path not testable here: %v", err)
	}
	stop := serveCard(t, "", "")
	r, code, out := certifyRun(t, "--probe", "pcsc://", "--suite", "emv", "--ics", "default")
	stop()
	if code != 0 || r.Summary.Pass != r.Summary.Total || r.Summary.Total == 0 {
		t.Fatalf("clean card through pcscd: exit %d, %+v\n%s", code, r.Summary, out)
	}
	clean := verdictsByID(r)
	if !strings.HasPrefix(r.Probe, "pcsc://?reader=Virtual PCD") {
		t.Errorf("probe = %q", r.Probe)
	}
	for _, f := range target.Faults() {
		if f.IUT != "card" || !slices.Contains(f.Suites, "emv") || f.Hostile {
			continue // not a fault the emv suite over PC/SC can see
		}
		t.Run(f.Name, func(t *testing.T) {
			stop := serveCard(t, "", f.Name)
			defer stop()
			r, code, out := certifyRun(t, "--probe", "pcsc://", "--suite", "emv", "--ics", "default")
			checkFault(t, f, "", clean, r, code, out)
		})
	}
	t.Run(pcscProfile, func(t *testing.T) {
		icsArg := "profile:" + pcscProfile
		stop := serveCard(t, pcscProfile, "")
		r, code, out := certifyRun(t, "--probe", "pcsc://", "--suite", "emv", "--ics", icsArg)
		stop()
		if code != 0 || r.Summary.Fail != 0 || r.Summary.Error != 0 || r.Summary.Pass == 0 {
			t.Fatalf("clean %s card through pcscd: exit %d, %+v\n%s", pcscProfile, code, r.Summary, out)
		}
		clean := verdictsByID(r)
		for _, name := range pcscProfileFaults {
			f, err := card.LookupFault(name)
			if err != nil || !f.AppliesTo(pcscProfile) {
				t.Fatalf("fault %s: %v (applies to %s: %v)", name, err, pcscProfile, f.AppliesTo(pcscProfile))
			}
			t.Run(name, func(t *testing.T) {
				stop := serveCard(t, pcscProfile, name)
				defer stop()
				r, code, out := certifyRun(t, "--probe", "pcsc://", "--suite", "emv", "--ics", icsArg)
				checkFault(t, f, pcscProfile, clean, r, code, out)
			})
		}
	})
}

// TestPCSCHostile serves the reference card with the hostile card faults
// that answer at once (garbage, an oversize response, a status word no
// command can return; `certify serve card --vpcd` into pcscd's vpcd slot)
// and holds the run over pcsc:// to the hostile rule (TestHostile's check).
// The faults that stall, drip or disconnect are held to it over vpcd
// (TestHostile): through pcscd they leave its vpcd driver's slot in a state
// from which later cards are not seen for many seconds, which would make
// this test's result depend on pcscd's recovery, not on paycert. It runs
// after TestPCSCEndToEnd.
func TestPCSCHostile(t *testing.T) {
	if err := pcscReady(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the PC/SC path cannot be tested: %v", err)
		}
		t.Skipf("PC/SC path not testable here: %v", err)
	}
	for _, f := range target.Faults() {
		if !f.Hostile || f.IUT != iut.Card || !slices.Contains([]string{"card-garbage", "card-oversize", "card-wrong-sw"}, f.Name) {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			stop := serveCard(t, "", f.Name)
			defer stop()
			hostileRun{fault: f, suites: []string{"emv"}, args: []string{"--probe", "pcsc://", "--suite", "emv", "--ics", "default"}}.check(t)
		})
	}
}
