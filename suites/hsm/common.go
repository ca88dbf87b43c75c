// Package hsm is paycert's HSM suite: it examines the key objects a token
// platform keeps in a hardware security module through PKCS#11 (the
// pkcs11: probe, or ref:'s SoftHSM2 token) against what the ICS's hsm
// section declares: each key's label, purpose and key check value.
//
// The suite never sees a key value. It reads attributes, asks the token to
// perform (or refuse) operations with the keys, and compares check values.
// Where a non-compliant token lets it read a value or wrap a key, the
// value is cleared at once and only its length reaches the evidence.
package hsm

import (
	"fmt"
	"os"
	"strings"

	ck "github.com/miekg/pkcs11"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/probes/pkcs11"
)

// Suite is the suite name; Needs the kind of IUT its test cases need.
const (
	Suite = "hsm"
	Needs = "hsm"
)

// Requirement IDs used by this suite; docs/requirements.md paraphrases each.
const (
	reqSeedHSM   = "SEED-Q7 unique keys"
	reqDSS361    = "PCI DSS v4.0.1 3.6.1"
	reqDSS3612   = "PCI DSS v4.0.1 3.6.1.2"
	reqDSS371    = "PCI DSS v4.0.1 3.7.1"
	reqDSS377    = "PCI DSS v4.0.1 3.7.7"
	reqPIN19     = "PCI PIN 19"
	reqPIN21     = "PCI PIN 21"
	reqNIST57    = "NIST SP 800-57 Pt1 r5 5.6.1"
	reqPKCS11Obj = "PKCS#11 v2.40 4.4"
	reqPKCS11Key = "PKCS#11 v2.40 4.9"
)

// exKey is what the test cases exercise: one declared key examined.
const exKey = "key"

// key is a declared key found in the token.
type key struct {
	ics.HSMKey
	o    ck.ObjectHandle
	kt   uint // CKK_
	size int  // bytes of key material
}

// token returns the session's HSM, logged in as the user: with the URI's
// pin-source, or else with the PIN in the environment variable the ICS
// names (hsm.pin-env).
func token(t *harness.T) *pkcs11.HSM {
	h := t.Session().HSM
	if h == nil {
		t.NotApplicable("the probes offer no hsm IUT")
	}
	if h.LoggedIn() {
		return h
	}
	env := declaredHSM(t).PINEnv
	if env == "" {
		t.Errorf("the token is not logged in: give pin-source=file:PATH in the probe URI or hsm.pin-env in the ICS")
	}
	pin := os.Getenv(env)
	if pin == "" {
		t.Errorf("the token is not logged in: the environment variable %s (hsm.pin-env) is not set", env)
	}
	if err := h.Login(pin); err != nil {
		t.Errorf("login with the PIN from %s: %v", env, err)
	}
	return h
}

// declaredHSM returns the ICS's hsm section.
func declaredHSM(t *harness.T) *ics.HSM {
	c := t.Session().ICS
	if why := c.NotApplicable("hsm"); why != "" {
		t.NotApplicable(why)
	}
	return c.HSM
}

// must ends the test with verdict error when err means the token could not
// be exercised; it returns err otherwise, for the test to judge.
func must(t *harness.T, err error, what string) error {
	if err != nil && pkcs11.Broken(err) {
		t.Errorf("%s: %v", what, err)
	}
	return err
}

// keys finds every declared key in the token. A key that is missing or
// ambiguous is noted and left out (HSM-KEY-001 judges that); so are keys
// whose type cannot be read.
func keys(t *harness.T) []key {
	h := token(t)
	var out []key
	for _, d := range declaredHSM(t).Keys {
		k, problem := find(t, h, d)
		if problem != "" {
			t.Note("%s: %s; not examined here (HSM-KEY-001 judges it)", d.Label, problem)
			continue
		}
		out = append(out, k)
	}
	return out
}

// find looks a declared key up; problem is "" when it is one secret key
// whose type and size are known.
func find(t *harness.T, h *pkcs11.HSM, d ics.HSMKey) (k key, problem string) {
	objs, all, err := h.FindSecretKeys(d.Label)
	if err := must(t, err, "C_FindObjects "+d.Label); err != nil {
		return key{}, "C_FindObjects: " + pkcs11.ErrName(err)
	}
	switch {
	case len(objs) == 0 && all > 0:
		return key{}, fmt.Sprintf("the label names %d objects, none a secret key", all)
	case len(objs) == 0:
		return key{}, "no object with this label"
	case len(objs) > 1:
		return key{}, fmt.Sprintf("%d secret keys carry this label; a label must name one key", len(objs))
	}
	k = key{HSMKey: d, o: objs[0]}
	if k.kt, err = h.ULong(k.o, ck.CKA_KEY_TYPE); must(t, err, d.Label+" CKA_KEY_TYPE") != nil {
		return key{}, "CKA_KEY_TYPE unreadable: " + pkcs11.ErrName(err)
	}
	switch k.kt {
	case ck.CKK_DES:
		k.size = 8
	case ck.CKK_DES2:
		k.size = 16
	case ck.CKK_DES3:
		k.size = 24
	default:
		n, err := h.ULong(k.o, ck.CKA_VALUE_LEN)
		if must(t, err, d.Label+" CKA_VALUE_LEN") != nil {
			return key{}, "CKA_VALUE_LEN unreadable: " + pkcs11.ErrName(err)
		}
		k.size = int(n)
	}
	return k, ""
}

