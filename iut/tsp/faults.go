package tsp

import "github.com/paycert/paycert/iut"

// The reference token service's faults. Each breaks one requirement of the
// token suite.
const (
	FaultAcceptsExpired       = "accepts-expired"
	FaultAcceptsOverused      = "accepts-overused"
	FaultAcceptsReplay        = "accepts-replay"
	FaultTokenFromPAN         = "token-from-pan"
	FaultSameTokenAllDevices  = "same-token-all-devices"
	FaultSuspendIgnored       = "suspend-ignored"
	FaultDeleteIgnored        = "delete-ignored"
	FaultReplaceKeepsOld      = "replace-keeps-old"
	FaultTokenOutOfRange      = "token-out-of-range"
	FaultNoCryptogramCheck    = "no-cryptogram-check"
	FaultLUKPolicyMismatch    = "luk-policy-mismatch"
	FaultSameLUKAlways        = "same-luk-always"
	FaultSameLUKPerToken      = "same-luk-per-token"
	FaultOldLUKStillValid     = "old-luk-still-valid"
	FaultWrongKCV             = "wrong-kcv"
	FaultLUKForSuspended      = "luk-for-suspended"
	FaultProvisionsIneligible = "provisions-ineligible-card"
	FaultProvisionsExpired    = "provisions-expired-card"
	FaultDeleteResumable      = "delete-resumable"
	FaultEchoesFundingPAN     = "echoes-funding-pan"
	FaultTokenKeepsPANMiddle  = "token-keeps-pan-middle"
)

// Test cases of the token suite that a fault of every call of a method
// fails: the harness's verdict policy fails a test case at the first
// result that breaks the method's contract.
var (
	// provisioning lists every test case that provisions a token.
	provisioning = []string{
		"TOK-AUT-001", "TOK-CRD-001", "TOK-ICS-001", "TOK-LCM-001", "TOK-LCM-002", "TOK-LCM-003", "TOK-LCM-004",
		"TOK-LUK-001", "TOK-LUK-002", "TOK-LUK-003", "TOK-LUK-004", "TOK-LUK-005",
		"TOK-PRV-001", "TOK-PRV-002", "TOK-PRV-003", "TOK-PRV-004",
		"TOK-RPL-001", "TOK-RPL-002", "TOK-TKN-001", "TOK-TKN-002",
	}
	// issuing lists every test case that is issued a limited-use key.
	issuing = []string{
		"TOK-AUT-001", "TOK-CRD-001", "TOK-ICS-001", "TOK-LCM-001", "TOK-LCM-002", "TOK-LCM-003", "TOK-LCM-004",
		"TOK-LUK-001", "TOK-LUK-002", "TOK-LUK-003", "TOK-LUK-004", "TOK-LUK-005",
		"TOK-RPL-001", "TOK-RPL-002",
	}
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
		MustFail: []string{"TOK-LCM-001", "TOK-LCM-004"}},
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
	{Name: FaultSameLUKAlways, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "issues one fixed limited-use key for every request and every token",
		MustFail: []string{"TOK-LUK-004"}},
	{Name: FaultSameLUKPerToken, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "issues each token one key and returns it again for every later key request of that token",
		MustFail: []string{"TOK-LUK-004"}},
	{Name: FaultOldLUKStillValid, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "keeps approving a token's earlier keys after issuing a new one, although its ICS declares token.luk-replaces-previous",
		MustFail: []string{"TOK-LUK-005"}},
	{Name: FaultWrongKCV, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "states a key check value computed with single DES under the key's first half, not the check value of the double-length key",
		MustFail: issuing},
	{Name: FaultLUKForSuspended, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "issues limited-use keys for suspended tokens instead of refusing with 1004",
		MustFail: []string{"TOK-LCM-004"}},
	{Name: FaultProvisionsIneligible, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "provisions cards whose PAN fails the Luhn check instead of refusing with 1001",
		MustFail: []string{"TOK-PRV-003"}},
	{Name: FaultProvisionsExpired, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "provisions expired cards instead of refusing with 1002",
		MustFail: []string{"TOK-PRV-004"}},
	{Name: FaultDeleteResumable, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "lets tsp.resume bring a deleted token back, after which it gets keys and is approved",
		MustFail: []string{"TOK-LCM-002"}},
	{Name: FaultEchoesFundingPAN, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "returns the funding PAN (BCD, F-padded) in a nested member of the tsp.provision and tsp.replace results",
		MustFail: provisioning},
	{Name: FaultTokenKeepsPANMiddle, IUT: iut.TSP, Suites: []string{"token"}, Breaks: "provisions tokens that carry the funding PAN's middle digits in their place (token BIN, then the PAN's hidden digits, then random digits)",
		MustFail: []string{"TOK-TKN-001", "TOK-TKN-002"}},
}

// LookupFault returns the named fault; "" is no fault.
func LookupFault(name string) (iut.Fault, error) { return iut.Lookup(Faults, "tsp", name) }
