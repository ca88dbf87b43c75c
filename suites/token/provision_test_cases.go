package token

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/mask"
)

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-PRV-001",
	Suite: "token", Needs: "tsp",
	Title:        "The same card on two devices gets two different tokens",
	Requirement:  "A token service MUST give a card provisioned on two devices two different tokens (and token references), so that each token is bound to one device and one can be suspended or deleted without the other.",
	Requirements: []string{reqEMVCoDomain, reqSeedToken, reqDSS35},
}, func(t *harness.T) {
	s := needTSP(t)
	pan := s.testPAN()
	a := s.provision(pan, s.device("phone-a"))
	b := s.provision(pan, s.device("phone-b"))
	t.Note("card %s: device A token %s, device B token %s", mask.PAN(pan), mask.PAN(a.tok.Token), mask.PAN(b.tok.Token))
	Expect(b.tok.Token == a.tok.Token).To(BeFalse(), fmt.Sprintf("card %s got the same token %s on two devices", mask.PAN(pan), mask.PAN(a.tok.Token)))
	Expect(b.tok.TokenRef == a.tok.TokenRef).To(BeFalse(), "two devices' tokens share one token reference")
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-PRV-002",
	Suite: "token", Needs: "tsp",
	Title:        "Re-provisioning a card after deletion gives a new token",
	Requirement:  "When a card whose token was deleted (a lost or reset phone) is provisioned again on the same device, the token service MUST issue a new token, never the deleted one.",
	Requirements: []string{reqEMVCoLife, reqSeedToken, reqDSS35},
}, func(t *harness.T) {
	s := needTSP(t)
	pan, dev := s.testPAN(), s.device("phone")
	a := s.provision(pan, dev)
	a.mustLifecycle("tsp.delete")
	b := s.provision(pan, dev)
	t.Note("card %s: first token %s (deleted), re-provisioned token %s", mask.PAN(pan), mask.PAN(a.tok.Token), mask.PAN(b.tok.Token))
	Expect(b.tok.Token == a.tok.Token).To(BeFalse(), fmt.Sprintf("re-provisioning card %s gave back the deleted token %s", mask.PAN(pan), mask.PAN(a.tok.Token)))
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-TKN-001",
	Suite: "token", Needs: "tsp",
	Title:        "A token is Luhn-valid, from the declared token BIN range, and not the PAN",
	Requirement:  "A token MUST be 13 to 19 digits, pass the Luhn check, lie in a token BIN range the ICS declares, differ from the funding PAN and not contain the funding PAN's middle digits; a stated token expiry MUST be YYMM.",
	Requirements: []string{reqEMVCoToken, reqDSS35, reqSeedToken},
}, func(t *harness.T) {
	s := needTSP(t)
	ranges := s.tokenRanges()
	if len(ranges) == 0 {
		t.NotApplicable("the run declares no token BIN range (ICS token.bin-ranges or emv.token.bin-ranges), so whether tokens come from the token service's range cannot be checked")
	}
	pan := s.fundingPAN()
	p := s.provision(pan, s.device("phone"))
	tok := p.tok.Token
	t.Note("funding PAN %s, token %s, token expiry %q", mask.PAN(pan), mask.PAN(tok), p.tok.TokenExpiry)
	Expect(len(tok)).To(BeNumerically(">=", 13), fmt.Sprintf("the token has %d digits; a payment token has 13 to 19", len(tok)))
	Expect(len(tok)).To(BeNumerically("<=", 19), fmt.Sprintf("the token has %d digits; a payment token has 13 to 19", len(tok)))
	Expect(mask.Luhn(tok)).To(BeTrue(), fmt.Sprintf("the token %s fails the Luhn check", mask.PAN(tok)))
	Expect(tok == pan).To(BeFalse(), "the token service returned the funding PAN as the token")
	if at := strings.Index(tok, middle(pan)); at >= 0 {
		t.Failf("the token %s contains the funding PAN's middle digits (PAN positions %s) at token positions %d-%d", mask.PAN(tok), middleSpan(pan), at+1, at+len(middle(pan)))
	}
	in := false
	for _, r := range ranges {
		in = in || r.Contains(tok)
	}
	Expect(in).To(BeTrue(), fmt.Sprintf("the token %s lies outside the declared token BIN ranges %v", mask.PAN(tok), ranges))
	if e := p.tok.TokenExpiry; e != "" {
		Expect(e).To(MatchRegexp(`^[0-9]{2}(0[1-9]|1[0-2])$`), fmt.Sprintf("token_expiry %q is not YYMM", e))
	}
})