// typeName names a key's algorithm and length.
func (k key) typeName() string {
	switch k.kt {
	case ck.CKK_DES:
		return "single DES"
	case ck.CKK_DES2:
		return "TDES 2-key"
	case ck.CKK_DES3:
		return "TDES 3-key"
	case ck.CKK_AES:
		return fmt.Sprintf("AES-%d", 8*k.size)
	case ck.CKK_GENERIC_SECRET:
		return fmt.Sprintf("generic secret of %d bytes", k.size)
	}
	return fmt.Sprintf("key type %#x of %d bytes", k.kt, k.size)
}

// strength is the key's security strength in bits (NIST SP 800-57 Part 1
// table 2); 0 for a type it does not rate.
func (k key) strength() int {
	switch k.kt {
	case ck.CKK_DES:
		return 56
	case ck.CKK_DES2:
		return 80
	case ck.CKK_DES3:
		return 112
	case ck.CKK_AES:
		return 8 * k.size
	}
	return 0
}

// approved says whether the key's type and length are approved for its
// purpose, and why not.
func (k key) approved() (bool, string) {
	switch k.kt {
	case ck.CKK_AES:
		if k.size == 16 || k.size == 24 || k.size == 32 {
			return true, ""
		}
		return false, fmt.Sprintf("AES with %d bytes is not AES-128, -192 or -256", k.size)
	case ck.CKK_DES2:
		if k.Purpose.Derives() {
			return true, ""
		}
		return false, fmt.Sprintf("TDES 2-key (80 bits) is not approved for a %s: use AES", k.Purpose)
	case ck.CKK_DES3:
		if k.Purpose.Derives() || k.Purpose == ics.PurposeKEK {
			return true, ""
		}
		return false, fmt.Sprintf("TDES is not approved for a %s: use AES", k.Purpose)
	case ck.CKK_DES:
		return false, "single DES (56 bits) is never approved"
	}
	return false, fmt.Sprintf("%s is not an approved key type (AES-128 or longer; TDES 2- or 3-key for derivation keys)", k.typeName())
}

// mechanisms returns the mechanisms the suite uses with a key of this
// type: ECB encryption, CMAC, key wrapping and derivation.
func (k key) mechanisms() (ecb, mac, wrap, derive uint, block int) {
	switch k.kt {
	case ck.CKK_AES:
		return ck.CKM_AES_ECB, ck.CKM_AES_CMAC, ck.CKM_AES_KEY_WRAP, ck.CKM_AES_ECB_ENCRYPT_DATA, 16
	case ck.CKK_DES:
		return ck.CKM_DES_ECB, ck.CKM_DES_MAC, ck.CKM_DES_ECB, ck.CKM_DES_ECB_ENCRYPT_DATA, 8
	}
	return ck.CKM_DES3_ECB, ck.CKM_DES3_CMAC, ck.CKM_DES3_ECB, ck.CKM_DES3_ECB_ENCRYPT_DATA, 8
}

// function attributes and what they are called.
var functions = []struct {
	attr uint
	name string
}{
	{ck.CKA_ENCRYPT, "CKA_ENCRYPT"}, {ck.CKA_DECRYPT, "CKA_DECRYPT"},
	{ck.CKA_SIGN, "CKA_SIGN"}, {ck.CKA_VERIFY, "CKA_VERIFY"},
	{ck.CKA_WRAP, "CKA_WRAP"}, {ck.CKA_UNWRAP, "CKA_UNWRAP"},
	{ck.CKA_DERIVE, "CKA_DERIVE"},
}

// permitted returns the function attributes a key of the purpose may have
// true.
func permitted(p ics.KeyPurpose) []uint {
	switch {
	case p.Derives():
		return []uint{ck.CKA_DERIVE}
	case p == ics.PurposeTokenVault:
		return []uint{ck.CKA_ENCRYPT, ck.CKA_DECRYPT}
	case p == ics.PurposeKEK:
		return []uint{ck.CKA_WRAP, ck.CKA_UNWRAP}
	}
	return nil
}

