package token

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/iso7816"
	"github.com/paycert/paycert/mask"
	"github.com/paycert/paycert/probes"
	"github.com/paycert/paycert/terminal"
	"github.com/paycert/paycert/tlv"
)

// lukCard is the wallet side of paycert's in-process reference card
// (iut/card): loading it with a token and a LUK puts it in LUK mode.
type lukCard interface {
	LoadLUK(token string, key emvcrypto.Key, uses int, notAfter time.Time) error
	ClearLUK()
}

// maxCardUses bounds the uses TOK-CRD-001 spends through the card.
const maxCardUses = 50

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-CRD-001",
	Suite: "token", Needs: "tsp",
	Title:        "Card side: the card pays with the TSP's LUK and stops when it is spent or expired",
	Requirement:  "A cloud card loaded with a token and a limited-use key from the token service MUST pay with cryptograms the token service approves while the key has uses and validity left, and once the key is spent or expired MUST decline or ask for replenishment, never producing an approvable cryptogram (ARQC or TC) with it.",
	Requirements: []string{reqSeedLUK, reqSeedDyn, reqSSF},
}, func(t *harness.T) {
	s := needTSP(t)
	sc := t.Session().Card
	if sc == nil {
		t.NotApplicable("the session has no card: the card side needs a card together with the token service: paycert's reference card (ref:, or --probe ref:?only=card beside a token service's adapter), or a card probe and the card app's wallet adapter (role wallet)")
	}
	load, clearCard := cardLoader(t, sc)
	defer clearCard()

	p := s.provision(s.fundingPAN(), s.device("card"))
	l := p.issueLUK(2)
	n := min(l.MaxUses, maxCardUses)
	load(p.tok.Token, l, n, time.Now().Add(time.Duration(l.TTLSeconds)*time.Second))
	t.Note("card loaded with token %s, LUK %s for %d uses", mask.PAN(p.tok.Token), l.LUKID, n)

	for i := 1; i <= n; i++ {
		r := cardPay(t, s)
		Expect(r.refused).To(BeEmpty(), fmt.Sprintf("use %d of %d: the card refused to pay with a LUK that has uses left", i, n))
		Expect(r.typ).To(Equal("ARQC"), fmt.Sprintf("use %d of %d: the card answered %s, not an ARQC", i, n, r.typ))
		Expect(r.pan == p.tok.Token).To(BeTrue(), fmt.Sprintf("use %d: the card presents %s, not the token it was loaded with", i, mask.PAN(r.pan)))
		err := emvcrypto.VerifyTokenCryptogram(l.key, r.tx, r.ac)
		Expect(err).NotTo(HaveOccurred(), fmt.Sprintf("use %d: the card's cryptogram does not verify under the LUK it holds", i))
		d := s.authorize(paramsOf(r.tx, l.LUKID, r.ac))
		t.Note("use %d: ATC %d, token service: %s", i, r.tx.ATC, d)
		Expect(d.approved).To(BeTrue(), fmt.Sprintf("use %d: the token service %s the card's cryptogram", i, d))
	}
	r := cardPay(t, s)
	noApprovable(t, r, l.key, fmt.Sprintf("after the LUK's %d uses were spent", n))

	// A key whose validity has already ended when the wallet delivers it.
	l2 := p.issueLUK(2)
	load(p.tok.Token, l2, max(1, min(l2.MaxUses, maxCardUses)), time.Now().Add(-time.Second))
	r = cardPay(t, s)
	noApprovable(t, r, l2.key, "with a LUK whose validity has ended")
})

// walletRole is the adapter role through which a card app receives its
// token and LUK (docs/adapter-protocol.md, "### wallet").
const walletRole = "wallet"

// walletLoad are the params of wallet.load_luk.
type walletLoad struct {
	Token    string `json:"token"`
	LUKID    string `json:"luk_id"`
	LUK      string `json:"luk"`
	KCV      string `json:"kcv"`
	MaxUses  int    `json:"max_uses"`
	NotAfter string `json:"not_after"`
}

// PANs lets the harness mask the token in the evidence.
func (w walletLoad) PANs() []string { return []string{w.Token} }