// derivationSamples is how many test PANs TOK-TKN-002 provisions, and
// relatedPairs how many of them get a twin differing in one middle digit.
const (
	derivationSamples = 8
	relatedPairs      = 4
)

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-TKN-002",
	Suite: "token", Needs: "tsp",
	Title:        "Tokens are not derivable from the PAN",
	Requirement:  "Tokens MUST NOT be computable from the PAN without the token vault: across several cards no token may contain its PAN's middle digits, no token digit may follow a fixed digit-wise rule from a PAN digit, and cards differing in one digit MUST get unrelated tokens.",
	Requirements: []string{reqDSS35, reqSeedToken, reqEMVCoToken},
}, func(t *harness.T) {
	s := needTSP(t)
	type sample struct{ pan, tok string }
	var all []sample
	var pairs [][2]sample
	dev := s.device("derive")
	for i := range derivationSamples {
		pan := s.testPAN()
		a := sample{pan, s.provision(pan, dev).tok.Token}
		all = append(all, a)
		if i < relatedPairs {
			twin := oneDigitTwin(s, pan)
			b := sample{twin, s.provision(twin, dev).tok.Token}
			all = append(all, b)
			pairs = append(pairs, [2]sample{a, b})
		}
	}
	for _, x := range all {
		t.Note("PAN %s -> token %s", mask.PAN(x.pan), mask.PAN(x.tok))
	}

	// 1. No token carries its PAN's middle digits in their place. The
	// message names positions, never digits: the masked token and PAN show
	// the rest, and the middle digits are what masking hides.
	for _, x := range all {
		lo, hi := 6, len(x.pan)-4
		if len(x.tok) >= hi && x.tok[lo:hi] == x.pan[lo:hi] {
			t.Failf("token %s carries the middle digits of PAN %s (positions %s, the digits masking hides) in the same positions", mask.PAN(x.tok), mask.PAN(x.pan), middleSpan(x.pan))
		}
	}

	// 2. No token digit is a fixed shift (or reflection) of a PAN digit
	// across every card.
	pans := make([]string, len(all))
	toks := make([]string, len(all))
	for i, x := range all {
		pans[i], toks[i] = x.pan, x.tok
	}
	if i, j, rule, ok := digitRule(pans, toks); ok {
		t.Failf("token digit %d is %s PAN digit %d for all %d cards: the token is a transform of the PAN", i+1, rule, j+1, len(all))
	}

	// 3. Cards one digit apart get tokens that agree no more than chance.
	prefix := 6
	if r := s.tokenRanges(); len(r) > 0 {
		prefix = len(r[0].Low)
	}
	agree, compared := 0, 0
	for _, pr := range pairs {
		a, b := pr[0].tok, pr[1].tok
		for k := prefix; k < min(len(a), len(b))-1; k++ { // the check digit is left out
			compared++
			if a[k] == b[k] {
				agree++
			}
		}
	}
	t.Note("tokens of cards one digit apart agree in %d of %d free digit positions (about %d expected by chance)", agree, compared, compared/10)
	Expect(2*agree < compared).To(BeTrue(), fmt.Sprintf("tokens of cards that differ in one digit agree in %d of %d free positions: the token follows the PAN", agree, compared))
})

// oneDigitTwin returns pan with one middle digit changed and the check
// digit recomputed.
func oneDigitTwin(s *svc, pan string) string {
	b := []byte(pan[:len(pan)-1])
	k := 6 + s.t.Session().IntN(len(pan)-10)
	b[k] = '0' + (b[k]-'0'+1+byte(s.t.Session().IntN(9)))%10
	twin := string(b) + string(mask.LuhnDigit(string(b)))
	s.sent(twin)
	return twin
}

// middle returns a PAN's middle digits: those between its first six and
// its last four, which a masked PAN hides (mask.PAN).
func middle(pan string) string {
	if len(pan) < 11 {
		return pan
	}
	return pan[6 : len(pan)-4]
}

