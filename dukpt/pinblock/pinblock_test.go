package pinblock_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/paycert/paycert/dukpt/pinblock"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tdea(t testing.TB) cipher.Block {
	b, err := des.NewTripleDESCipher([]byte("0123456789ABCDEFFEDCBA98"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func aes128(t testing.TB) cipher.Block {
	b, err := aes.NewCipher([]byte("0123456789ABCDEF"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// counterReader yields 0, 1, 2, ... so fills are deterministic.
type counterReader struct{ n byte }

func (r *counterReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

func TestFormat0Known(t *testing.T) {
	// X9.24-1:2009 A.4 input: PIN 1234, PAN 4012345678909.
	b, err := pinblock.EncodeFormat0("1234", "4012345678909")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ToUpper(hex.EncodeToString(b)); got != "041274EDCBA9876F" {
		t.Fatalf("got %s", got)
	}
}

func TestRoundTrips(t *testing.T) {
	pans := []string{"4012345678909", "4111111111111111", "1234567890123456789", "5", "12345678901", "123456789012"}
	for l := 4; l <= 12; l++ {
		pin := "987654321098"[:l]
		for _, pan := range pans {
			b0, err := pinblock.EncryptFormat0(tdea(t), pin, pan)
			if err != nil {
				t.Fatal(err)
			}
			if p, f, err := pinblock.Decrypt(tdea(t), b0, pan); err != nil || p != pin || f != pinblock.Format0 {
				t.Fatalf("format 0 %q/%q: %q %v %v", pin, pan, p, f, err)
			}
			b3, err := pinblock.EncryptFormat3(tdea(t), pin, pan, &counterReader{})
			if err != nil {
				t.Fatal(err)
			}
			if p, f, err := pinblock.Decrypt(tdea(t), b3, pan); err != nil || p != pin || f != pinblock.Format3 {
				t.Fatalf("format 3 %q/%q: %q %v %v", pin, pan, p, f, err)
			}
			b4, err := pinblock.EncryptFormat4(aes128(t), pin, pan, &counterReader{})
			if err != nil {
				t.Fatal(err)
			}
			if p, f, err := pinblock.Decrypt(aes128(t), b4, pan); err != nil || p != pin || f != pinblock.Format4 {
				t.Fatalf("format 4 %q/%q: %q %v %v", pin, pan, p, f, err)
			}
			// The wrong PAN does not give the PIN back.
			if p, _, err := pinblock.Decrypt(aes128(t), b4, "4000000000000002"); err == nil && p == pin {
				t.Fatalf("format 4 decrypted under the wrong PAN")
			}
		}
	}
}

func TestFormat3Fill(t *testing.T) {
	b, err := pinblock.EncodeFormat3("1234", "4012345678909", &counterReader{n: 250})
	if err != nil {
		t.Fatal(err)
	}
	// XOR the PAN field back out and check every fill nibble is A..F.
	pan := unhex(t, "0000401234567890")
	for i := range b {
		b[i] ^= pan[i]
	}
	s := strings.ToUpper(hex.EncodeToString(b))
	if !strings.HasPrefix(s, "341234") {
		t.Fatalf("field %s", s)
	}
	for _, c := range s[6:] {
		if c < 'A' || c > 'F' {
			t.Fatalf("fill %s", s)
		}
	}
	if _, err := pinblock.EncodeFormat3("1234", "4012345678909", strings.NewReader("")); err == nil {
		t.Fatal("short random source accepted")
	}
	if _, err := pinblock.EncodeFormat3("1234", "4012345678909", nil); err == nil {
		t.Fatal("nil random source accepted")
	}
}

func TestFormat4Fields(t *testing.T) {
	f, err := pinblock.PANField4("12345")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ToUpper(hex.EncodeToString(f)); got != "00000000123450000000000000000000" {
		t.Fatalf("short PAN field %s", got)
	}
	f, _ = pinblock.PANField4("1234567890123456789")
	if got := strings.ToUpper(hex.EncodeToString(f)); got != "71234567890123456789000000000000" {
		t.Fatalf("19-digit PAN field %s", got)
	}
	if _, err := pinblock.PINField4("1234", io.LimitReader(&counterReader{}, 7)); err == nil {
		t.Fatal("short random accepted")
	}
}

func TestMalformed(t *testing.T) {
	pan := "4012345678909"
	panField := unhex(t, "0000401234567890")
	mk := func(field string) []byte {
		b := unhex(t, field)
		for i := range b {
			b[i] ^= panField[i]
		}
		return b
	}
	for _, field := range []string{
		"141234FFFFFFFFFF", // format 1 control
		"031234FFFFFFFFFF", // length 3
		"0D1234567890123F", // length 13
		"04123AFFFFFFFFFF", // non-digit in PIN
		"041234FFFFFFFFFE", // format 0 fill not F
		"3412349AAAAAAAAA", // format 3 fill below A
	} {
		if p, _, err := pinblock.Decode(mk(field), pan); !errors.Is(err, pinblock.ErrMalformed) {
			t.Errorf("field %s: %q %v", field, p, err)
		}
	}
	if _, _, err := pinblock.Decode(make([]byte, 7), pan); !errors.Is(err, pinblock.ErrBlockSize) {
		t.Errorf("7-byte block: %v", err)
	}
	for _, bad := range []string{"", "12345678901234567890", "40123456789O9"} {
		if _, err := pinblock.EncodeFormat0("1234", bad); !errors.Is(err, pinblock.ErrInvalidPAN) {
			t.Errorf("PAN %q: %v", bad, err)
		}
	}
	for _, bad := range []string{"123", "1234567890123", "12a4", ""} {
		if _, err := pinblock.EncodeFormat0(bad, pan); !errors.Is(err, pinblock.ErrInvalidPIN) {
			t.Errorf("PIN %q: %v", bad, err)
		}
	}
	for _, field := range []string{
		"341234AAAAAAAAAA0000000000000000", // control 3
		"431234AAAAAAAAAA0000000000000000", // length 3
		"441234AAAAAAAAAB0000000000000000", // fill B
		"44123AAAAAAAAAAA0000000000000000", // non-digit PIN
	} {
		if _, err := pinblock.DecodePINField4(unhex(t, field)); !errors.Is(err, pinblock.ErrMalformed) {
			t.Errorf("format 4 field %s: %v", field, err)
		}
	}
	if _, err := pinblock.EncryptFormat4(tdea(t), "1234", pan, &counterReader{}); !errors.Is(err, pinblock.ErrBlockSize) {
		t.Errorf("format 4 with TDEA: %v", err)
	}
	if _, err := pinblock.EncryptFormat0(aes128(t), "1234", pan); !errors.Is(err, pinblock.ErrBlockSize) {
		t.Errorf("format 0 with AES: %v", err)
	}
	if _, _, err := pinblock.Decrypt(nil, make([]byte, 8), pan); err == nil {
		t.Error("nil cipher accepted")
	}
	if _, err := pinblock.DecryptFormat4(aes128(t), make([]byte, 15), pan); !errors.Is(err, pinblock.ErrBlockSize) {
		t.Errorf("15-byte format 4 block: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(unhex(f, "041274EDCBA9876F"), "4012345678909")
	f.Add(make([]byte, 8), "0")
	f.Add([]byte{1, 2, 3}, "")
	f.Fuzz(func(t *testing.T, block []byte, pan string) {
		pin, format, err := pinblock.Decode(block, pan)
		if err != nil {
			if pin != "" {
				t.Fatal("PIN returned with an error")
			}
			return
		}
		if format == pinblock.Format0 {
			again, err := pinblock.EncodeFormat0(pin, pan)
			if err != nil || !bytes.Equal(again, block) {
				t.Fatalf("format 0 %q does not re-encode to the block: %X %v", pin, again, err)
			}
		} else if format != pinblock.Format3 {
			t.Fatalf("format %d", format)
		}
	})
}

func FuzzDecryptFormat4(f *testing.F) {
	b := aes128(f)
	blk, _ := pinblock.EncryptFormat4(b, "1234", "4111111111111111", &counterReader{})
	f.Add(blk, "4111111111111111")
	f.Add(make([]byte, 16), "1")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, block []byte, pan string) {
		pin, err := pinblock.DecryptFormat4(b, block, pan)
		if err != nil {
			return
		}
		// Recover the random tail and re-encrypt: must give the block back.
		panField, err := pinblock.PANField4(pan)
		if err != nil {
			t.Fatal(err)
		}
		var field [16]byte
		b.Decrypt(field[:], block)
		for i := range field {
			field[i] ^= panField[i]
		}
		b.Decrypt(field[:], field[:])
		again, err := pinblock.EncryptFormat4(b, pin, pan, bytes.NewReader(field[8:]))
		if err != nil || !bytes.Equal(again, block) {
			t.Fatalf("re-encryption differs")
		}
	})
}

func FuzzDecodePINField4(f *testing.F) {
	f.Add(unhex(f, "441234AAAAAAAAAA2F69ADDE2E9E7ACE"))
	f.Add([]byte{0x4c})
	f.Fuzz(func(t *testing.T, field []byte) {
		pin, err := pinblock.DecodePINField4(field)
		if err != nil {
			return
		}
		again, err := pinblock.PINField4(pin, bytes.NewReader(field[8:]))
		if err != nil || !bytes.Equal(again, field) {
			t.Fatalf("PIN field %X does not re-encode", field)
		}
	})
}
