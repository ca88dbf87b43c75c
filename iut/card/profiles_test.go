package card_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/iut/card"
)

// TestProfilesMatchICS holds every card profile to the ICS `certify ics
// --profile` prints for it: applications, cryptogram version, key index,
// token range, funding PAN, PSN, CVM limit, currency and country.
func TestProfilesMatchICS(t *testing.T) {
	for _, name := range card.Profiles() {
		p, err := card.LookupProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ics.Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		e := c.EMV
		var aids []string
		for _, a := range p.AIDs {
			aids = append(aids, fmt.Sprintf("%X", a))
		}
		if !slices.Equal(aids, e.AIDs) || e.CVN() != p.CVN || int(p.KeyIndex) != int(e.Cryptogram.KeyIndex) ||
			!e.Token.InRange(p.Token) || e.Token.FundingPAN != p.FundingPAN || e.Token.PSN != fmt.Sprintf("%02X", p.PSN) ||
			uint64(e.CVMLimit) != p.CVMLimit || fmt.Sprintf("%04d", e.Currency) != fmt.Sprintf("%04X", p.Currency) ||
			fmt.Sprintf("%04d", e.TerminalCountry()) != fmt.Sprintf("%04X", p.Country) || e.GenerateAC != (p.Kernel != card.KernelQVSDC) {
			t.Errorf("profile %s and its ICS disagree (ICS %v)", name, c.Summary())
		}
	}
}
