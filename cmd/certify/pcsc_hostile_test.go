package main

import (
	"os"
	"testing"

	"github.com/paycert/paycert/iut"
	"github.com/paycert/paycert/probes/target"
)

// TestPCSCHostile serves the reference card with every hostile card fault
// (`certify serve card --vpcd` into pcscd's vpcd slot) and holds the run
// over pcsc:// to the hostile rule (TestHostile's check): what pcscd and
// its vpcd driver make of a stalling, dripping, disconnecting or garbling
// card must still end every test case in error, in time.
func TestPCSCHostile(t *testing.T) {
	if err := pcscReady(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the PC/SC path cannot be tested: %v", err)
		}
		t.Skipf("PC/SC path not testable here: %v", err)
	}
	for _, f := range target.Faults() {
		if !f.Hostile || f.IUT != iut.Card {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			stop := serveCard(t, f.Name)
			defer stop()
			hostileRun{fault: f, suites: []string{"emv"}, args: []string{"--probe", "pcsc://", "--suite", "emv", "--ics", "default"}}.check(t)
		})
	}
}
