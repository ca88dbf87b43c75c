package card_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/iso7816"
	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/terminal"
)

type exchanger struct {
	t *testing.T
	c *card.Card
}

func (x exchanger) Exchange(cmd iso7816.Command) iso7816.Response {
	r, err := iso7816.ParseResponse(x.c.Process(cmd.MustBytes()))
	if err != nil {
		x.t.Fatal(err)
	}
	return r
}

// pay runs one qPBOC transaction and returns the cryptogram, or nil and the
// status word when the card refused.
func pay(t *testing.T, c *card.Card, un byte) (*terminal.Cryptogram, terminal.Tx, error) {
	t.Helper()
	k := terminal.Terminal{X: exchanger{t, c}}
	if _, err := k.SelectPPSE(); err != nil {
		t.Fatal(err)
	}
	fci, err := k.SelectAID(card.AIDDebit)
	if err != nil {
		t.Fatal(err)
	}
	tx := terminal.Tx{TTQ: [4]byte{0x36, 0x80, 0, 0}, Amount: 500, Country: 0x0156, Currency: 0x0156,
		Date: [3]byte{0x26, 0x01, 0x15}, UN: [4]byte{9, 8, 7, un}, TermType: 0x22}
	g, err := k.GPO(fci.PDOL, tx)
	if err != nil {
		return nil, tx, err
	}
	return g.Cryptogram, tx, nil
}

func TestLUKMode(t *testing.T) {
	c, err := card.New(card.DefaultProfile(), "")
	if err != nil {
		t.Fatal(err)
	}
	key, err := emvcrypto.NewLUK(bytes.Repeat([]byte{0x5A}, emvcrypto.LUKLen))
	if err != nil {
		t.Fatal(err)
	}
	const token = "6258880000000019"
	if err := c.LoadLUK(token, key, 2, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		cr, tx, err := pay(t, c, byte(i))
		if err != nil || cr == nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
		lt := emvcrypto.TokenTx{Token: token, Amount: 500, Currency: 156, Date: "260115", UN: tx.UN, ATC: cr.ATC}
		if err := emvcrypto.VerifyTokenCryptogram(key, lt, cr.AC); err != nil {
			t.Errorf("use %d: %v", i+1, err)
		}
	}
	if cr, _, err := pay(t, c, 3); cr != nil || err == nil || !bytes.Contains([]byte(err.Error()), []byte("6985")) {
		t.Errorf("spent LUK: cryptogram %v, error %v; want status 6985", cr, err)
	}
	if err := c.LoadLUK(token, key, 5, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if cr, _, err := pay(t, c, 4); cr != nil || err == nil {
		t.Errorf("expired LUK: cryptogram %v, error %v; want a refusal", cr, err)
	}
	c.ClearLUK()
	if cr, _, err := pay(t, c, 5); err != nil || cr == nil {
		t.Errorf("after ClearLUK: %v", err)
	}

	for name, f := range map[string]func() error{
		"bad Luhn": func() error { return c.LoadLUK("6258880000000018", key, 1, time.Now()) },
		"no uses":  func() error { return c.LoadLUK(token, key, 0, time.Now()) },
		"short":    func() error { return c.LoadLUK("62588800001", key, 1, time.Now()) },
		"zero key": func() error { return c.LoadLUK(token, emvcrypto.Key{}, 1, time.Now()) },
		"triple key": func() error {
			k3, _ := emvcrypto.NewKey(emvcrypto.AlgTDES, make([]byte, 24))
			return c.LoadLUK(token, k3, 1, time.Now())
		},
	} {
		if err := f(); err == nil {
			t.Errorf("%s: LoadLUK accepted it", name)
		}
	}
}

func TestLUKOveruseFault(t *testing.T) {
	c, err := card.New(card.DefaultProfile(), string(card.FaultLUKOveruse))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := emvcrypto.NewLUK(bytes.Repeat([]byte{0x5A}, emvcrypto.LUKLen))
	if err := c.LoadLUK("6258880000000019", key, 1, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if cr, _, err := pay(t, c, byte(i)); err != nil || cr == nil {
			t.Fatalf("faulted card refused use %d: %v", i+1, err)
		}
	}
}
