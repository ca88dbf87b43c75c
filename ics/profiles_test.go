package ics

import (
	"strings"
	"testing"

	"github.com/paycert/paycert/emvcrypto"
)

// TestProfiles parses every reference profile's ICS and checks the CVM
// method each states.
func TestProfiles(t *testing.T) {
	want := map[string]string{"upi-qpboc": CVMByCTQ, "visa-cvn18": CVMByCTQ, "visa-cvn22": CVMByCTQ, "mc-cvn17": CVMByList}
	for _, name := range ProfileNames() {
		c, err := Profile(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.EMV.CVMMethod != want[name] {
			t.Errorf("%s: cvm-method %q, want %q", name, c.EMV.CVMMethod, want[name])
		}
		if name != "upi-qpboc" && VersionName(c.EMV.CVN()) != name {
			t.Errorf("%s: cryptogram version %s", name, VersionName(c.EMV.CVN()))
		}
	}
	if _, err := Profile("nope"); err == nil || !strings.Contains(err.Error(), "mc-cvn17") {
		t.Errorf("unknown profile: %v", err)
	}
}

// TestCurrencyForms accepts the three-digit and the four-digit (9F42,
// 5F2A) form of a currency and a country, and names both in the error.
func TestCurrencyForms(t *testing.T) {
	base, _ := ProfileYAML("mc-cvn17")
	for _, tc := range []struct {
		currency, country string
		cur, ctry         int
		err               string
	}{
		{`"0978"`, "250", 978, 250, ""},
		{"978", `"0250"`, 978, 250, ""},
		{`"036"`, "36", 36, 36, ""},
		{"1560", "250", 0, 0, `"0156"`},
		{`"0000"`, "250", 0, 0, "1 to 999"},
		{"978", "2500", 0, 0, "emv.country"},
	} {
		y := strings.Replace(string(base), `currency: "0978"`, "currency: "+tc.currency, 1)
		y = strings.Replace(y, "country: 250", "country: "+tc.country, 1)
		c, err := Parse([]byte(y), "x.yaml")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("currency %s country %s: err %v, want %q", tc.currency, tc.country, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("currency %s country %s: %v", tc.currency, tc.country, err)
			continue
		}
		if c.EMV.Currency != tc.cur || c.EMV.TerminalCountry() != tc.ctry {
			t.Errorf("currency %s country %s: got %d, %d", tc.currency, tc.country, c.EMV.Currency, c.EMV.TerminalCountry())
		}
	}
	// Without a country the terminal uses the currency's number.
	c, err := Load("testdata/mc-cvn17-tdes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.EMV.TerminalCountry() != 978 || c.EMV.CVMMethod != CVMByList || c.EMV.CVN() != emvcrypto.CVNMastercard17 {
		t.Errorf("mc-cvn17-tdes.yaml: country %d, cvm-method %s", c.EMV.TerminalCountry(), c.EMV.CVMMethod)
	}
}
