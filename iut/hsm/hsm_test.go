package hsm

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"

	ck "github.com/miekg/pkcs11"
)

// needSoftHSM skips without SoftHSM2, except under CI=true where it fails.
func needSoftHSM(t *testing.T) string {
	t.Helper()
	m, err := Module()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return m
}

// checkValue reads a key's CKA_CHECK_VALUE from the token, logging in with
// the PIN file.
func checkValue(t *testing.T, module string, tok *Token, label string) string {
	t.Helper()
	pin, err := os.ReadFile(tok.PINFile)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	p := ck.New(module)
	defer p.Destroy()
	if err := p.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer p.Finalize()
	slot, err := findSlot(p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Login(s, ck.CKU_USER, strings.TrimSpace(string(pin))); err != nil {
		t.Fatal(err)
	}
	if err := p.FindObjectsInit(s, []*ck.Attribute{ck.NewAttribute(ck.CKA_LABEL, label)}); err != nil {
		t.Fatal(err)
	}
	objs, _, _ := p.FindObjects(s, 2)
	p.FindObjectsFinal(s)
	if len(objs) != 1 {
		t.Fatalf("%s: %d objects", label, len(objs))
	}
	a, err := p.GetAttributeValue(s, objs[0], []*ck.Attribute{ck.NewAttribute(ck.CKA_CHECK_VALUE, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(a[0].Value[:3]))
}

func TestProvision(t *testing.T) {
	module := needSoftHSM(t)
	for _, fault := range []string{"", FaultKCVMismatch} {
		tok, err := Provision(t.TempDir(), fault)
		if err != nil {
			t.Fatal(err)
		}
		if len(tok.Declared.Keys) != 7 {
			t.Fatalf("%d keys declared", len(tok.Declared.Keys))
		}
		if !strings.HasPrefix(tok.URI, "pkcs11:token="+TokenLabel+"?module-path=") {
			t.Errorf("URI %s", tok.URI)
		}
		k, _ := tok.Declared.Key("paycert-imk-ac")
		got := checkValue(t, module, tok, "paycert-imk-ac")
		if (got == k.KCV) != (fault == "") {
			t.Errorf("fault %q: token KCV %s, declared %s", fault, got, k.KCV)
		}
		if err := tok.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(tok.Dir); !os.IsNotExist(err) {
			t.Errorf("Close left %s", tok.Dir)
		}
	}
	if _, err := Provision(t.TempDir(), "no-such-fault"); err == nil {
		t.Error("unknown fault accepted")
	}
}
