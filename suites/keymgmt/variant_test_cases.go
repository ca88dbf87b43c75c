package keymgmt

import (
	"fmt"
	"slices"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
)

var _ = harness.Case(harness.TestCase{
	ID:    "KEY-VAR-001",
	Suite: "keymgmt", Needs: "pinpad",
	Title:        "TDES: MAC and data encryption use their own variants, never the PIN key",
	Requirement:  "A TDES DUKPT PIN pad MUST compute pinpad.mac as the ANSI X9.19 retail MAC under the MAC-request variant of the transaction key, and pinpad.encrypt_data as TDEA-CBC (zero IV, zero fill) under the data-request key (variant and one-way function), never under the PIN key or another variant, for data of any length including none.",
	Requirements: []string{reqX924_1A, reqDSS36, reqPIN18},
}, func(t *harness.T) {
	s, ok := find(t, ics.DUKPTTDES)
	if !ok {
		t.NotApplicable("the PIN pad does not declare dukpt-tdes, or the ICS does not list it")
	}
	hasMAC, hasData := t.HasCapability(Role, capMAC), t.HasCapability(Role, capData)
	if !hasMAC && !hasData {
		t.NotApplicable("the PIN pad declares neither mac nor data-encryption")
	}
	k := needKey(t, s)
	var p problems
	for _, d := range [][]byte{t.Session().Rand(23), {}, t.Session().Rand(100)} {
		if hasMAC {
			ksn, m := macData(t, d)
			if len(m) != 8 {
				p.add("KSN %X: the MAC has %d bytes; a TDES DUKPT MAC is the full 8-byte X9.19 MAC", ksn, len(m))
			} else if msg := k.checkMAC(ksn, d, m); msg != "" {
				p.add("%s", msg)
			}
		}
		if hasData {
			ksn, ct := encryptData(t, d)
			if msg := k.checkData(ksn, d, ct); msg != "" {
				p.add("%s", msg)
			}
		}
	}
	Expect(p.n).To(BeZero(), fmt.Sprintf("MACs or ciphertexts not under their own variant:\n  %s", &p))
})

var _ = harness.Case(harness.TestCase{
	ID:    "KEY-AES-001",
	Suite: "keymgmt", Needs: "pinpad",
	Title:        "AES: each usage its own working key, never stronger than the derivation key",
	Requirement:  "An AES DUKPT PIN pad MUST encrypt PINs, compute AES-CMACs and encrypt data under the working keys of usage 1000, 2000 and 3000 derived from the transaction's intermediate key, of the same type as that derivation key; it MUST NOT derive a working key stronger than its derivation key (AES-256 from an AES-128 key, say) nor use one usage's key for another.",
	Requirements: []string{reqX924_3, reqDSS37, reqPIN1},
	Exercises:    "AES working key",
}, func(t *harness.T) {
	var p problems
	hasMAC, hasData := t.HasCapability(Role, capMAC), t.HasCapability(Role, capData)
	aes := slices.DeleteFunc(schemes(t), scheme.tdes)
	usable := func(s scheme) string {
		if len(formats(t, s)) == 0 && !hasMAC && !hasData {
			return "the PIN pad declares no transaction for it"
		}
		return ""
	}
	tested := forEachKey(t, aes, usable, func(s scheme, k *keyCtx) {
		check := func(msg string) {
			t.Exercised("AES working key")
			if msg != "" {
				p.add("%s: %s", s.name, msg)
			}
		}
		if len(formats(t, s)) > 0 {
			pin, pan := randomPIN(t), randomPAN(t)
			ksn, block := encryptPIN(t, pin, pan, "iso4")
			check(k.checkPINBlock(ksn, block, pin, pan, "iso4"))
		}
		for _, d := range [][]byte{t.Session().Rand(37), {}} {
			if hasMAC {
				ksn, m := macData(t, d)
				if len(m) != 16 {
					check(fmt.Sprintf("KSN %X: the MAC has %d bytes; an AES DUKPT MAC is the full 16-byte CMAC", ksn, len(m)))
				} else {
					check(k.checkMAC(ksn, d, m))
				}
			}
			if hasData {
				ksn, ct := encryptData(t, d)
				check(k.checkData(ksn, d, ct))
			}
		}
	})
	if tested == 0 {
		t.NotApplicable("no AES DUKPT scheme is declared with a usable key")
	}
	Expect(p.n).To(BeZero(), fmt.Sprintf("AES working keys of the wrong usage or strength:\n  %s", &p))
})
