package main

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	ck "github.com/miekg/pkcs11"

	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/iut/hsm"
)

// needSoftHSM skips without SoftHSM2, except under CI=true where it fails.
func needSoftHSM(t *testing.T) string {
	t.Helper()
	m, err := hsm.Module()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return m
}

// hsmICS writes an ICS that declares the token's keys; pinEnv, if set,
// names the variable with the PIN.
func hsmICS(t *testing.T, tok *hsm.Token, pinEnv string) string {
	var b strings.Builder
	b.WriteString("paycert-ics: 1\nimplementation: {vendor: paycert, product: reference HSM test, version: \"1\"}\nhsm:\n")
	if pinEnv != "" {
		fmt.Fprintf(&b, "  pin-env: %s\n", pinEnv)
	}
	b.WriteString("  keys:\n")
	for _, k := range tok.Declared.Keys {
		fmt.Fprintf(&b, "    - {label: %s, purpose: %s, kcv: %s}\n", k.Label, k.Purpose, k.KCV)
	}
	path := filepath.Join(t.TempDir(), "hsm.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// addLeakyKey adds to the token a token-vault key whose value the test
// chose and the token lets anyone read (CKA_SENSITIVE false, CKA_EXTRACTABLE
// true), declares it in the token's record, and returns its value: what
// must never appear in a report although the suite can read it.
func addLeakyKey(t *testing.T, module string, tok *hsm.Token, label string) []byte {
	t.Helper()
	value := make([]byte, 32)
	for i := range value {
		value[i] = byte(0xA0 + i)
	}
	p := ck.New(module)
	defer p.Destroy()
	if err := p.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer p.Finalize()
	slots, err := p.GetSlotList(true)
	if err != nil || len(slots) == 0 {
		t.Fatalf("slots: %v", err)
	}
	s, err := p.OpenSession(slots[0], ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Login(s, ck.CKU_USER, readPINFile(t, tok)); err != nil {
		t.Fatal(err)
	}
	_, err = p.CreateObject(s, []*ck.Attribute{
		ck.NewAttribute(ck.CKA_CLASS, ck.CKO_SECRET_KEY), ck.NewAttribute(ck.CKA_KEY_TYPE, ck.CKK_AES),
		ck.NewAttribute(ck.CKA_TOKEN, true), ck.NewAttribute(ck.CKA_PRIVATE, true), ck.NewAttribute(ck.CKA_LABEL, label),
		ck.NewAttribute(ck.CKA_SENSITIVE, false), ck.NewAttribute(ck.CKA_EXTRACTABLE, true),
		ck.NewAttribute(ck.CKA_ENCRYPT, true), ck.NewAttribute(ck.CKA_DECRYPT, true), ck.NewAttribute(ck.CKA_DERIVE, false),
		ck.NewAttribute(ck.CKA_SIGN, false), ck.NewAttribute(ck.CKA_VERIFY, false),
		ck.NewAttribute(ck.CKA_WRAP, false), ck.NewAttribute(ck.CKA_UNWRAP, false),
		ck.NewAttribute(ck.CKA_VALUE, value),
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := aes.NewCipher(value)
	if err != nil {
		t.Fatal(err)
	}
	kcv := make([]byte, 16)
	c.Encrypt(kcv, kcv)
	tok.Declared.Keys = append(tok.Declared.Keys, ics.HSMKey{Label: label, Purpose: ics.PurposeTokenVault, KCV: strings.ToUpper(hex.EncodeToString(kcv[:3]))})
	return value
}

func readPINFile(t *testing.T, tok *hsm.Token) string {
	b, err := os.ReadFile(tok.PINFile)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// runHSM runs certify against a pkcs11: probe and returns the exit code,
// the output and the report directory.
func runHSM(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command("certify", append([]string{"run", "--out", out, "--seed", "11"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(stdout), out
}

// leaks fails the test if any report file or the output holds one of the
// secrets (PINs, key values as hex in either case).
func leaks(t *testing.T, stdout, dir string, secrets map[string]string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) < 4 {
		t.Fatalf("only %d report files in %s", len(files), dir)
	}
	texts := map[string][]byte{"output": []byte(stdout)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(f)] = b
	}
	for name, text := range texts {
		for what, s := range secrets {
			if bytes.Contains(text, []byte(s)) || bytes.Contains(bytes.ToUpper(text), []byte(strings.ToUpper(s))) {
				t.Errorf("%s holds the %s", name, what)
			}
		}
	}
}

// TestHSMProbe runs certify against SoftHSM2 tokens through the pkcs11:
// probe: a compliant token passes with the PIN from the environment
// variable the ICS names; without a PIN every test case ends in error; a
// token with a key anyone can read fails; and no report file or output
// holds the PIN or the value of the key the token let out.
func TestHSMProbe(t *testing.T) {
	module := needSoftHSM(t)

	clean, err := hsm.Provision(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer clean.Close()
	pin := readPINFile(t, clean)
	uri, _, _ := strings.Cut(clean.URI, "&pin-source=")
	code, stdout, dir := runHSM(t, []string{"PAYCERT_TEST_HSM_PIN=" + pin}, "--probe", uri, "--ics", hsmICS(t, clean, "PAYCERT_TEST_HSM_PIN"))
	if code != 0 || !strings.Contains(stdout, "6 test cases: 6 passed") {
		t.Errorf("compliant token: exit %d\n%s", code, stdout)
	}
	leaks(t, stdout, dir, map[string]string{"user PIN": pin})

	// Without a PIN the test cases end in error, not pass or fail.
	code, stdout, _ = runHSM(t, nil, "--probe", uri, "--ics", hsmICS(t, clean, "PAYCERT_TEST_HSM_NO_PIN"))
	if code != 3 || !strings.Contains(stdout, "6 errors") {
		t.Errorf("no PIN: exit %d\n%s", code, stdout)
	}

	bad, err := hsm.Provision(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	key := addLeakyKey(t, module, bad, "leaky-vault")
	code, stdout, dir = runHSM(t, nil, "--probe", bad.URI, "--ics", hsmICS(t, bad, ""))
	for _, want := range []string{"HSM-KEY-002 +FAIL", "HSM-KEY-004 +FAIL", "HSM-KEY-005 +PASS", "2 failed, 0 errors"} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("readable key: exit %d, output lacks %q\n%s", code, want, stdout)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "report.json")); !bytes.Contains(b, []byte("CKA_VALUE (32 bytes, not recorded)")) {
		t.Errorf("the suite did not read the readable key's value (so the test proves nothing)\n%s", stdout)
	}
	leaks(t, stdout, dir, map[string]string{"user PIN": readPINFile(t, bad), "vault key value": hex.EncodeToString(key)})
}
