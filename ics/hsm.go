package ics

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// KeyPurpose is the declared purpose of a key object in the HSM.
type KeyPurpose string

// The purposes an ICS may declare for an HSM key.
const (
	PurposeIMKAC      KeyPurpose = "issuer-master-key-ac"  // derives ICC application cryptogram keys
	PurposeIMKSMI     KeyPurpose = "issuer-master-key-smi" // derives secure-messaging integrity keys
	PurposeIMKSMC     KeyPurpose = "issuer-master-key-smc" // derives secure-messaging confidentiality keys
	PurposeTokenVault KeyPurpose = "token-vault-key"       // encrypts the token vault (PAN-to-token map)
	PurposeLUKMaster  KeyPurpose = "luk-master-key"        // derives limited-use keys
	PurposeBDK        KeyPurpose = "bdk"                   // DUKPT base derivation key
	PurposeKEK        KeyPurpose = "kek"                   // wraps and unwraps other keys
)

// KeyPurposes returns every purpose an ICS may declare.
func KeyPurposes() []KeyPurpose {
	return []KeyPurpose{PurposeIMKAC, PurposeIMKSMI, PurposeIMKSMC, PurposeTokenVault, PurposeLUKMaster, PurposeBDK, PurposeKEK}
}

// Derives reports whether keys of the purpose are derivation keys: they
// derive other keys and do nothing else.
func (p KeyPurpose) Derives() bool {
	switch p {
	case PurposeIMKAC, PurposeIMKSMI, PurposeIMKSMC, PurposeLUKMaster, PurposeBDK:
		return true
	}
	return false
}

// HSM is the hsm section: the key objects a PKCS#11 token holds, each by
// label with its purpose and key check value.
type HSM struct {
	// PINEnv names the environment variable that holds the user PIN when
	// the probe URI has no pin-source; "" when not declared.
	PINEnv string
	Keys   []HSMKey
}

// HSMKey is one declared key object.
type HSMKey struct {
	Label   string     // CKA_LABEL of the secret-key object
	Purpose KeyPurpose // what the key is for
	// KCV is the key check value, upper-case hex of 3 bytes: the first
	// three bytes of the key's encryption of a zero block (PKCS#11
	// CKA_CHECK_VALUE).
	KCV string
}

// Key returns the declared key labelled label.
func (h *HSM) Key(label string) (HSMKey, bool) {
	if h == nil {
		return HSMKey{}, false
	}
	for _, k := range h.Keys {
		if k.Label == label {
			return k, true
		}
	}
	return HSMKey{}, false
}

type (
	rawHSM struct {
		PINEnv scalar       `yaml:"pin-env"`
		Keys   []*rawHSMKey `yaml:"keys"`
	}
	rawHSMKey struct {
		Label   scalar `yaml:"label"`
		Purpose scalar `yaml:"purpose"`
		KCV     scalar `yaml:"kcv"`
	}
)

// KCVSize is the length of a declared key check value in bytes.
const KCVSize = 3

// maxLabel bounds a key label (CKA_LABEL has no limit in PKCS#11; real
// tokens keep labels short).
const maxLabel = 64

var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func (c *checker) hsm(r *rawHSM) *HSM {
	const p = "hsm"
	h := &HSM{}
	if !c.absent(r.PINEnv.set, p, "pin-env", false) {
		s := r.PINEnv
		if !s.isText() || !envNameRe.MatchString(s.value) {
			c.add(s.line, p+".pin-env", "must be the name of an environment variable (letters, digits and _, not starting with a digit), not the PIN itself")
		} else {
			h.PINEnv = s.value
		}
	}
	if r.Keys == nil {
		c.absent(false, p, "keys", true)
	} else if len(r.Keys) == 0 {
		c.add(c.line(p+".keys"), p+".keys", "must list at least one key")
	}
	names := make([]string, 0, len(KeyPurposes()))
	for _, k := range KeyPurposes() {
		names = append(names, string(k))
	}
	labels := map[string]bool{}
	for i, rk := range r.Keys {
		ip := fmt.Sprintf("%s.keys[%d]", p, i)
		if rk == nil {
			c.add(c.line(ip), ip, "must be a mapping with label, purpose and kcv")
			continue
		}
		var k HSMKey
		ok := true
		if !c.absent(rk.Label.set, ip, "label", true) {
			s := rk.Label
			v := s.value
			switch {
			case !s.isText():
				c.addf(s.line, ip+".label", "must be a string, not %s", s.what())
				ok = false
			case v == "" || strings.TrimSpace(v) != v:
				c.add(s.line, ip+".label", "must not be empty or begin or end with spaces")
				ok = false
			case len(v) > maxLabel || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
				c.addf(s.line, ip+".label", "must be at most %d bytes of printable UTF-8", maxLabel)
				ok = false
			case labels[v]:
				c.addf(s.line, ip+".label", "duplicate label %s", display(v))
				ok = false
			default:
				k.Label = v
			}
			labels[v] = true
		} else {
			ok = false
		}
		if v, vok := c.enum(rk.Purpose, ip, "purpose", true, names); vok {
			k.Purpose = KeyPurpose(v)
		} else {
			ok = false
		}
		if b := c.hexBytes(rk.KCV, ip, "kcv", true, []int{KCVSize}); b != nil {
			k.KCV = strings.ToUpper(hex.EncodeToString(b))
		} else {
			ok = false
		}
		if ok {
			h.Keys = append(h.Keys, k)
		}
	}
	return h
}

// hsmSummary adds the hsm section to a Summary map: labels, purposes and
// KCVs, which are not secret.
func hsmSummary(m map[string]string, h *HSM) {
	if h == nil {
		m["hsm"] = "not declared"
		return
	}
	if h.PINEnv != "" {
		m["hsm.pin-env"] = h.PINEnv
	}
	for i, k := range h.Keys {
		pre := fmt.Sprintf("hsm.keys[%d].", i)
		m[pre+"label"] = k.Label
		m[pre+"purpose"] = string(k.Purpose)
		m[pre+"kcv"] = k.KCV
	}
}
