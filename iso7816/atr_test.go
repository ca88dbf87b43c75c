package iso7816

import (
	"encoding/hex"
	"errors"
	"testing"
)

func TestParseATR(t *testing.T) {
	for _, tc := range []struct {
		id, comment, atr string
		ok               bool
	}{
		{"direct-no-bytes", "TS T0 only: T=0, no historical bytes", "3B00", true},
		{"paycert-ref", "the reference card's ATR: T=0 and T=1, ten historical bytes, TCK", "3B8A80017061796365727400010260", true},
		{"bad-tck", "the same with a TCK that does not check", "3B8A80017061796365727400010200", false},
		{"no-tck", "T=1 indicated, TCK missing", "3B808001", false},
		{"t1-tck", "TD1, TD2 say T=0, T=1; TCK makes the XOR zero", "3B80800101", true},
		{"hist", "three historical bytes, T=0", "3B03414243", true},
		{"inverse", "TS 3F", "3F00", true},
		{"one-byte", "an ATR of FF alone", "FF", false},
		{"bad-ts", "TS neither 3B nor 3F", "FF00", false},
		{"short-hist", "T0 announces 5 historical bytes, 2 follow", "3B054142", false},
		{"extra", "a byte after the historical bytes, no TCK due", "3B0041", false},
		{"ta1", "TA1 present", "3B1011", true},
		{"td-runs-off", "TD1 announces bytes that are missing", "3B80F0", false},
	} {
		b, err := hex.DecodeString(tc.atr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseATR(b)
		if (err == nil) != tc.ok {
			t.Errorf("%s (%s): ParseATR(%s) = %v, want ok %v", tc.id, tc.comment, tc.atr, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrATR) {
			t.Errorf("%s: error %v does not wrap ErrATR", tc.id, err)
		}
	}
}

func FuzzParseATR(f *testing.F) {
	for _, s := range []string{"3B00", "3B8A80017061796365727400010260", "3B80800101", "FF", "3BFF"} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseATR(b)
		if err == nil && len(a.Protocols) == 0 {
			t.Errorf("ParseATR(%X) accepted without a protocol", b)
		}
	})
}
