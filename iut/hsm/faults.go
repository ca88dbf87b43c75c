package hsm

import "github.com/paycert/paycert/iut"

// The reference HSM's named faults: each provisions the token with one
// non-compliant key, as a careless key ceremony or a wrong key template
// would.
const (
	FaultExtractableBDK = "hsm-extractable-bdk" // the BDK is generated extractable
	FaultNotSensitive   = "hsm-not-sensitive"   // the token vault key is generated with CKA_SENSITIVE false
	FaultSingleDES      = "hsm-single-des"      // the LUK master key is a single-DES key
	FaultMultiPurpose   = "hsm-multi-purpose"   // the BDK may also encrypt, decrypt, sign and verify
	FaultWeakKEK        = "hsm-weak-kek"        // the KEK is AES-128 while it can wrap AES-256 keys
	FaultKCVMismatch    = "hsm-kcv-mismatch"    // the issuer master key for AC was replaced after the ceremony recorded its KCV
	FaultPublicKey      = "hsm-public-key"      // the SMI issuer master key is a public object (CKA_PRIVATE false)
)

// Faults is the catalogue of the reference HSM's faults.
var Faults = []iut.Fault{
	{Name: FaultExtractableBDK, IUT: iut.HSM, Suites: []string{"hsm"},
		Breaks:   "the BDK is extractable: it can be wrapped out of the HSM under any wrapping key, including one an attacker creates",
		MustFail: []string{"HSM-KEY-002", "HSM-KEY-004"}},
	{Name: FaultNotSensitive, IUT: iut.HSM, Suites: []string{"hsm"},
		Breaks:   "the token vault key has CKA_SENSITIVE false (so it was never always-sensitive): the token does not treat it as a secret, and it takes only CKA_EXTRACTABLE to read it in clear",
		MustFail: []string{"HSM-KEY-002"}},
	{Name: FaultSingleDES, IUT: iut.HSM, Suites: []string{"hsm"},
		Breaks:   "the LUK master key is a single-DES key (56 bits)",
		MustFail: []string{"HSM-KEY-001"}},
	{Name: FaultMultiPurpose, IUT: iut.HSM, Suites: []string{"hsm"},
		Breaks:   "the BDK is not single-purpose: besides deriving it may encrypt, decrypt, sign and verify",
		MustFail: []string{"HSM-KEY-003"}},
	{Name: FaultWeakKEK, IUT: iut.HSM, Suites: []string{"hsm"},
		Breaks:   "the KEK is AES-128 while the keys it protects include AES-256 keys",
		MustFail: []string{"HSM-KEY-004"}},
	{Name: FaultKCVMismatch, IUT: iut.HSM, Suites: []string{"hsm"},
		Breaks:   "the issuer master key for AC in the HSM is not the key whose KCV the ICS declares (replaced after the key ceremony)",
		MustFail: []string{"HSM-KEY-005"}},
	{Name: FaultPublicKey, IUT: iut.HSM, Suites: []string{"hsm"},
		Breaks:   "the SMI issuer master key is a public object (CKA_PRIVATE false): a session without login sees it",
		MustFail: []string{"HSM-KEY-002", "HSM-KEY-006"}},
}

// Lookup returns the fault named name ("" is no fault).
func Lookup(name string) (iut.Fault, error) { return iut.Lookup(Faults, "reference HSM", name) }
