package lukac_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/iut/tsp/lukac"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// example is the worked example of docs/adapter-protocol.md ("### tsp").
// Its cryptogram and check value were also computed independently with
// openssl's single-DES ECB (ISO/IEC 9797-1 algorithm 3 by hand), not only
// with this package.
var example = struct {
	luk, kcv, input, ac string
	tx                  lukac.Tx
}{
	luk:   "404142434445464748494A4B4C4D4E4F",
	kcv:   "8BAF47",
	input: "0000000123450156260115A1B2C3D400216258881234567898FFFF",
	ac:    "B252150F1D92400B",
	tx: lukac.Tx{
		Token: "6258881234567898", Amount: 12345, Currency: 156, Date: "260115",
		UN: [4]byte{0xA1, 0xB2, 0xC3, 0xD4}, ATC: 0x0021,
	},
}

func TestExample(t *testing.T) {
	k, err := lukac.NewKey(mustHex(t, example.luk))
	if err != nil {
		t.Fatal(err)
	}
	in, err := lukac.Input(example.tx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ToUpper(hex.EncodeToString(in)); got != example.input || len(in) != lukac.InputLen {
		t.Errorf("input %s (%d bytes), want %s", got, len(in), example.input)
	}
	ac, err := lukac.Compute(k, example.tx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ToUpper(hex.EncodeToString(ac)); got != example.ac {
		t.Errorf("cryptogram %s, want %s", got, example.ac)
	}
	if kcv, err := lukac.KCV(k); err != nil || kcv != example.kcv {
		t.Errorf("KCV %q, %v; want %s", kcv, err, example.kcv)
	}
	if err := lukac.Verify(k, example.tx, ac); err != nil {
		t.Errorf("Verify(genuine) = %v", err)
	}
	// Any change to a covered field, or to the cryptogram, fails.
	for name, mutate := range map[string]func(*lukac.Tx){
		"amount":   func(tx *lukac.Tx) { tx.Amount++ },
		"currency": func(tx *lukac.Tx) { tx.Currency = 840 },
		"date":     func(tx *lukac.Tx) { tx.Date = "260116" },
		"un":       func(tx *lukac.Tx) { tx.UN[3] ^= 1 },
		"atc":      func(tx *lukac.Tx) { tx.ATC++ },
		"token":    func(tx *lukac.Tx) { tx.Token = "6258881234567880" },
	} {
		tx := example.tx
		mutate(&tx)
		if err := lukac.Verify(k, tx, ac); !errors.Is(err, lukac.ErrMismatch) {
			t.Errorf("%s changed: Verify = %v, want ErrMismatch", name, err)
		}
	}
	bad := append([]byte(nil), ac...)
	bad[0] ^= 0x80
	if err := lukac.Verify(k, example.tx, bad); !errors.Is(err, lukac.ErrMismatch) {
		t.Errorf("flipped cryptogram: Verify = %v, want ErrMismatch", err)
	}
	if err := lukac.Verify(k, example.tx, ac[:7]); !errors.Is(err, lukac.ErrMismatch) {
		t.Errorf("short cryptogram: Verify = %v, want ErrMismatch", err)
	}
}

func TestPadding(t *testing.T) {
	tx := example.tx
	tx.Token = "6258881234567898765" // 19 digits: one F nibble
	in, err := lukac.Input(tx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ToUpper(hex.EncodeToString(in[17:])); got != "6258881234567898765F" {
		t.Errorf("19-digit token field %s", got)
	}
	tx.Amount = lukac.MaxAmount
	if in, err = lukac.Input(tx); err != nil || hex.EncodeToString(in[:6]) != "999999999999" {
		t.Errorf("max amount: %x, %v", in, err)
	}
}

func TestBadInput(t *testing.T) {
	k, err := lukac.NewKey(mustHex(t, example.luk))
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*lukac.Tx){
		"short token":  func(tx *lukac.Tx) { tx.Token = "62588812345" },
		"long token":   func(tx *lukac.Tx) { tx.Token = "62588812345678901234" },
		"letters":      func(tx *lukac.Tx) { tx.Token = "625888123456789A" },
		"amount":       func(tx *lukac.Tx) { tx.Amount = lukac.MaxAmount + 1 },
		"currency":     func(tx *lukac.Tx) { tx.Currency = 1000 },
		"date month":   func(tx *lukac.Tx) { tx.Date = "261315" },
		"date day":     func(tx *lukac.Tx) { tx.Date = "260100" },
		"date letters": func(tx *lukac.Tx) { tx.Date = "26011A" },
		"date length":  func(tx *lukac.Tx) { tx.Date = "2601" },
	} {
		tx := example.tx
		mutate(&tx)
		if _, err := lukac.Compute(k, tx); err == nil || !strings.HasPrefix(err.Error(), "lukac:") {
			t.Errorf("%s: Compute error %v", name, err)
		}
		if err := lukac.Verify(k, tx, make([]byte, 8)); err == nil || errors.Is(err, lukac.ErrMismatch) {
			t.Errorf("%s: Verify error %v, want an input error", name, err)
		}
	}
	if _, err := lukac.NewKey(make([]byte, 24)); err == nil {
		t.Error("NewKey accepted a 24-byte key")
	}
	sm4, err := emvcrypto.NewKey(emvcrypto.AlgSM4, make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lukac.Compute(sm4, example.tx); err == nil {
		t.Error("Compute accepted an SM4 key")
	}
	if _, err := lukac.Compute(emvcrypto.Key{}, example.tx); err == nil {
		t.Error("Compute accepted the zero key")
	}
}

func FuzzInput(f *testing.F) {
	f.Add(example.tx.Token, example.tx.Amount, example.tx.Currency, example.tx.Date)
	f.Add("", uint64(0), uint16(0), "")
	f.Fuzz(func(t *testing.T, token string, amount uint64, currency uint16, date string) {
		in, err := lukac.Input(lukac.Tx{Token: token, Amount: amount, Currency: currency, Date: date})
		if err == nil && len(in) != lukac.InputLen {
			t.Fatalf("input of %d bytes", len(in))
		}
	})
}
