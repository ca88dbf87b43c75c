package card

import (
	"fmt"
	"strings"
)

// FaultName names one deliberate defect of the reference card.
type FaultName string

// The reference card's faults. Each breaks exactly one requirement.
const (
	FaultOfflineTC  FaultName = "offline-tc"
	FaultECOffline  FaultName = "ec-offline"
	FaultIADTC      FaultName = "iad-tc"
	FaultDeclineAll FaultName = "decline-all"
	FaultPDOLNoUN   FaultName = "pdol-no-un"
	FaultStaticAC   FaultName = "static-ac"
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
	{FaultPDOLNoUN, "does not ask for the unpredictable number (9F37) in its PDOL", []string{"EMV-SEL-001"}},
	{FaultStaticAC, "returns the same cryptogram for every transaction", []string{"EMV-DYN-001"}},
}

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
	return Fault{}, fmt.Errorf("card: unknown fault %q (known: %s)", name, strings.Join(FaultNames(), ", "))
}
