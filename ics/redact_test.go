package ics

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

func TestRedactedDefault(t *testing.T) {
	c := Default()
	sum := sha256.Sum256(DefaultYAML())
	if got := c.SHA256(); got != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 %s, want the digest of default.yaml", got)
	}
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"imk-ac: KCV 08D7B4", "funding-pan: 622202XXXXXXXXX0128", "online-only: true", c.SHA256()} {
		if !strings.Contains(s, want) {
			t.Errorf("redacted ICS lacks %q:\n%s", want, s)
		}
	}
	for _, never := range []string{"0123456789ABCDEF", "6222021234567890128", "TEST KEY", "CNY"} {
		if strings.Contains(s, never) {
			t.Errorf("redacted ICS holds %q:\n%s", never, s)
		}
	}
}

func TestRedactedPreloaded(t *testing.T) {
	c, err := Load("testdata/keymgmt-preloaded.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile("testdata/keymgmt-preloaded.yaml")
	for _, p := range c.KeyMgmt.Preloaded {
		if !strings.Contains(string(out), kcvDUKPT(p.BDK)) {
			t.Errorf("redacted ICS lacks the BDK's %s:\n%s", kcvDUKPT(p.BDK), out)
		}
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "bdk:"); ok && k == "" && strings.Contains(string(out), strings.Trim(strings.TrimSpace(v), `"`)) {
			t.Errorf("redacted ICS holds the BDK %s", v)
		}
	}
}

func TestRedactedUnparsed(t *testing.T) {
	if _, err := (&ICS{}).Redacted(); err == nil {
		t.Error("an ICS that Parse did not make was redacted")
	}
	if (&ICS{}).SHA256() != "" {
		t.Error("an ICS that Parse did not make has a digest")
	}
}
