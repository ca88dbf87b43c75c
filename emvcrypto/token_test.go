package emvcrypto_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/vectors"
)

// tokenVectors is vectors/token-cryptogram.json.
type tokenVectors struct {
	Notes         map[string]string `json:"notes"`
	NumberOfTests int               `json:"numberOfTests"`
	TestGroups    []struct {
		Type  string `json:"type"`
		Tests []struct {
			TcID       int      `json:"tcId"`
			Comment    string   `json:"comment"`
			Flags      []string `json:"flags"`
			Provenance string   `json:"provenance"`
			LUK        string   `json:"luk"`
			KCV        string   `json:"kcv"`
			Token      string   `json:"token"`
			Amount     uint64   `json:"amount"`
			Currency   uint16   `json:"currency"`
			Date       string   `json:"date"`
			UN         string   `json:"un"`
			ATC        uint16   `json:"atc"`
			Input      string   `json:"input"`
			Cryptogram string   `json:"cryptogram"`
			Result     string   `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func TestTokenCryptogramVectors(t *testing.T) {
	raw, err := vectors.Read("token-cryptogram.json")
	if err != nil {
		t.Fatal(err)
	}
	var f tokenVectors
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	seen := map[int]bool{}
	for _, g := range f.TestGroups {
		for _, c := range g.Tests {
			n++
			if seen[c.TcID] {
				t.Fatalf("duplicate tcId %d", c.TcID)
			}
			seen[c.TcID] = true
			for _, fl := range c.Flags {
				if _, ok := f.Notes[fl]; !ok {
					t.Errorf("tcId %d: flag %q undocumented", c.TcID, fl)
				}
			}
			if c.Provenance == "" {
				t.Errorf("tcId %d: no provenance", c.TcID)
			}
			t.Run("tcId="+strconv.Itoa(c.TcID), func(t *testing.T) {
				luk, err := emvcrypto.NewLUK(mustHex(t, c.LUK))
				if err != nil {
					t.Fatal(err)
				}
				if kcv, err := emvcrypto.LUKCheckValue(luk); err != nil || kcv != c.KCV {
					t.Errorf("KCV %q, %v; want %s", kcv, err, c.KCV)
				}
				tx := emvcrypto.TokenTx{Token: c.Token, Amount: c.Amount, Currency: c.Currency, Date: c.Date, ATC: c.ATC}
				copy(tx.UN[:], mustHex(t, c.UN))
				switch {
				case g.Type == "TokenCryptogramBadInputTest":
					if _, err := emvcrypto.TokenCryptogram(luk, tx); err == nil || !strings.HasPrefix(err.Error(), "emvcrypto:") {
						t.Errorf("%s: TokenCryptogram error %v, want an emvcrypto input error", c.Comment, err)
					}
					if err := emvcrypto.VerifyTokenCryptogram(luk, tx, make([]byte, 8)); err == nil || errors.Is(err, emvcrypto.ErrTokenMismatch) {
						t.Errorf("%s: VerifyTokenCryptogram error %v, want an input error", c.Comment, err)
					}
				case c.Result == "valid":
					in, err := emvcrypto.TokenCryptogramInput(tx)
					if err != nil {
						t.Fatal(err)
					}
					if got := strings.ToUpper(hex.EncodeToString(in)); got != c.Input || len(in) != emvcrypto.TokenInputLen {
						t.Errorf("input %s (%d bytes), want %s", got, len(in), c.Input)
					}
					ac, err := emvcrypto.TokenCryptogram(luk, tx)
					if err != nil {
						t.Fatal(err)
					}
					if got := strings.ToUpper(hex.EncodeToString(ac)); got != c.Cryptogram {
						t.Errorf("cryptogram %s, want %s", got, c.Cryptogram)
					}
					if err := emvcrypto.VerifyTokenCryptogram(luk, tx, ac); err != nil {
						t.Errorf("VerifyTokenCryptogram(genuine) = %v", err)
					}
				default:
					if err := emvcrypto.VerifyTokenCryptogram(luk, tx, mustHex(t, c.Cryptogram)); !errors.Is(err, emvcrypto.ErrTokenMismatch) {
						t.Errorf("%s: VerifyTokenCryptogram = %v, want ErrTokenMismatch", c.Comment, err)
					}
				}
			})
		}
	}
	if n != f.NumberOfTests {
		t.Fatalf("numberOfTests %d, ran %d", f.NumberOfTests, n)
	}
}

func TestTokenCryptogramKeys(t *testing.T) {
	tx := emvcrypto.TokenTx{Token: "6258881234567898", Amount: 1, Currency: 156, Date: "260115"}
	if _, err := emvcrypto.NewLUK(make([]byte, 24)); err == nil {
		t.Error("NewLUK accepted a 24-byte key")
	}
	sm4, err := emvcrypto.NewKey(emvcrypto.AlgSM4, make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emvcrypto.TokenCryptogram(sm4, tx); err == nil {
		t.Error("TokenCryptogram accepted an SM4 key")
	}
	if _, err := emvcrypto.TokenCryptogram(emvcrypto.Key{}, tx); err == nil {
		t.Error("TokenCryptogram accepted the zero key")
	}
}

func FuzzTokenCryptogramInput(f *testing.F) {
	f.Add("6258881234567898", uint64(12345), uint16(156), "260115")
	f.Add("", uint64(0), uint16(0), "")
	f.Fuzz(func(t *testing.T, token string, amount uint64, currency uint16, date string) {
		in, err := emvcrypto.TokenCryptogramInput(emvcrypto.TokenTx{Token: token, Amount: amount, Currency: currency, Date: date})
		if err == nil && len(in) != emvcrypto.TokenInputLen {
			t.Fatalf("input of %d bytes", len(in))
		}
	})
}
