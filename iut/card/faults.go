package card

import (
	"fmt"
	"strings"
)

// FaultName names one deliberate defect of the reference card.
type FaultName string

// The reference card's faults. Each breaks exactly one requirement.
const (
	FaultOfflineTC       FaultName = "offline-tc"
	FaultECOffline       FaultName = "ec-offline"
	FaultIADTC           FaultName = "iad-tc"
	FaultDeclineAll      FaultName = "decline-all"
	FaultPDOLNoUN        FaultName = "pdol-no-un"
	FaultStaticARQC      FaultName = "static-arqc"
	FaultATCStuck        FaultName = "atc-stuck"
	FaultATCResetOnPower FaultName = "atc-reset-on-power"
	FaultUNIgnored       FaultName = "un-ignored"
	FaultWrongKey        FaultName = "wrong-key"
	FaultFundingPAN      FaultName = "funding-pan"
	FaultCTQNoPIN        FaultName = "ctq-no-pin"
	FaultSADInRecord     FaultName = "sad-in-record"
	FaultICSMismatch     FaultName = "ics-mismatch"
	FaultIADWrongCVN     FaultName = "iad-wrong-cvn"
	FaultCSKSessionKey   FaultName = "csk-session-key"
	FaultLUKOveruse      FaultName = "luk-overuse"
)

// Fault describes a fault and the test cases that must fail under it.
type Fault struct {
	Name     FaultName
	Breaks   string   // the requirement it breaks, in one line
	MustFail []string // test-case IDs; every other test case must still pass
}

func (f Fault) is(n FaultName) bool { return f.Name == n }

// Faults is the reference card's fault catalogue.
var Faults = []Fault{
	{FaultOfflineTC, "answers TC when the terminal asks for offline approval (offline-only reader, GENERATE AC P1=TC)", []string{"EMV-EC-003", "EMV-ONL-001", "EMV-ONL-002", "EMV-ONL-003"}},
	{FaultECOffline, "approves PBOC electronic cash offline: TC with 9F74 and a 9F5D/9F79 balance when 9F7A=01", []string{"EMV-EC-001", "EMV-EC-002", "EMV-EC-003"}},
	{FaultIADTC, "9F27 says ARQC while the CVR in the issuer application data says TC", []string{"EMV-ONL-001", "EMV-ONL-004"}},
	{FaultDeclineAll, "declines every transaction (AAC) instead of going online", []string{"EMV-ONL-005"}},
	{FaultPDOLNoUN, "does not ask for the unpredictable number (9F37) in its PDOL, so its cryptograms cannot cover it", []string{"EMV-CRY-001", "EMV-DYN-002", "EMV-SEL-001"}},
	{FaultStaticARQC, "returns the same cryptogram for every transaction", []string{"EMV-CRY-001", "EMV-DYN-001", "EMV-DYN-002"}},
	{FaultATCStuck, "does not increment the ATC", []string{"EMV-ATC-001", "EMV-ATC-002", "EMV-DYN-001"}},
	{FaultATCResetOnPower, "resets the ATC to its start value on every power-off", []string{"EMV-ATC-002"}},
	{FaultUNIgnored, "leaves the terminal's unpredictable number out of the cryptogram", []string{"EMV-CRY-001", "EMV-DYN-002"}},
	{FaultWrongKey, "computes cryptograms under a key the issuer does not hold", []string{"EMV-CRY-001", "EMV-DYN-002"}},
	{FaultFundingPAN, "carries the funding PAN instead of a token", []string{"EMV-SAD-001", "EMV-TOK-001"}},
	{FaultCTQNoPIN, "never asks for online PIN in the CTQ, even above the CVM limit", []string{"EMV-CVM-001"}},
	{FaultSADInRecord, "holds track 1 data and discretionary data with the funding PAN in a record", []string{"EMV-SAD-001"}},
	{FaultICSMismatch, "claims offline data authentication (AIP DDA/CDA, a CA key index) while the ICS declares it online-only", []string{"EMV-ICS-001"}},
	{FaultIADWrongCVN, "states a cryptogram version in its IAD that the ICS does not declare", []string{"EMV-CRY-001", "EMV-DYN-002", "EMV-ICS-002"}},
	{FaultCSKSessionKey, "derives its PBOC cryptogram session key with the EMV common session key (R = ATC||000000000000) instead of the PBOC session key from the ATC and its complement", []string{"EMV-CRY-001", "EMV-DYN-002"}},
}

// LUKFaults are the reference card's faults in LUK mode (see LoadLUK). The
// token suite, not the emv suite, exercises LUK mode, so they are kept apart
// from Faults (which package iut registers for the emv suite); the reference
// token service's package registers them with the token suite.
var LUKFaults = []Fault{
	{FaultLUKOveruse, "keeps computing cryptograms with a limited-use key whose uses are spent or whose validity has ended", []string{"TOK-CRD-001"}},
}

// LookupFault returns the named fault; "" is no fault.
func LookupFault(name string) (Fault, error) {
	if name == "" {
		return Fault{}, nil
	}
	for _, f := range append(Faults[:len(Faults):len(Faults)], LUKFaults...) {
		if string(f.Name) == name {
			return f, nil
		}
	}
	return Fault{}, fmt.Errorf("card: unknown fault %q (known: %s)", name, strings.Join(FaultNames(), ", "))
}
