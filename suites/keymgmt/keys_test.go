package keymgmt

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/ics"
)

// TestKeys checks the suite's key contexts: its own test keys against the
// published IPEK and initial key, an ICS preloaded key, and the KSN checks.
func TestKeys(t *testing.T) {
	v, err := knownAnswers()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.tdes) != 21 || len(v.aes) != 8 {
		t.Fatalf("KAT vectors: %d TDES, %d AES transactions", len(v.tdes), len(v.aes))
	}
	for _, s := range allSchemes {
		k, err := testKey(s)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		b := k.ik.Bytes()
		switch s.name {
		case ics.DUKPTTDES:
			if !strings.EqualFold(hex.EncodeToString(b), v.tdesIPEK) {
				t.Errorf("TDES test IPEK is not the published one")
			}
		case ics.DUKPTAES128:
			if !strings.EqualFold(hex.EncodeToString(b), v.aesIK) {
				t.Errorf("AES-128 test initial key is not the published one")
			}
		}
		if k.ik.Type() != s.bdkType {
			t.Errorf("%s: initial key type %v", s.name, k.ik.Type())
		}
	}

	conf, err := ics.Load("../../ics/testdata/keymgmt-preloaded.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := conf.KeyMgmt.PreloadedKey(ics.DUKPTTDES)
	if !ok {
		t.Fatal("no preloaded TDES key")
	}
	k, err := preloadedKey(allSchemes[0], p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(hex.EncodeToString(k.ik.Bytes()), v.tdesIPEK) || k.loaded {
		t.Errorf("preloaded TDES key: IPEK or state wrong")
	}
	ksn, _ := hex.DecodeString("FFFF9876543210E00001")
	if c, prob := k.checkKSN(ksn); prob != "" || c != 1 {
		t.Errorf("checkKSN(E00001): %d %q", c, prob)
	}
	for ksnHex, want := range map[string]string{
		"FFFF9876543210E007FF": "11 one bits",
		"FFFF9876543210E00000": "zero",
		"FFFF9876543211E00001": "does not carry the initial KSN",
		"FFFF9876543210E000":   "has 9 bytes",
	} {
		ksn, _ := hex.DecodeString(ksnHex)
		if _, prob := k.checkKSN(ksn); !strings.Contains(prob, want) {
			t.Errorf("checkKSN(%s) = %q, want %q", ksnHex, prob, want)
		}
	}
	p, _ = conf.KeyMgmt.PreloadedKey(ics.DUKPTAES256)
	k, err = preloadedKey(allSchemes[3], p)
	if err != nil || k.ik.Type() != dukpt.AES256 || k.id.String() != "1234567890123456" {
		t.Errorf("preloaded AES-256 key: %v %v", err, k)
	}
}
