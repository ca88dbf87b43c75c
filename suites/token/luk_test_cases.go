package token

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/mask"
)

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-LUK-001",
	Suite: "token", Needs: "tsp",
	Title:        "A LUK works within its time to live and is declined after it",
	Requirement:  "A token service MUST approve a cryptogram made with a limited-use key within the key's time to live and MUST decline one made after the time to live has passed.",
	Requirements: []string{reqSeedLUK, reqDSS6, reqSSF},
	// Without a test clock the case waits real time, at most maxWait.
	Timeout: maxWait + time.Minute,
}, func(t *harness.T) {
	s := needTSP(t)
	switch {
	case s.clock:
	case s.waitCap() == 0:
		t.NotApplicable("the adapter declares no test-clock capability and no ICS token.wait-cap allows waiting for a LUK to expire in real time")
	case s.ics != nil && s.ics.Token != nil && s.ics.Token.LUKTTL+time.Second > s.waitCap():
		t.NotApplicable(fmt.Sprintf("the adapter declares no test-clock capability and waiting out the declared LUK time to live (%v) exceeds the ICS's wait-cap (%v)", s.ics.Token.LUKTTL, s.waitCap()))
	}
	// Two tokens, each with one fresh key: the first is used inside its
	// time to live, the second (unused, so not spent) after it.
	a := s.provision(s.testPAN(), s.device("ttl-a"))
	b := s.provision(s.testPAN(), s.device("ttl-b"))
	la := a.issueLUK(0)
	lb := b.issueLUK(0)
	issued := time.Now() // both keys were issued before this instant
	ttl := max(la.TTLSeconds, lb.TTLSeconds)
	if s.clock {
		if ttl > 1 {
			s.advance(ttl - 1)
		}
		_, d := a.pay()
		Expect(d.approved).To(BeTrue(), fmt.Sprintf("a cryptogram made with a LUK %d s into its %d s time to live was %s", ttl-1, ttl, d))
		s.advance(2)
		_, d = b.pay()
		Expect(d.approved).To(BeFalse(), fmt.Sprintf("a cryptogram made with a LUK 1 s after its %d s time to live was approved", ttl))
		return
	}
	wait := time.Duration(ttl)*time.Second + time.Second
	if wait > s.waitCap() {
		t.NotApplicable(fmt.Sprintf("the adapter declares no test-clock capability and waiting out the LUK's %d s time to live exceeds the wait cap (%v, ICS token.wait-cap)", ttl, s.waitCap()))
	}
	_, d := a.pay()
	Expect(d.approved).To(BeTrue(), fmt.Sprintf("a cryptogram made with a LUK just issued (time to live %d s) was %s", ttl, d))
	s.sleepUntil(issued.Add(wait))
	_, d = b.pay()
	Expect(d.approved).To(BeFalse(), fmt.Sprintf("a cryptogram made with a LUK at least 1 s after its %d s time to live was approved", ttl))
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-LUK-002",
	Suite: "token", Needs: "tsp",
	Title:        "The (N+1)th use of an N-use LUK is declined",
	Requirement:  "A token service MUST approve up to N transactions made with a limited-use key granted N uses and MUST decline the (N+1)th.",
	Requirements: []string{reqSeedLUK, reqDSS6},
}, func(t *harness.T) {
	s := needTSP(t)
	p := s.provision(s.testPAN(), s.device("n-use"))
	l := p.issueLUK(3)
	n := l.MaxUses
	if n > maxUsesTested {
		t.NotApplicable(fmt.Sprintf("the LUK was granted %d uses; the suite spends at most %d", n, maxUsesTested))
	}
	for i := 1; i <= n; i++ {
		_, d := p.pay()
		Expect(d.approved).To(BeTrue(), fmt.Sprintf("use %d of a LUK granted %d uses was %s", i, n, d))
	}
	_, d := p.pay()
	Expect(d.approved).To(BeFalse(), fmt.Sprintf("use %d of a LUK granted %d uses was approved", n+1, n))
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-LUK-003",
	Suite: "token", Needs: "tsp",
	Title:        "A one-time LUK is declined on second use",
	Requirement:  "A token service that issues a one-time limited-use key MUST approve its first transaction and decline any later one.",
	Requirements: []string{reqSeedLUK, reqDSS6},
}, func(t *harness.T) {
	s := needTSP(t)
	p := s.provision(s.testPAN(), s.device("one-time"))
	l := p.issueLUK(1)
	if l.MaxUses != 1 {
		t.NotApplicable(fmt.Sprintf("asked for a one-time LUK, the token service granted %d uses: it issues no one-time keys", l.MaxUses))
	}
	_, d := p.pay()
	Expect(d.approved).To(BeTrue(), fmt.Sprintf("the first use of a one-time LUK was %s", d))
	_, d = p.pay()
	Expect(d.approved).To(BeFalse(), "the second use of a one-time LUK was approved")
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-AUT-001",
	Suite: "token", Needs: "tsp",
	Title:        "The cryptogram binds the token, LUK, amount, UN and ATC",
	Requirement:  "A token service MUST verify each token cryptogram under the limited-use key of that token and MUST decline it when the amount, unpredictable number, ATC or token differ from what it covers, when a bit of it is changed, or when it was made with a key the token does not hold; a genuine one MUST be approved.",
	Requirements: []string{reqSeedDyn, reqSeedLUK, reqDSS6, reqSSF},
}, func(t *harness.T) {
	s := needTSP(t)
	p := s.provision(s.testPAN(), s.device("bind"))
	other := s.provision(s.testPAN(), s.device("bind-other"))
	p.issueLUK(8)
	lo := other.issueLUK(1)

	forged := func(what string, mutate func(a *authorizeParams)) {
		a := p.sign(p.nextTx())
		mutate(&a)
		d := s.authorize(a)
		t.Note("%s: %s", what, d)
		Expect(d.approved).To(BeFalse(), fmt.Sprintf("%s: the token service approved it", what))
	}
	forged("amount raised by 1 after the cryptogram was made", func(a *authorizeParams) { a.Amount++ })
	forged("unpredictable number changed after the cryptogram was made", func(a *authorizeParams) { a.UN = flipHex(a.UN) })
	forged("ATC changed after the cryptogram was made", func(a *authorizeParams) { a.ATC = (a.ATC + 0x1000) & 0xFFFF })
	forged("one bit of the cryptogram flipped", func(a *authorizeParams) { a.Cryptogram = flipHex(a.Cryptogram) })
	forged("cryptogram made with a key the token service never issued", func(a *authorizeParams) {
		k, err := emvcrypto.NewLUK(s.t.Session().Rand(emvcrypto.LUKLen))
		t.Must(err, "test key")
		tx := txOf(t, *a)
		ac, err := emvcrypto.TokenCryptogram(k, tx)
		t.Must(err, "token cryptogram")
		a.Cryptogram = fmt.Sprintf("%X", ac)
	})
	forged("cryptogram made with another token's LUK, naming that LUK", func(a *authorizeParams) {
		*a = other.signWith(lo, txOf(t, *a))
		a.Token = p.tok.Token
	})
	forged("cryptogram of this token presented for another token", func(a *authorizeParams) {
		tx := txOf(t, *a)
		tx.Token = other.tok.Token
		*a = p.signWith(p.luk, tx)
	})
	_, d := p.pay()
	Expect(d.approved).To(BeTrue(), fmt.Sprintf("a genuine cryptogram made with a fresh LUK was %s", d))
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-RPL-001",
	Suite: "token", Needs: "tsp",
	Title:        "An approved authorisation replayed as is is declined",
	Requirement:  "A token service MUST decline an authorisation that repeats an approved one (same token, ATC and cryptogram).",
	Requirements: []string{reqDSS6, reqSeedDyn},
}, func(t *harness.T) {
	s := needTSP(t)
	p := s.provision(s.testPAN(), s.device("replay"))
	l := p.issueLUK(4)
	a, d := p.pay()
	Expect(d.approved).To(BeTrue(), fmt.Sprintf("a genuine first authorisation was %s", d))
	d = s.authorize(a)
	t.Note("replay of ATC %d with the same cryptogram: %s", a.ATC, d)
	Expect(d.approved).To(BeFalse(), fmt.Sprintf("the replay of an approved authorisation (ATC %d, same cryptogram) was approved", a.ATC))
	// The decline shows replay detection only if the token service still
	// approves the token's genuine transactions: one that declines
	// everything after a first approval declines the replay too.
	if l.MaxUses < 2 {
		p.issueLUK(4)
	}
	a, d = p.pay()
	t.Note("a genuine new transaction after the replay (ATC %d): %s", a.ATC, d)
	if !d.approved {
		t.Errorf("a genuine new transaction after the replay (ATC %d, a fresh cryptogram under a LUK with uses left) was %s: the token service declines the token's genuine transactions as well, so its decline of the replay does not show that it detects replays", a.ATC, d)
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-RPL-002",
	Suite: "token", Needs: "tsp",
	Title:        "A fresh cryptogram reusing an approved ATC is declined",
	Requirement:  "A token service MUST decline a transaction whose ATC an approved transaction of the same token already used, even with a new unpredictable number and a valid cryptogram, and even under a newly issued limited-use key.",
	Requirements: []string{reqDSS6, reqSeedDyn, "EMV Book 3 Annex A1 9F36"},
}, func(t *harness.T) {
	s := needTSP(t)
	p := s.provision(s.testPAN(), s.device("atc"))
	p.issueLUK(4)
	a, d := p.pay()
	Expect(d.approved).To(BeTrue(), fmt.Sprintf("a genuine first authorisation was %s", d))

	tx := txOf(t, a)
	copy(tx.UN[:], s.t.Session().Rand(4))
	tx.Amount++
	d = s.authorize(p.sign(tx))
	t.Note("ATC %d again, new unpredictable number and cryptogram: %s", tx.ATC, d)
	Expect(d.approved).To(BeFalse(), fmt.Sprintf("a second transaction with the approved ATC %d (new unpredictable number, valid cryptogram) was approved", tx.ATC))

	p.issueLUK(4)
	copy(tx.UN[:], s.t.Session().Rand(4))
	d = s.authorize(p.sign(tx))
	t.Note("ATC %d again under a newly issued LUK: %s", tx.ATC, d)
	Expect(d.approved).To(BeFalse(), fmt.Sprintf("the approved ATC %d was accepted again under a newly issued LUK", tx.ATC))
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-ICS-001",
	Suite: "token", Needs: "tsp",
	Title:        "Issued LUKs follow the LUK policy the ICS declares",
	Requirement:  "A limited-use key issued without a requested use count MUST carry the time to live and the maximum number of uses the ICS declares (token.luk-ttl, token.luk-max-uses).",
	Requirements: []string{reqSeedLUK},
}, func(t *harness.T) {
	s := needTSP(t)
	if s.ics == nil {
		t.NotApplicable("no ICS was given (certify run --ics FILE): the declared LUK policy is unknown")
	}
	decl := s.ics.Token
	p := s.provision(s.testPAN(), s.device("policy"))
	l := p.issueLUK(0)
	Expect(l.TTLSeconds).To(Equal(int64(decl.LUKTTL/time.Second)), fmt.Sprintf("the LUK's time to live is %d s; the ICS declares %v", l.TTLSeconds, decl.LUKTTL))
	Expect(l.MaxUses).To(Equal(decl.LUKMaxUses), fmt.Sprintf("the LUK allows %d uses; the ICS declares %d", l.MaxUses, decl.LUKMaxUses))
})

