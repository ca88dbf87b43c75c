package hsm

import (
	"encoding/hex"
	"slices"
	"strings"

	ck "github.com/miekg/pkcs11"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/probes/pkcs11"
)

var _ = harness.Case(harness.TestCase{
	ID: "HSM-KEY-001", Suite: Suite, Needs: Needs,
	Title:        "Every declared key is in the HSM, of an approved type and length for its purpose",
	Requirement:  "Every key the ICS declares MUST be exactly one secret-key object in the HSM under its label, of an approved algorithm and length for its purpose: AES-128 or longer; TDES only with two or three independent keys and only for derivation keys (TDES 3-key also for a KEK); never single DES.",
	Requirements: []string{reqSeedHSM, reqDSS371, reqNIST57},
	Exercises:    exKey,
}, func(t *harness.T) {
	h := token(t)
	var p problems
	for _, d := range declaredHSM(t).Keys {
		k, problem := find(t, h, d)
		t.Exercised(exKey)
		if problem != "" {
			p.add("%s (%s): %s", d.Label, d.Purpose, problem)
			continue
		}
		ok, why := k.approved()
		t.Note("%s (%s): %s, %d-bit strength", k.Label, k.Purpose, k.typeName(), k.strength())
		if !ok {
			p.add("%s (%s): %s", k.Label, k.Purpose, why)
		}
	}
	p.failIfAny(t, "declared keys missing or of a type not approved for their purpose")
})