// mechClass is the function a mechanism serves.
func mechClass(m uint) string {
	switch m {
	case ck.CKM_DES_ECB_ENCRYPT_DATA, ck.CKM_DES_CBC_ENCRYPT_DATA, ck.CKM_DES3_ECB_ENCRYPT_DATA, ck.CKM_DES3_CBC_ENCRYPT_DATA,
		ck.CKM_AES_ECB_ENCRYPT_DATA, ck.CKM_AES_CBC_ENCRYPT_DATA:
		return "derive"
	case ck.CKM_AES_KEY_WRAP, ck.CKM_AES_KEY_WRAP_PAD:
		return "wrap"
	case ck.CKM_DES_ECB, ck.CKM_DES_CBC, ck.CKM_DES_CBC_PAD, ck.CKM_DES3_ECB, ck.CKM_DES3_CBC, ck.CKM_DES3_CBC_PAD,
		ck.CKM_AES_ECB, ck.CKM_AES_CBC, ck.CKM_AES_CBC_PAD, ck.CKM_AES_CTR, ck.CKM_AES_GCM, ck.CKM_AES_CCM, ck.CKM_AES_CTS:
		return "encrypt"
	case ck.CKM_DES_MAC, ck.CKM_DES_MAC_GENERAL, ck.CKM_DES3_MAC, ck.CKM_DES3_MAC_GENERAL, ck.CKM_DES3_CMAC, ck.CKM_DES3_CMAC_GENERAL,
		ck.CKM_AES_MAC, ck.CKM_AES_MAC_GENERAL, ck.CKM_AES_CMAC, ck.CKM_AES_CMAC_GENERAL:
		return "sign"
	}
	if m >= ck.CKM_VENDOR_DEFINED {
		return "vendor"
	}
	return "other"
}

// mechFits says whether a mechanism of class c fits the purpose.
func mechFits(p ics.KeyPurpose, c string) bool {
	switch {
	case c == "vendor":
		return true // judged by the function attributes and the attempts
	case p.Derives():
		return c == "derive"
	case p == ics.PurposeTokenVault:
		return c == "encrypt"
	case p == ics.PurposeKEK:
		// A KEK may wrap with a cipher mode too (TDES ECB/CBC wrapping);
		// its CKA_ENCRYPT is false, so it cannot encrypt data with it.
		return c == "wrap" || c == "encrypt"
	}
	return false
}

// mechName names a mechanism for the evidence.
func mechName(m uint) string {
	if n, ok := mechNames[m]; ok {
		return n
	}
	return fmt.Sprintf("mechanism %#x", m)
}

var mechNames = map[uint]string{
	ck.CKM_DES_ECB: "CKM_DES_ECB", ck.CKM_DES_CBC: "CKM_DES_CBC", ck.CKM_DES_MAC: "CKM_DES_MAC",
	ck.CKM_DES3_ECB: "CKM_DES3_ECB", ck.CKM_DES3_CBC: "CKM_DES3_CBC", ck.CKM_DES3_CMAC: "CKM_DES3_CMAC",
	ck.CKM_AES_ECB: "CKM_AES_ECB", ck.CKM_AES_CBC: "CKM_AES_CBC", ck.CKM_AES_CBC_PAD: "CKM_AES_CBC_PAD",
	ck.CKM_AES_GCM: "CKM_AES_GCM", ck.CKM_AES_CTR: "CKM_AES_CTR", ck.CKM_AES_CMAC: "CKM_AES_CMAC",
	ck.CKM_AES_KEY_WRAP: "CKM_AES_KEY_WRAP", ck.CKM_AES_KEY_WRAP_PAD: "CKM_AES_KEY_WRAP_PAD",
	ck.CKM_DES_ECB_ENCRYPT_DATA: "CKM_DES_ECB_ENCRYPT_DATA", ck.CKM_DES_CBC_ENCRYPT_DATA: "CKM_DES_CBC_ENCRYPT_DATA",
	ck.CKM_DES3_ECB_ENCRYPT_DATA: "CKM_DES3_ECB_ENCRYPT_DATA", ck.CKM_DES3_CBC_ENCRYPT_DATA: "CKM_DES3_CBC_ENCRYPT_DATA",
	ck.CKM_AES_ECB_ENCRYPT_DATA: "CKM_AES_ECB_ENCRYPT_DATA", ck.CKM_AES_CBC_ENCRYPT_DATA: "CKM_AES_CBC_ENCRYPT_DATA",
}

// problems collects what a test case found wrong, to fail once with all.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// failIfAny fails the test with every problem, on one line, so that a
// summary that shows a message's first line shows them all.
func (p problems) failIfAny(t *harness.T, what string) {
	if len(p) > 0 {
		t.Failf("%s: %s", what, strings.Join(p, "; "))
	}
}
