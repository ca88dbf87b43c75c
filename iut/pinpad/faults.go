package pinpad

import (
	"github.com/paycert/paycert/iut"
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

// Faults is the reference PIN pad's fault catalogue.
var Faults = []iut.Fault{
	{Name: FaultFixedKey, IUT: iut.PINPad, Suites: []string{"keymgmt"}, LabelFilter: "!exhaustive",
		Breaks:   "uses its first transaction key for every later transaction while the KSN advances (a fixed key, not DUKPT)",
		MustFail: []string{"KEY-AES-001", "KEY-KAT-001", "KEY-KAT-002", "KEY-PIN-001", "KEY-UNQ-001", "KEY-VAR-001"}},
	{Name: FaultKeyReuse, IUT: iut.PINPad, Suites: []string{"keymgmt"}, LabelFilter: "!exhaustive",
		Breaks:   "encrypts the transaction with counter 0x30 under the key of counter 0x2F (one transaction key used twice)",
		MustFail: []string{"KEY-UNQ-001"}},
	{Name: FaultKSNRepeat, IUT: iut.PINPad, Suites: []string{"keymgmt"}, LabelFilter: "!exhaustive",
		Breaks:   "does not advance its counter once after 0x28: the next transaction repeats that KSN and key",
		MustFail: []string{"KEY-KSN-001", "KEY-UNQ-001"}},
	{Name: FaultCounterInvalid, IUT: iut.PINPad, Suites: []string{"keymgmt"}, LabelFilter: "!exhaustive",
		Breaks:   "TDES: counts in plain binary, so it emits counters with 11 one bits (first 0x7FF, after 2,046 transactions)",
		MustFail: []string{"KEY-KSN-001"}},
	{Name: FaultCounterZero, IUT: iut.PINPad, Suites: []string{"keymgmt"}, LabelFilter: "!exhaustive",
		Breaks:   "TDES: sends counter 0 in the KSN of the first transaction after a key is loaded",
		MustFail: []string{"KEY-KAT-001", "KEY-KSN-001", "KEY-PIN-001", "KEY-UNQ-001", "KEY-VAR-001"}},
	{Name: FaultWrongVariant, IUT: iut.PINPad, Suites: []string{"keymgmt"}, LabelFilter: "!exhaustive",
		Breaks:   "TDES: encrypts PIN blocks under the data-request key instead of the PIN variant",
		MustFail: []string{"KEY-KAT-001", "KEY-PIN-001"}},
	{Name: FaultNoExhaustion, IUT: iut.PINPad, Suites: []string{"keymgmt"}, LabelFilter: "exhaustive",
		Breaks:   "keeps answering past the last counter (0x1FF800), repeating the last KSN and key, instead of error 1003 exhausted",
		MustFail: []string{"KEY-EXH-001"}},
	{Name: FaultAESStrongerKey, IUT: iut.PINPad, Suites: []string{"keymgmt"}, LabelFilter: "!exhaustive",
		Breaks:   "AES: derives AES-256 MAC and data working keys from AES-128 and AES-192 intermediate keys (stronger than their derivation key)",
		MustFail: []string{"KEY-AES-001"}},
}

// LookupFault returns the named fault; "" is no fault.
func LookupFault(name string) (iut.Fault, error) { return iut.Lookup(Faults, Role, name) }
