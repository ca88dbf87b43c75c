package card

import "github.com/paycert/paycert/iut"

// The reference card's faults. Each breaks exactly one requirement.
const (
	FaultOfflineTC       = "offline-tc"
	FaultECOffline       = "ec-offline"
	FaultIADTC           = "iad-tc"
	FaultDeclineAll      = "decline-all"
	FaultPDOLNoUN        = "pdol-no-un"
	FaultStaticARQC      = "static-arqc"
	FaultATCStuck        = "atc-stuck"
	FaultATCResetOnPower = "atc-reset-on-power"
	FaultUNIgnored       = "un-ignored"
	FaultWrongKey        = "wrong-key"
	FaultFundingPAN      = "funding-pan"
	FaultCTQNoPIN        = "ctq-no-pin"
	FaultSADInRecord     = "sad-in-record"
	FaultICSMismatch     = "ics-mismatch"
	FaultIADWrongCVN     = "iad-wrong-cvn"
	FaultLUKOveruse      = "luk-overuse"
	FaultCSKSessionKey   = "csk-session-key"
	// Refusals: the card answers 6985 (conditions of use not satisfied)
	// where it must transact, so a check that skips refused transactions
	// would rest on nothing.
	FaultRefuseAll        = "refuse-all"
	FaultRefuseAACRequest = "refuse-aac-request"
)

// Faults is the reference card's fault catalogue: the faults the emv suite
// must catch, and the LUK-mode fault (see LoadLUK) that the token suite
// catches when it pays with the card.
var Faults = []iut.Fault{
	{Name: FaultOfflineTC, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "answers TC when the terminal asks for offline approval (offline-only reader, GENERATE AC P1=TC)",
		MustFail: []string{"EMV-EC-003", "EMV-ONL-001", "EMV-ONL-002", "EMV-ONL-003"}},
	{Name: FaultECOffline, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "approves PBOC electronic cash offline: TC with 9F74 and a 9F5D/9F79 balance when 9F7A=01",
		MustFail: []string{"EMV-EC-001", "EMV-EC-002", "EMV-EC-003"}},
	{Name: FaultIADTC, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "9F27 says ARQC while the CVR in the issuer application data says TC",
		MustFail: []string{"EMV-ONL-001", "EMV-ONL-004"}},
	{Name: FaultDeclineAll, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "declines every transaction (AAC) instead of going online",
		MustFail: []string{"EMV-ONL-005"}},
	{Name: FaultPDOLNoUN, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "does not ask for the unpredictable number (9F37) in its PDOL, so its cryptograms cannot cover it",
		MustFail: []string{"EMV-CRY-001", "EMV-DYN-002", "EMV-SEL-001"}},
	{Name: FaultStaticARQC, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "returns the same cryptogram for every transaction",
		MustFail: []string{"EMV-CRY-001", "EMV-DYN-001", "EMV-DYN-002"}},
	{Name: FaultATCStuck, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "does not increment the ATC",
		MustFail: []string{"EMV-ATC-001", "EMV-ATC-002", "EMV-DYN-001"}},
	{Name: FaultATCResetOnPower, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "resets the ATC to its start value on every power-off",
		MustFail: []string{"EMV-ATC-002"}},
	{Name: FaultUNIgnored, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "leaves the terminal's unpredictable number out of the cryptogram",
		MustFail: []string{"EMV-CRY-001", "EMV-DYN-002"}},
	{Name: FaultWrongKey, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "computes cryptograms under a key the issuer does not hold",
		MustFail: []string{"EMV-CRY-001", "EMV-DYN-002"}},
	{Name: FaultFundingPAN, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "carries the funding PAN instead of a token",
		MustFail: []string{"EMV-SAD-001", "EMV-TOK-001"}},
	{Name: FaultCTQNoPIN, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "never asks for online PIN in the CTQ, even above the CVM limit",
		MustFail: []string{"EMV-CVM-001"}},
	{Name: FaultSADInRecord, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "holds track 1 data and discretionary data with the funding PAN in a record",
		MustFail: []string{"EMV-SAD-001"}},
	{Name: FaultICSMismatch, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "claims offline data authentication (AIP DDA/CDA, a CA key index) while the ICS declares it online-only",
		MustFail: []string{"EMV-ICS-001"}},
	{Name: FaultCSKSessionKey, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "derives its PBOC cryptogram session key with the EMV common session key (R = ATC||000000000000) instead of the PBOC session key from the ATC and its complement",
		MustFail: []string{"EMV-CRY-001", "EMV-DYN-002"}},
	{Name: FaultRefuseAll, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "refuses every transaction: answers every GET PROCESSING OPTIONS and GENERATE AC with 6985",
		MustFail: []string{"EMV-ATC-001", "EMV-ATC-002", "EMV-CRY-001", "EMV-CVM-001", "EMV-DYN-001", "EMV-DYN-002", "EMV-EC-001", "EMV-EC-003",
			"EMV-ICS-001", "EMV-ICS-002", "EMV-ONL-001", "EMV-ONL-002", "EMV-ONL-003", "EMV-ONL-004", "EMV-ONL-005", "EMV-SAD-001", "EMV-TOK-001"}},
	{Name: FaultRefuseAACRequest, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "answers a GENERATE AC that requests an AAC with 6985 instead of the AAC",
		MustFail: []string{"EMV-ONL-002"}},
	{Name: FaultIADWrongCVN, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "states a cryptogram version in its IAD that the ICS does not declare",
		MustFail: []string{"EMV-CRY-001", "EMV-DYN-002", "EMV-ICS-002"}},
	{Name: FaultLUKOveruse, IUT: iut.Card, Suites: []string{"token"}, Breaks: "keeps computing cryptograms with a limited-use key whose uses are spent or whose validity has ended",
		MustFail: []string{"TOK-CRD-001"}},
}

// LookupFault returns the named fault; "" is no fault.
func LookupFault(name string) (iut.Fault, error) { return iut.Lookup(Faults, "card", name) }