// middleSpan names the positions (1-based) of a PAN's middle digits.
func middleSpan(pan string) string { return fmt.Sprintf("%d-%d", 7, len(pan)-4) }

// digitRule looks for a token position i and a PAN position j such that,
// for every sample, token[i] = PAN[j] + c or token[i] = c - PAN[j]
// (mod 10) with one constant c, where PAN digit j takes at least three
// values across the samples. The chance that random tokens show such a rule
// for 12 samples is about 1e-9 per position pair.
func digitRule(pans, toks []string) (i, j int, rule string, ok bool) {
	n := len(pans)
	minTok, minPAN := 19, 19
	for k := range n {
		minTok, minPAN = min(minTok, len(toks[k])), min(minPAN, len(pans[k]))
	}
	for j = range minPAN {
		seen := map[byte]bool{}
		for k := range n {
			seen[pans[k][j]] = true
		}
		if len(seen) < 3 {
			continue
		}
		for i = range minTok {
			shift, reflect := true, true
			for k := 1; k < n; k++ {
				d0 := (10 + int(toks[0][i]) - int(pans[0][j])) % 10
				dk := (10 + int(toks[k][i]) - int(pans[k][j])) % 10
				s0 := (int(toks[0][i]-'0') + int(pans[0][j]-'0')) % 10
				sk := (int(toks[k][i]-'0') + int(pans[k][j]-'0')) % 10
				shift = shift && d0 == dk
				reflect = reflect && s0 == sk
			}
			switch {
			case shift:
				return i, j, fmt.Sprintf("a fixed shift (+%d mod 10) of", (10+int(toks[0][i])-int(pans[0][j]))%10), true
			case reflect:
				return i, j, "a fixed reflection of", true
			}
		}
	}
	return 0, 0, "", false
}

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-PRV-003",
	Suite: "token", Needs: "tsp",
	Title:        "A card whose PAN fails the Luhn check is not provisioned",
	Requirement:  "A token service MUST refuse to provision a card that is not eligible, such as a PAN that fails the Luhn check, with refusal 1001, while it provisions an eligible card.",
	Requirements: []string{reqEMVCoElig, reqSeedToken},
}, func(t *harness.T) {
	s := needTSP(t)
	pan := s.testPAN()
	s.provision(pan, s.device("eligible"))
	b := []byte(pan)
	last := len(b) - 1
	b[last] = '0' + (b[last]-'0'+1+byte(s.t.Session().IntN(9)))%10
	bad := string(b)
	s.sent(bad)
	p, err := s.tryProvision(bad, s.device("ineligible"))
	if err == nil {
		t.Failf("the token service provisioned card %s, whose PAN fails the Luhn check (its eligible twin differs only in the check digit), as token %s", mask.PAN(bad), mask.PAN(p.tok.Token))
	}
	code, _ := adapter.ErrorCode(err)
	t.Note("a PAN failing the Luhn check: %v", err)
	Expect(code).To(Equal(adapter.CodeDeclined), fmt.Sprintf("a card whose PAN fails the Luhn check was refused with code %d; the protocol's refusal for an ineligible card is 1001", code))
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-PRV-004",
	Suite: "token", Needs: "tsp",
	Title:        "An expired card is not provisioned",
	Requirement:  "A token service MUST refuse to provision a card whose expiry date has passed, with refusal 1002, while it provisions the same card with an expiry date ahead.",
	Requirements: []string{reqEMVCoElig, reqSeedToken},
}, func(t *harness.T) {
	s := needTSP(t)
	pan := s.testPAN()
	s.provision(pan, s.device("valid-card"))
	now := time.Now().UTC()
	past := fmt.Sprintf("%02d%02d", (now.Year()-1)%100, int(now.Month()))
	p, err := s.tryProvisionExpiring(pan, past, s.device("expired-card"))
	if err == nil {
		t.Failf("the token service provisioned card %s with expiry %s (a year ago) as token %s", mask.PAN(pan), past, mask.PAN(p.tok.Token))
	}
	code, _ := adapter.ErrorCode(err)
	t.Note("the card with expiry %s: %v", past, err)
	Expect(code).To(Equal(adapter.CodeExpired), fmt.Sprintf("an expired card was refused with code %d; the protocol's refusal for an expired card is 1002", code))
})
