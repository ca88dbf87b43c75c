package keymgmt

import (
	"encoding/hex"
	"fmt"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/dukpt/pinblock"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
)

var _ = harness.Case(harness.TestCase{
	ID:    "KEY-KAT-001",
	Suite: "keymgmt", Needs: "pinpad",
	Title:        "TDES DUKPT known answers: the X9.24-1 test key's first 21 PIN blocks",
	Requirement:  "Loaded with the published ANSI X9.24-1 test key (initial KSN FFFF9876543210E00000), a TDES DUKPT PIN pad MUST return for the published test PIN and PAN, in ISO 9564-1 format 0, exactly the published KSNs and PIN blocks of its first 21 transactions.",
	Requirements: []string{reqX924_1, reqPIN1},
}, func(t *harness.T) {
	v := katSetup(t, ics.DUKPTTDES, capISO0, "ISO format 0")
	var p problems
	for i, want := range v.tdes {
		ksn, block := encryptPIN(t, v.tdesPIN, v.tdesPAN, "iso0")
		if !strings.EqualFold(hex.EncodeToString(ksn), want.KSN) || !strings.EqualFold(hex.EncodeToString(block), want.PINBlock) {
			p.add("transaction %d: KSN %X, PIN block %X; published: KSN %s, PIN block %s", i+1, ksn, block, want.KSN, want.PINBlock)
		}
	}
	t.Note("%d transactions compared with ANSI X9.24-1:2009 A.4.2", len(v.tdes))
	Expect(p.n).To(BeZero(), fmt.Sprintf("the PIN pad's answers differ from the published X9.24-1 test data:\n  %s", &p))
})

var _ = harness.Case(harness.TestCase{
	ID:    "KEY-KAT-002",
	Suite: "keymgmt", Needs: "pinpad",
	Title:        "AES-128 DUKPT known answers: the X9.24-3 test key's first 8 transactions, format 4",
	Requirement:  "Loaded with the published ANSI X9.24-3 AES-128 test key (initial key ID 1234567890123456), an AES DUKPT PIN pad MUST use the published KSNs of its first 8 transactions, and each ISO 9564-1 format 4 PIN block for the published test PIN and PAN MUST decipher under the published PIN key of its transaction.",
	Requirements: []string{reqX924_3KAT, reqPIN1},
}, func(t *harness.T) {
	v := katSetup(t, ics.DUKPTAES128, capISO4, "ISO format 4")
	var p problems
	for i, want := range v.aes {
		ksn, block := encryptPIN(t, v.aesPIN, v.aesPAN, "iso4")
		if !strings.EqualFold(hex.EncodeToString(ksn), want.KSN) {
			p.add("transaction %d: KSN %X, published %s", i+1, ksn, want.KSN)
			continue
		}
		pk, err := dukpt.ParseKey(dukpt.AES128, want.PINKey)
		t.Must(err, "embedded vectors")
		ci, err := pk.Cipher()
		t.Must(err, "published PIN key")
		pin, err := pinblock.DecryptFormat4(ci, block, v.aesPAN)
		if err != nil || pin != v.aesPIN {
			p.add("transaction %d (KSN %X): PIN block %X does not decipher to the published PIN under the published PIN key (KCV %X)", i+1, ksn, block, pk.KCV())
		}
	}
	t.Note("%d transactions compared with the ANSI X9.24-3:2017 supplement", len(v.aes))
	Expect(p.n).To(BeZero(), fmt.Sprintf("the PIN pad's answers differ from the published X9.24-3 test data:\n  %s", &p))
})

// katSetup is the common start of a known-answer test: the scheme and the
// PIN block format must be declared and the published test key loadable;
// it loads the key and returns the embedded vectors.
func katSetup(t *harness.T, scheme ics.DUKPTScheme, formatCap, formatName string) kat {
	s, ok := find(t, scheme)
	if !ok {
		t.NotApplicable(fmt.Sprintf("the PIN pad does not declare %s, or the ICS does not list it", scheme))
	}
	if !t.HasCapability(Role, capLoad) {
		t.NotApplicable("the known answers need the published test key loaded, and the PIN pad does not declare load-initial-key")
	}
	if !t.HasCapability(Role, formatCap) {
		t.NotApplicable(fmt.Sprintf("the published PIN blocks are %s, which the PIN pad does not declare (%s)", formatName, formatCap))
	}
	v, err := knownAnswers()
	t.Must(err, "embedded vectors")
	k, err := testKey(s)
	t.Must(err, "test key")
	loadKey(t, k)
	return v
}
