package tsp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/paycert/paycert/iut"
	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/probes/adapter"
	"github.com/paycert/paycert/probes/target"
)

// FaultName names one deliberate defect of the reference token service.
type FaultName string

// The reference token service's faults. Each breaks one requirement of the
// token suite.
const (
	FaultAcceptsExpired      FaultName = "accepts-expired"
	FaultAcceptsOverused     FaultName = "accepts-overused"
	FaultAcceptsReplay       FaultName = "accepts-replay"
	FaultTokenFromPAN        FaultName = "token-from-pan"
	FaultSameTokenAllDevices FaultName = "same-token-all-devices"
	FaultSuspendIgnored      FaultName = "suspend-ignored"
	FaultDeleteIgnored       FaultName = "delete-ignored"
	FaultReplaceKeepsOld     FaultName = "replace-keeps-old"
	FaultTokenOutOfRange     FaultName = "token-out-of-range"
	FaultNoCryptogramCheck   FaultName = "no-cryptogram-check"
	FaultLUKPolicyMismatch   FaultName = "luk-policy-mismatch"
)

// Fault describes a fault and the test cases that must fail under it.
type Fault struct {
	Name     FaultName
	Breaks   string   // the requirement it breaks, in one line
	MustFail []string // test-case IDs; every other test case must still pass
}

// Faults is the reference token service's fault catalogue.
var Faults = []Fault{
	{FaultAcceptsExpired, "approves cryptograms made with a limited-use key after its time to live", []string{"TOK-LUK-001"}},
	{FaultAcceptsOverused, "approves cryptograms made with a limited-use key whose uses are spent", []string{"TOK-LUK-002", "TOK-LUK-003"}},
	{FaultAcceptsReplay, "approves a replayed authorisation (same ATC or same cryptogram)", []string{"TOK-RPL-001", "TOK-RPL-002"}},
	{FaultTokenFromPAN, "provisions tokens that are a reversible digit-wise transform of the funding PAN", []string{"TOK-PRV-001", "TOK-PRV-002", "TOK-TKN-002"}},
	{FaultSameTokenAllDevices, "provisions the same token for a card on every device and on re-provisioning", []string{"TOK-PRV-001", "TOK-PRV-002"}},
	{FaultSuspendIgnored, "acknowledges tsp.suspend but keeps approving the token", []string{"TOK-LCM-001"}},
	{FaultDeleteIgnored, "acknowledges tsp.delete but keeps approving the token", []string{"TOK-LCM-002"}},
	{FaultReplaceKeepsOld, "issues a replacement token but keeps approving the old one", []string{"TOK-LCM-003"}},
	{FaultTokenOutOfRange, "provisions tokens from the funding card's own BIN instead of the token BIN range", []string{"TOK-TKN-001"}},
	{FaultNoCryptogramCheck, "approves without verifying the cryptogram against the limited-use key", []string{"TOK-AUT-001"}},
	{FaultLUKPolicyMismatch, "issues limited-use keys with a time to live and use count other than the ICS declares (300 s, 5 uses)", []string{"TOK-ICS-001"}},
}

func (f FaultName) is(n FaultName) bool { return f == n }

// LookupFault returns the named fault; "" is no fault.
func LookupFault(name string) (Fault, error) {
	if name == "" {
		return Fault{}, nil
	}
	for _, f := range Faults {
		if string(f.Name) == name {
			return f, nil
		}
	}
	return Fault{}, fmt.Errorf("tsp: unknown fault %q (known: %s)", name, strings.Join(FaultNames(), ", "))
}

// FaultNames lists the known faults in order.
func FaultNames() []string {
	out := make([]string, 0, len(Faults))
	for _, f := range Faults {
		out = append(out, string(f.Name))
	}
	sort.Strings(out)
	return out
}

// init links the reference token service into "ref:" (in-process, through
// the adapter protocol) and its faults into the fault catalogue. The
// reference card's LUK-mode faults are registered here too: package iut
// lists the card's Faults for the emv suite only, and they belong to the
// token suite.
func init() {
	target.RegisterRef(target.RefIUT{
		Role:   "tsp",
		Faults: FaultNames(),
		New: func(fault string) (*adapter.Server, error) {
			s, err := New(Config{Fault: fault})
			if err != nil {
				return nil, err
			}
			return s.Server(), nil
		},
	})
	var fs []iut.Fault
	for _, f := range Faults {
		fs = append(fs, iut.Fault{
			IUT: "tsp", Name: string(f.Name), Probe: "ref:?fault=" + string(f.Name),
			Breaks: f.Breaks, MustFail: f.MustFail, Suites: []string{"token"},
		})
	}
	for _, f := range card.LUKFaults {
		fs = append(fs, iut.Fault{
			IUT: "card", Name: string(f.Name), Probe: "ref:?fault=" + string(f.Name),
			Breaks: f.Breaks, MustFail: f.MustFail, Suites: []string{"token"},
		})
	}
	iut.RegisterFaults(fs...)
}
