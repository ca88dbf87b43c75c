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
	// FaultMissingAID: the card does not offer every application its
	// ICS declares.
	FaultMissingAID = "missing-aid"
)

// Profile sets for Fault.Profiles.
var (
	pbocOnly = []string{ProfileUPIQPBOC}
	// withGenerateAC are the profiles whose kernel sends GENERATE AC.
	withGenerateAC = []string{ProfileUPIQPBOC, ProfileMCCVN17}
	// iadStatesType are the profiles whose IAD layout states the
	// cryptogram type (not Visa format 2).
	iadStatesType = []string{ProfileUPIQPBOC, ProfileVisaCVN18, ProfileMCCVN17}
)

// refuseAll is what fault refuse-all fails on the default profile.
var refuseAll = []string{"EMV-ATC-001", "EMV-ATC-002", "EMV-CRY-001", "EMV-CVM-001", "EMV-DYN-001", "EMV-DYN-002", "EMV-EC-001", "EMV-EC-003",
	"EMV-ICS-001", "EMV-ICS-002", "EMV-ONL-001", "EMV-ONL-002", "EMV-ONL-003", "EMV-ONL-004", "EMV-ONL-005", "EMV-SAD-001", "EMV-TOK-001"}

func without(l []string, drop ...string) []string {
	var out []string
	for _, id := range l {
		keep := true
		for _, d := range drop {
			keep = keep && id != d
		}
		if keep {
			out = append(out, id)
		}
	}
	return out
}

func with(l []string, add ...string) []string { return append(append([]string(nil), l...), add...) }

// notPBOC gives the same MustFail list to the three non-UnionPay profiles.
func notPBOC(visa, mc []string) map[string][]string {
	return map[string][]string{ProfileVisaCVN18: visa, ProfileVisaCVN22: visa, ProfileMCCVN17: mc}
}

// Faults is the reference card's fault catalogue: the faults the emv suite
// must catch, and the LUK-mode fault (see LoadLUK) that the token suite
// catches when it pays with the card.
var Faults = []iut.Fault{
	{Name: FaultOfflineTC, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "answers TC when the terminal asks for offline approval (offline-only reader, GENERATE AC P1=TC)",
		MustFail: []string{"EMV-EC-003", "EMV-ONL-001", "EMV-ONL-002", "EMV-ONL-003"},
		// PBOC electronic cash does not apply to the other brands; a Visa
		// card sends no GENERATE AC.
		MustFailOn: notPBOC([]string{"EMV-ONL-001", "EMV-ONL-003"}, []string{"EMV-ONL-001", "EMV-ONL-002", "EMV-ONL-003"})},
	{Name: FaultECOffline, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "approves PBOC electronic cash offline: TC with 9F74 and a 9F5D/9F79 balance when 9F7A=01",
		MustFail: []string{"EMV-EC-001", "EMV-EC-002", "EMV-EC-003"}, Profiles: pbocOnly},
	{Name: FaultIADTC, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "9F27 says ARQC while the CVR in the issuer application data says TC",
		MustFail: []string{"EMV-ONL-001", "EMV-ONL-004"}, Profiles: iadStatesType},
	{Name: FaultDeclineAll, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "declines every transaction (AAC) instead of going online",
		MustFail: []string{"EMV-ONL-005"}},
	{Name: FaultPDOLNoUN, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "does not ask for the unpredictable number (9F37) in the data object list its cryptogram is computed from (PDOL; CDOL1 for M/Chip), so its cryptograms cannot cover it",
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
	{Name: FaultCTQNoPIN, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "never asks for online PIN, even above the CVM limit: not in the CTQ (qPBOC, qVSDC), no online PIN rule in the CVM list (M/Chip)",
		MustFail: []string{"EMV-CVM-001"}},
	{Name: FaultSADInRecord, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "holds track 1 data and discretionary data with the funding PAN in a record",
		MustFail: []string{"EMV-SAD-001"}},
	{Name: FaultICSMismatch, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "claims offline data authentication (AIP DDA/CDA, a CA key index) while the ICS declares it online-only",
		MustFail: []string{"EMV-ICS-001"}},
	{Name: FaultCSKSessionKey, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "derives its PBOC cryptogram session key with the EMV common session key (R = ATC||000000000000) instead of the PBOC session key from the ATC and its complement",
		MustFail: []string{"EMV-CRY-001", "EMV-DYN-002"}, Profiles: pbocOnly},
	{Name: FaultRefuseAll, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "refuses every transaction: answers every GET PROCESSING OPTIONS and GENERATE AC with 6985",
		MustFail: refuseAll,
		// M/Chip: without GPO the CDOL1 that EMV-SEL-001 checks is never
		// read.
		// Visa CVN 22's IAD states no type for EMV-ONL-004 to compare.
		MustFailOn: map[string][]string{
			ProfileVisaCVN18: without(refuseAll, "EMV-EC-001", "EMV-EC-003", "EMV-ONL-002"),
			ProfileVisaCVN22: without(refuseAll, "EMV-EC-001", "EMV-EC-003", "EMV-ONL-002", "EMV-ONL-004"),
			ProfileMCCVN17:   with(without(refuseAll, "EMV-EC-001", "EMV-EC-003"), "EMV-SEL-001"),
		}},
	{Name: FaultRefuseAACRequest, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "answers a GENERATE AC that requests an AAC with 6985 instead of the AAC",
		MustFail: []string{"EMV-ONL-002"}, Profiles: withGenerateAC},
	{Name: FaultIADWrongCVN, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "states a cryptogram version in its IAD that the ICS does not declare",
		MustFail: []string{"EMV-CRY-001", "EMV-DYN-002", "EMV-ICS-002"}},
	{Name: FaultLUKOveruse, IUT: iut.Card, Suites: []string{"token"}, Breaks: "keeps computing cryptograms with a limited-use key whose uses are spent or whose validity has ended",
		MustFail: []string{"TOK-CRD-001"}, Profiles: pbocOnly},
	{Name: FaultMissingAID, IUT: iut.Card, Suites: []string{"emv"}, Breaks: "does not offer one of the applications its ICS declares (the PPSE lists only the debit application, which alone can be selected)",
		MustFail: []string{"EMV-ICS-003"}, Profiles: pbocOnly},
}

// LookupFault returns the named fault; "" is no fault.
func LookupFault(name string) (iut.Fault, error) { return iut.Lookup(Faults, "card", name) }