// txOf recovers the transaction of authorize params the suite built.
func txOf(t *harness.T, a authorizeParams) emvcrypto.TokenTx {
	tx := emvcrypto.TokenTx{Token: a.Token, Amount: uint64(a.Amount), Currency: uint16(a.Currency), Date: a.Date, ATC: uint16(a.ATC)}
	un, err := hex.DecodeString(a.UN)
	if err != nil || len(un) != 4 {
		t.Errorf("test case bug: unpredictable number %q is not 4 bytes of hex", a.UN)
	}
	copy(tx.UN[:], un)
	return tx
}

// flipHex flips the lowest bit of the last hex digit of s.
func flipHex(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	const digits = "0123456789ABCDEF"
	last := b[len(b)-1]
	for i := range len(digits) {
		if digits[i] == last || (last >= 'a' && last <= 'f' && digits[i] == last-'a'+'A') {
			b[len(b)-1] = digits[i^1]
			break
		}
	}
	return string(b)
}

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-LUK-004",
	Suite: "token", Needs: "tsp",
	Title:        "Every limited-use key is a new key, per request and per token",
	Requirement:  "A token service MUST generate a new key for every limited-use key it issues: no two keys it issues, whether for the same token or for different tokens, may be equal, so their key check values differ.",
	Requirements: []string{reqSeedKeys, reqSeedLUK, reqDSS371, reqDSS361},
}, func(t *harness.T) {
	s := needTSP(t)
	a := s.provision(s.testPAN(), s.device("keys-a"))
	b := s.provision(s.testPAN(), s.device("keys-b"))
	type issued struct {
		tok string
		l   *lukResult
	}
	var all []issued
	for range 3 {
		all = append(all, issued{a.tok.Token, a.issueLUK(1)})
	}
	all = append(all, issued{b.tok.Token, b.issueLUK(1)})
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			x, y := all[i], all[j]
			if !x.l.key.Equal(y.l.key) && !strings.EqualFold(x.l.KCV, y.l.KCV) {
				continue
			}
			what := "two key requests for token " + mask.PAN(x.tok)
			if x.tok != y.tok {
				what = fmt.Sprintf("tokens %s and %s", mask.PAN(x.tok), mask.PAN(y.tok))
			}
			t.Failf("%s got the same limited-use key (LUK %s and LUK %s, both KCV %s): a key must be new for every request and every token", what, x.l.LUKID, y.l.LUKID, strings.ToUpper(x.l.KCV))
		}
	}
	t.Note("%d keys issued (3 for one token, 1 for another): all distinct", len(all))
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-LUK-005",
	Suite: "token", Needs: "tsp",
	Title:        "A limited-use key replaced by a newer one is declined",
	Requirement:  "A token service whose ICS declares that a new limited-use key replaces the token's earlier ones (token.luk-replaces-previous) MUST decline a cryptogram made with an earlier key, uses left notwithstanding, and MUST approve one made with the new key.",
	Requirements: []string{reqSeedKeys, reqSeedLUK, reqDSS374},
}, func(t *harness.T) {
	s := needTSP(t)
	if s.ics == nil || s.ics.Token == nil || !s.ics.Token.LUKReplacesPrevious {
		t.NotApplicable("the ICS does not declare token.luk-replaces-previous: true, so the token service may keep a token's earlier keys valid")
	}
	p := s.provision(s.testPAN(), s.device("replaced-key"))
	old := p.issueLUK(2)
	nw := p.issueLUK(2)
	a := p.signWith(old, p.nextTx())
	d := s.authorize(a)
	t.Note("ATC %d with the replaced LUK %s: %s", a.ATC, old.LUKID, d)
	Expect(d.approved).To(BeFalse(), fmt.Sprintf("a cryptogram made with LUK %s (KCV %s) was approved after LUK %s replaced it", old.LUKID, strings.ToUpper(old.KCV), nw.LUKID))
	_, d = p.pay()
	Expect(d.approved).To(BeTrue(), fmt.Sprintf("a genuine cryptogram made with the new LUK %s was %s", nw.LUKID, d))
})