var _ = harness.Case(harness.TestCase{
	ID: "HSM-KEY-002", Suite: Suite, Needs: Needs,
	Title:        "Keys are sensitive, private and have never been extractable",
	Requirement:  "Every declared key MUST have CKA_SENSITIVE and CKA_PRIVATE true, CKA_EXTRACTABLE false, CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE true, and reading its CKA_VALUE MUST fail with CKR_ATTRIBUTE_SENSITIVE: the key never exists in clear outside the HSM.",
	Requirements: []string{reqSeedHSM, reqDSS3612, reqPIN21, reqPKCS11Key},
	Exercises:    exKey,
}, func(t *harness.T) {
	h := token(t)
	want := []struct {
		attr uint
		name string
		val  bool
	}{
		{ck.CKA_SENSITIVE, "CKA_SENSITIVE", true},
		{ck.CKA_PRIVATE, "CKA_PRIVATE", true},
		{ck.CKA_EXTRACTABLE, "CKA_EXTRACTABLE", false},
		{ck.CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE", true},
		{ck.CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE", true},
	}
	var p problems
	for _, k := range keys(t) {
		var got []string
		for _, w := range want {
			v, err := h.Bool(k.o, w.attr)
			if must(t, err, k.Label+" "+w.name) != nil {
				p.add("%s: %s cannot be read (%s)", k.Label, w.name, pkcs11.ErrName(err))
				continue
			}
			got = append(got, w.name+"="+yesNo(v))
			if v != w.val {
				p.add("%s: %s is %s, must be %s", k.Label, w.name, yesNo(v), yesNo(w.val))
			}
		}
		val, err := h.Attribute(k.o, ck.CKA_VALUE)
		n := len(val)
		clear(val)
		switch c, _ := pkcs11.Code(err); {
		case err == nil:
			got = append(got, "CKA_VALUE readable")
			p.add("%s: the token returned CKA_VALUE (%d bytes, not recorded): the key is readable in clear", k.Label, n)
		case c == ck.CKR_ATTRIBUTE_SENSITIVE:
			got = append(got, "CKA_VALUE -> CKR_ATTRIBUTE_SENSITIVE")
		default:
			must(t, err, k.Label+" CKA_VALUE")
			got = append(got, "CKA_VALUE -> "+pkcs11.ErrName(err))
			p.add("%s: reading CKA_VALUE failed with %s, must fail with CKR_ATTRIBUTE_SENSITIVE", k.Label, pkcs11.ErrName(err))
		}
		t.Note("%s: %s", k.Label, strings.Join(got, ", "))
		t.Exercised(exKey)
	}
	p.failIfAny(t, "keys not protected as the HSM must protect them")
})

var _ = harness.Case(harness.TestCase{
	ID: "HSM-KEY-003", Suite: Suite, Needs: Needs,
	Title:        "Every key serves its one purpose only",
	Requirement:  "Every declared key MUST serve only its declared purpose: a derivation key (issuer master keys, LUK master key, BDK) MUST NOT encrypt, decrypt, sign, verify, wrap or unwrap; a token vault key MUST NOT sign, wrap or derive; a KEK MUST NOT encrypt, decrypt, sign or derive. Its function attributes, its allowed mechanisms (CKA_ALLOWED_MECHANISMS, where the token supports it) and the token's answers to such requests MUST agree.",
	Requirements: []string{reqPIN19, reqDSS361, reqPKCS11Key},
	Exercises:    exKey,
}, func(t *harness.T) {
	h := token(t)
	ks := keys(t)
	// A key of the test's own to offer for wrapping.
	target, err := h.GenerateSessionKey(16, ck.NewAttribute(ck.CKA_EXTRACTABLE, true), ck.NewAttribute(ck.CKA_SENSITIVE, true))
	t.Must(err, "C_GenerateKey (a session AES-128 key for the wrapping attempts)")
	defer h.Destroy(target)
	var p problems
	for _, k := range ks {
		allowed := permitted(k.Purpose)
		var on []string
		for _, f := range functions {
			v, err := h.Bool(k.o, f.attr)
			if must(t, err, k.Label+" "+f.name) != nil {
				p.add("%s: %s cannot be read (%s)", k.Label, f.name, pkcs11.ErrName(err))
				continue
			}
			if !v {
				continue
			}
			on = append(on, f.name)
			if !slices.Contains(allowed, f.attr) {
				p.add("%s (%s): %s is true", k.Label, k.Purpose, f.name)
			}
		}
		t.Note("%s (%s): functions %s", k.Label, k.Purpose, strings.Join(on, ", "))

		ecb, mac, wrap, derive, block := k.mechanisms()
		attempt := func(what string, attr uint, err error) {
			if slices.Contains(allowed, attr) {
				return
			}
			must(t, err, k.Label+" "+what)
			if err == nil {
				p.add("%s (%s): the token let it %s", k.Label, k.Purpose, what)
				t.Note("%s: %s -> done", k.Label, what)
				return
			}
			t.Note("%s: %s -> %s", k.Label, what, pkcs11.ErrName(err))
		}
		attempt("encrypt ("+mechName(ecb)+")", ck.CKA_ENCRYPT, h.Try(pkcs11.OpEncrypt, ecb, k.o, block))
		attempt("decrypt ("+mechName(ecb)+")", ck.CKA_DECRYPT, h.Try(pkcs11.OpDecrypt, ecb, k.o, block))
		attempt("sign ("+mechName(mac)+")", ck.CKA_SIGN, h.Try(pkcs11.OpSign, mac, k.o, block))
		if !slices.Contains(allowed, ck.CKA_WRAP) {
			n, err := h.Wrap(wrap, k.o, target)
			attempt("wrap a key ("+mechName(wrap)+")", ck.CKA_WRAP, err)
			_ = n
		}
		if !slices.Contains(allowed, ck.CKA_DERIVE) {
			attempt("derive a key ("+mechName(derive)+")", ck.CKA_DERIVE, h.Derive(derive, k.o, make([]byte, 16)))
		}

		mechs, err := h.Mechanisms(k.o)
		switch c, _ := pkcs11.Code(err); {
		case c == ck.CKR_ATTRIBUTE_TYPE_INVALID:
			t.Note("%s: the token does not support CKA_ALLOWED_MECHANISMS", k.Label)
		case must(t, err, k.Label+" CKA_ALLOWED_MECHANISMS") != nil:
			p.add("%s: CKA_ALLOWED_MECHANISMS cannot be read (%s)", k.Label, pkcs11.ErrName(err))
		case len(mechs) == 0:
			t.Note("%s: CKA_ALLOWED_MECHANISMS is empty (no restriction beyond the function attributes)", k.Label)
		default:
			names := make([]string, len(mechs))
			for i, m := range mechs {
				names[i] = mechName(m)
				if c := mechClass(m); !mechFits(k.Purpose, c) {
					p.add("%s (%s): CKA_ALLOWED_MECHANISMS lists %s, a %s mechanism", k.Label, k.Purpose, mechName(m), c)
				}
			}
			t.Note("%s: CKA_ALLOWED_MECHANISMS %s", k.Label, strings.Join(names, ", "))
		}
		t.Exercised(exKey)
	}
	p.failIfAny(t, "keys that serve more than their declared purpose")
})

var _ = harness.Case(harness.TestCase{
	ID: "HSM-KEY-004", Suite: Suite, Needs: Needs,
	Title:        "No key leaves the HSM under a key the test makes, or under a weaker key",
	Requirement:  "No declared key MAY be wrapped (exported) under a wrapping key the tester creates in the HSM, and no key that can wrap or unwrap keys MAY be weaker than any declared key it could protect: a key is never protected by a weaker one.",
	Requirements: []string{reqDSS361, reqDSS3612, reqPIN21, reqNIST57},
	Exercises:    exKey,
}, func(t *harness.T) {
	h := token(t)
	ks := keys(t)
	own, err := h.GenerateSessionKey(32, ck.NewAttribute(ck.CKA_WRAP, true), ck.NewAttribute(ck.CKA_SENSITIVE, true), ck.NewAttribute(ck.CKA_EXTRACTABLE, false))
	t.Must(err, "C_GenerateKey (the test's own AES-256 wrapping key)")
	defer h.Destroy(own)
	var p problems
	for _, k := range ks {
		n, err := h.Wrap(ck.CKM_AES_KEY_WRAP, own, k.o)
		must(t, err, k.Label+" C_WrapKey")
		if err == nil {
			p.add("%s: the token wrapped it under the test's own key (%d bytes, not recorded): anyone who can log in can export it", k.Label, n)
			t.Note("%s: wrap under the test's AES-256 key -> done", k.Label)
		} else {
			t.Note("%s: wrap under the test's AES-256 key -> %s", k.Label, pkcs11.ErrName(err))
		}
		t.Exercised(exKey)
	}
	for _, w := range ks {
		wraps, err1 := h.Bool(w.o, ck.CKA_WRAP)
		unwraps, err2 := h.Bool(w.o, ck.CKA_UNWRAP)
		must(t, err1, w.Label+" CKA_WRAP")
		must(t, err2, w.Label+" CKA_UNWRAP")
		if !wraps && !unwraps {
			continue
		}
		for _, k := range ks {
			if k.o == w.o {
				continue
			}
			if w.strength() < k.strength() {
				p.add("%s (%s, %d bits) can wrap or unwrap keys but is weaker than %s (%s, %d bits)", w.Label, w.typeName(), w.strength(), k.Label, k.typeName(), k.strength())
			}
			if !wraps {
				continue
			}
			_, _, mech, _, _ := w.mechanisms()
			n, err := h.Wrap(mech, w.o, k.o)
			must(t, err, w.Label+" C_WrapKey "+k.Label)
			if err == nil {
				t.Note("%s: wrap %s -> done (%d bytes, not recorded)", w.Label, k.Label, n)
				if w.strength() < k.strength() {
					p.add("%s: the token wrapped %s under the weaker %s", k.Label, k.Label, w.Label)
				}
			}
		}
		t.Note("%s (%s, %d bits) wraps or unwraps keys; the strongest declared key has %d bits", w.Label, w.typeName(), w.strength(), strongest(ks))
	}
	p.failIfAny(t, "keys that can leave the HSM or are protected by weaker keys")
})

func strongest(ks []key) int {
	m := 0
	for _, k := range ks {
		m = max(m, k.strength())
	}
	return m
}

var _ = harness.Case(harness.TestCase{
	ID: "HSM-KEY-005", Suite: Suite, Needs: Needs,
	Title:        "Every key's check value is the one the ICS declares",
	Requirement:  "The key check value of every declared key, computed in the HSM (CKA_CHECK_VALUE, and the encryption of a zero block where the key may encrypt), MUST be the KCV the ICS declares: the HSM holds the keys the key ceremony recorded, not substitutes.",
	Requirements: []string{reqDSS377, reqPKCS11Key},
	Exercises:    exKey,
}, func(t *harness.T) {
	h := token(t)
	var p problems
	for _, k := range keys(t) {
		checked := false
		cv, err := h.Attribute(k.o, ck.CKA_CHECK_VALUE)
		must(t, err, k.Label+" CKA_CHECK_VALUE")
		if err == nil && len(cv) >= 3 {
			got := strings.ToUpper(hex.EncodeToString(cv[:3]))
			t.Note("%s: CKA_CHECK_VALUE %s, ICS %s", k.Label, got, k.KCV)
			if got != k.KCV {
				p.add("%s: the HSM's check value is %s, the ICS declares %s", k.Label, got, k.KCV)
			}
			checked = true
		} else {
			t.Note("%s: no CKA_CHECK_VALUE (%s)", k.Label, pkcs11.ErrName(err))
		}
		if enc, err := h.Bool(k.o, ck.CKA_ENCRYPT); err == nil && enc {
			ecb, _, _, _, block := k.mechanisms()
			out, err := h.EncryptZeroBlock(ecb, k.o, block)
			must(t, err, k.Label+" C_Encrypt")
			if err == nil && len(out) >= 3 {
				got := strings.ToUpper(hex.EncodeToString(out[:3]))
				clear(out)
				t.Note("%s: %s of a zero block begins %s, ICS %s", k.Label, mechName(ecb), got, k.KCV)
				if got != k.KCV {
					p.add("%s: its encryption of a zero block begins %s, the ICS declares %s", k.Label, got, k.KCV)
				}
				checked = true
			}
		}
		if checked {
			t.Exercised(exKey)
		} else {
			t.Note("%s: the HSM offers no way to compute its check value (no CKA_CHECK_VALUE, no encryption)", k.Label)
		}
	}
	p.failIfAny(t, "keys whose check value differs from the ICS")
})

var _ = harness.Case(harness.TestCase{
	ID: "HSM-KEY-006", Suite: Suite, Needs: Needs,
	Title:        "A session without login sees no key",
	Requirement:  "A session that has not logged in MUST NOT see any secret or private key object, and in particular none of the declared keys.",
	Requirements: []string{reqDSS361, reqPKCS11Obj},
	Exercises:    exKey,
}, func(t *harness.T) {
	h := token(t)
	declared := declaredHSM(t).Keys
	objs, state, err := h.Unauthenticated()
	if err != nil {
		t.Errorf("a session without login: %v", err)
	}
	if state != ck.CKS_RO_PUBLIC_SESSION {
		t.Errorf("the new session is in state %d, not CKS_RO_PUBLIC_SESSION: the token logs sessions in by itself, so this cannot be tested", state)
	}
	t.Note("a read-only session without login sees %d objects", len(objs))
	var p problems
	for _, o := range objs {
		if o.Class == ck.CKO_SECRET_KEY || o.Class == ck.CKO_PRIVATE_KEY {
			p.add("a session without login sees a %s labelled %q (CKA_PRIVATE %s)", className(o.Class), o.Label, yesNo(o.Private))
		}
	}
	for _, d := range declared {
		t.Exercised(exKey)
		for _, o := range objs {
			if o.Label == d.Label && o.Class != ck.CKO_SECRET_KEY && o.Class != ck.CKO_PRIVATE_KEY {
				p.add("a session without login sees an object labelled %s (class %#x)", d.Label, o.Class)
			}
		}
	}
	p.failIfAny(t, "key objects visible without login")
})

func className(c uint) string {
	if c == ck.CKO_PRIVATE_KEY {
		return "private key"
	}
	return "secret key"
}

func yesNo(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