// cardLoader returns how the test case loads the card with a token and a
// LUK, and how it returns the card to its personalised behaviour: in
// process for paycert's reference card, else through the card app's
// wallet adapter (role wallet); the test case is not applicable without
// either.
func cardLoader(t *harness.T, sc probes.Card) (load func(token string, l *lukResult, uses int, notAfter time.Time), clearCard func()) {
	if lc, ok := sc.(lukCard); ok {
		return func(token string, l *lukResult, uses int, notAfter time.Time) {
			t.Must(lc.LoadLUK(token, l.key, uses, notAfter), "loading the LUK into the reference card")
		}, lc.ClearLUK
	}
	if t.Session().Hosts[walletRole] == nil {
		t.NotApplicable(fmt.Sprintf("the card (%s) is not paycert's in-process reference card and no adapter offers its wallet role (wallet.load_luk), so the suite cannot give it a token and LUK", sc.URI()))
	}
	load = func(token string, l *lukResult, uses int, notAfter time.Time) {
		var r struct{}
		t.MustCall(walletRole, "wallet.load_luk", walletLoad{
			Token: token, LUKID: l.LUKID, LUK: strings.ToUpper(hex.EncodeToString(l.key.Bytes())), KCV: strings.ToUpper(l.KCV),
			MaxUses: uses, NotAfter: notAfter.UTC().Format(time.RFC3339),
		}, &r)
		// The card app may have reset: power the card afresh before paying.
		delete(t.Values, "powered")
	}
	clearCard = func() {
		// Best effort, also after a failure: the test case's verdict is
		// already set, so an error here is only noted.
		c := t.Session().Hosts[walletRole]
		if c == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), harness.ExchangeTimeout)
		defer cancel()
		if err := c.Call(ctx, "wallet.clear", map[string]any{}, nil); err != nil {
			t.Note("wallet.clear: %v", err)
		}
	}
	return load, clearCard
}

// cardResult is what the card answered to one payment.
type cardResult struct {
	refused string // the status word, when the card refused
	typ     string // ARQC, TC, AAC
	pan     string
	ac      []byte
	tx      emvcrypto.TokenTx // the cryptogram input, from the terminal's data and the card's ATC
}

// noApprovable fails the test when the card produced an ARQC or TC.
func noApprovable(t *harness.T, r cardResult, key emvcrypto.Key, when string) {
	if r.refused != "" {
		t.Note("%s the card refused: %s", when, r.refused)
		return
	}
	t.Note("%s the card answered %s", when, r.typ)
	if r.typ == "AAC" {
		return
	}
	how := "a cryptogram"
	if emvcrypto.VerifyTokenCryptogram(key, r.tx, r.ac) == nil {
		how = "a cryptogram that verifies under the key"
	}
	t.Failf("%s the card still answered an %s, %s, instead of declining or asking for replenishment", when, r.typ, how)
}

// cardPay taps the card once with an online-capable qPBOC reader: select
// the UnionPay application and GET PROCESSING OPTIONS.
func cardPay(t *harness.T, s *svc) cardResult {
	if t.Values["powered"] == nil {
		t.Reset()
		t.Values["powered"] = true
	}
	k := terminal.Terminal{X: t}
	apps, err := k.SelectPPSE()
	t.Must(err, "application selection")
	var aid []byte
	for _, a := range apps {
		if bytes.HasPrefix(a.AID, []byte{0xA0, 0x00, 0x00, 0x03, 0x33}) {
			aid = a.AID
			break
		}
	}
	if aid == nil {
		t.Errorf("application selection: the PPSE lists no UnionPay application (RID A000000333)")
	}
	fci, err := k.SelectAID(aid)
	t.Must(err, "application selection")

	now := time.Now().UTC()
	cur := s.currency()
	tx := terminal.Tx{
		TTQ: [4]byte{0x36, 0x80, 0x00, 0x00}, Amount: uint64(100 + t.Session().IntN(20000)),
		Country: 0x0156, Currency: uint16(bcd2(uint64(cur))), Type: 0x00, TermType: 0x22,
		Date: [3]byte(terminal.BCD(uint64(now.Year()%100*10000+int(now.Month())*100+now.Day()), 3)),
	}
	copy(tx.UN[:], t.Session().Rand(4))
	g, err := k.GPO(fci.PDOL, tx)
	var swErr *iso7816.Error
	if errors.As(err, &swErr) {
		return cardResult{refused: swErr.Error()}
	}
	t.Must(err, "GET PROCESSING OPTIONS")
	if g.Cryptogram == nil {
		t.Errorf("GET PROCESSING OPTIONS: a qPBOC reader got no cryptogram (format %d answer)", g.Format)
	}
	c := g.Cryptogram
	eff, err := c.Effective()
	t.Must(err, "cryptogram type")
	r := cardResult{typ: terminal.TypeName(eff), ac: c.AC}
	if o, ok := tlv.Find(g.TLVs, 0x57); ok {
		r.pan, _, _ = strings.Cut(strings.ToUpper(hex.EncodeToString(o.Value)), "D")
	} else if o, ok := tlv.Find(g.TLVs, 0x5A); ok {
		r.pan = strings.TrimRight(strings.ToUpper(hex.EncodeToString(o.Value)), "F")
	}
	r.tx = emvcrypto.TokenTx{
		Token: r.pan, Amount: tx.Amount, Currency: cur,
		Date: fmt.Sprintf("%X", tx.Date[:]), UN: tx.UN, ATC: c.ATC,
	}
	return r
}

// bcd2 encodes v (at most 4 digits) as a 2-byte BCD value.
func bcd2(v uint64) uint16 {
	b := terminal.BCD(v, 2)
	return uint16(b[0])<<8 | uint16(b[1])
}
