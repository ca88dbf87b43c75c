package ics

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every failure is a list
// of *FieldError naming the file, and that whatever parses is usable: it
// summarises, prints and yields an issuer.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(defaultYAML)
	f.Add([]byte("paycert-ics: 1\nimplementation: &i {vendor: a, product: b, version: c}\nemv: *i\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("<<: {paycert-ics: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if c != nil {
				t.Fatal("error with a value")
			}
			for _, p := range problems(err) {
				var fe *FieldError
				if !errors.As(p, &fe) || !strings.HasPrefix(p.Error(), "fuzz.yaml") {
					t.Fatalf("problem %q is not a FieldError naming the file", p)
				}
			}
			return
		}
		if c.Version != SchemaVersion || c.Implementation.Vendor == "" {
			t.Fatalf("parsed without the required fields: %+v", c)
		}
		_ = c.Summary()
		_ = fmt.Sprintf("%v %+v %#v", c, c, c)
		if e := c.EMV; e != nil {
			if len(e.AIDs) == 0 || len(e.Token.BINRanges) == 0 || e.Token.FundingPAN == "" {
				t.Fatalf("emv section without its required values: %+v", e)
			}
			if e.Cryptogram.IMKAC.IsZero() == e.Cryptogram.ICCMasterKey.IsZero() {
				t.Fatal("not exactly one cryptogram key")
			}
			if _, err := e.Issuer("6258881234567898", "01"); err != nil {
				t.Fatalf("a valid ICS gave no issuer: %v", err)
			}
			_ = fmt.Sprintf("%v %+v", *e, e.Cryptogram)
		}
		if tk := c.Token; tk != nil && (tk.LUKTTL <= 0 || tk.LUKMaxUses < 1 || tk.WaitCap < 0) {
			t.Fatalf("token service out of range: %+v", tk)
		}
		if k := c.KeyMgmt; k != nil {
			if len(k.Schemes) == 0 {
				t.Fatal("keymgmt without schemes")
			}
			for _, p := range k.Preloaded {
				if !k.Supports(p.Scheme) || p.BDK.IsZero() || len(p.KSN) != 2*p.Scheme.KSNSize() {
					t.Fatalf("bad preloaded key %v", p)
				}
			}
		}
	})
}
