package tsp

import "github.com/paycert/paycert/iut"

// The reference token service's faults. Each breaks one requirement of the
// token suite.
const (
	FaultAcceptsExpired      = "accepts-expired"
	FaultAcceptsOverused     = "accepts-overused"
	FaultAcceptsReplay       = "accepts-replay"
	FaultTokenFromPAN        = "token-from-pan"
	FaultSameTokenAllDevices = "same-token-all-devices"
	FaultSuspendIgnored      = "suspend-ignored"
	FaultDeleteIgnored       = "delete-ignored"
	FaultReplaceKeepsOld     = "replace-keeps-old"
	FaultTokenOutOfRange     = "token-out-of-range"
	FaultNoCryptogramCheck   = "no-cryptogram-check"
	FaultLUKPolicyMismatch   = "luk-policy-mismatch"
)

// Faults is the reference token service's fault catalogue.
var Faults = []iut.Fault{
	{Name: FaultAcceptsExpired, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "approves cryptograms made with a limited-use key after its time to live",
		MustFail: []string{"TOK-LUK-001"}},
	{Name: FaultAcceptsOverused, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "approves cryptograms made with a limited-use key whose uses are spent",
		MustFail: []string{"TOK-LUK-002", "TOK-LUK-003"}},
	{Name: FaultAcceptsReplay, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "approves a replayed authorisation (same ATC or same cryptogram)",
		MustFail: []string{"TOK-RPL-001", "TOK-RPL-002"}},
	{Name: FaultTokenFromPAN, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "provisions tokens that are a reversible digit-wise transform of the funding PAN",
		MustFail: []string{"TOK-PRV-001", "TOK-PRV-002", "TOK-TKN-002"}},
	{Name: FaultSameTokenAllDevices, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "provisions the same token for a card on every device and on re-provisioning",
		MustFail: []string{"TOK-PRV-001", "TOK-PRV-002"}},
	{Name: FaultSuspendIgnored, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "acknowledges tsp.suspend but keeps approving the token",
		MustFail: []string{"TOK-LCM-001"}},
	{Name: FaultDeleteIgnored, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "acknowledges tsp.delete but keeps approving the token",
		MustFail: []string{"TOK-LCM-002"}},
	{Name: FaultReplaceKeepsOld, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "issues a replacement token but keeps approving the old one",
		MustFail: []string{"TOK-LCM-003"}},
	{Name: FaultTokenOutOfRange, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "provisions tokens from the funding card's own BIN instead of the token BIN range",
		MustFail: []string{"TOK-TKN-001"}},
	{Name: FaultNoCryptogramCheck, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "approves without verifying the cryptogram against the limited-use key",
		MustFail: []string{"TOK-AUT-001"}},
	{Name: FaultLUKPolicyMismatch, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "issues limited-use keys with a time to live and use count other than the ICS declares (300 s, 5 uses)",
		MustFail: []string{"TOK-ICS-001"}},
}

// LookupFault returns the named fault; "" is no fault.
func LookupFault(name string) (iut.Fault, error) { return iut.Lookup(Faults, "tsp", name) }
