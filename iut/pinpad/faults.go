package pinpad

import (
	"fmt"
	"strings"

	"github.com/paycert/paycert/iut"
	"github.com/paycert/paycert/probes/adapter"
	"github.com/paycert/paycert/probes/target"
)

// Fault names of the reference PIN pad.
const (
	FaultFixedKey       = "fixed-key"
	FaultKeyReuse       = "key-reuse"
	FaultKSNRepeat      = "ksn-repeat"
	FaultCounterInvalid = "counter-invalid"
	FaultCounterZero    = "counter-zero"
	FaultWrongVariant   = "wrong-variant"
	FaultNoExhaustion   = "no-exhaustion"
	FaultAESStrongerKey = "aes-stronger-working-key"
)

// Where the one-off faults strike: late enough that the suite's short
// test cases (known answers: 21 transactions, PIN blocks: 16 per format, 32 for TDES)
// do not meet them, early enough for the uniqueness (64) and counter
// (2,100) test cases.
const (
	keyReuseAt  = 0x30 // the transaction with this counter reuses the previous key
	ksnRepeatAt = 0x28 // the transaction after this counter repeats it
)

// Fault is one defect of the reference PIN pad.
type Fault struct {
	Name        string
	Breaks      string   // the requirement it breaks, in one line
	MustFail    []string // test-case IDs; every other test case must pass
	LabelFilter string   // the fault matrix's label filter for it
}

// Faults is the reference PIN pad's fault catalogue.
var Faults = []Fault{
	{FaultFixedKey, "uses its first transaction key for every later transaction while the KSN advances (a fixed key, not DUKPT)",
		[]string{"KEY-AES-001", "KEY-KAT-001", "KEY-KAT-002", "KEY-PIN-001", "KEY-UNQ-001", "KEY-VAR-001"}, "!exhaustive"},
	{FaultKeyReuse, "encrypts the transaction with counter 0x30 under the key of counter 0x2F (one transaction key used twice)",
		[]string{"KEY-UNQ-001"}, "!exhaustive"},
	{FaultKSNRepeat, "does not advance its counter once after 0x28: the next transaction repeats that KSN and key",
		[]string{"KEY-KSN-001", "KEY-UNQ-001"}, "!exhaustive"},
	{FaultCounterInvalid, "TDES: counts in plain binary, so it emits counters with 11 one bits (first 0x7FF, after 2,046 transactions)",
		[]string{"KEY-KSN-001"}, "!exhaustive"},
	{FaultCounterZero, "TDES: sends counter 0 in the KSN of the first transaction after a key is loaded",
		[]string{"KEY-KAT-001", "KEY-KSN-001", "KEY-PIN-001", "KEY-UNQ-001", "KEY-VAR-001"}, "!exhaustive"},
	{FaultWrongVariant, "TDES: encrypts PIN blocks under the data-request key instead of the PIN variant",
		[]string{"KEY-KAT-001", "KEY-PIN-001"}, "!exhaustive"},
	{FaultNoExhaustion, "keeps answering past the last counter (0x1FF800), repeating the last KSN and key, instead of error 1003 exhausted",
		[]string{"KEY-EXH-001"}, "exhaustive"},
	{FaultAESStrongerKey, "AES: derives AES-256 MAC and data working keys from AES-128 and AES-192 intermediate keys (stronger than their derivation key)",
		[]string{"KEY-AES-001"}, "!exhaustive"},
}

// FaultNames lists the fault names.
func FaultNames() []string {
	out := make([]string, len(Faults))
	for i, f := range Faults {
		out[i] = f.Name
	}
	return out
}

// LookupFault returns the named fault; "" is no fault.
func LookupFault(name string) (Fault, error) {
	if name == "" {
		return Fault{}, nil
	}
	for _, f := range Faults {
		if f.Name == name {
			return f, nil
		}
	}
	return Fault{}, fmt.Errorf("pinpad: unknown fault %q (known: %s)", name, strings.Join(FaultNames(), ", "))
}

func init() {
	target.RegisterRef(target.RefIUT{
		Role:   Role,
		Faults: FaultNames(),
		New:    func(fault string) (*adapter.Server, error) { return New(fault) },
	})
	for _, f := range Faults {
		iut.RegisterFaults(iut.Fault{
			IUT: Role, Name: f.Name, Probe: "ref:?fault=" + f.Name, Breaks: f.Breaks,
			MustFail: f.MustFail, LabelFilter: f.LabelFilter, Suites: []string{"keymgmt"},
		})
	}
}
