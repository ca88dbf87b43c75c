package mac_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/paycert/paycert/dukpt/mac"
	"github.com/paycert/paycert/vectors"
)

type cmacFile struct {
	NumberOfTests int               `json:"numberOfTests"`
	Notes         map[string]string `json:"notes"`
	TestGroups    []struct {
		KeyType string `json:"keyType"`
		Key     string `json:"key"`
		TagSize int    `json:"tagSize"`
		Tests   []struct {
			TcID    int      `json:"tcId"`
			Comment string   `json:"comment"`
			Flags   []string `json:"flags"`
			MsgLen  int      `json:"msgLen"`
			Msg     string   `json:"msg"`
			Tag     string   `json:"tag"`
			Result  string   `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCMACVectors(t *testing.T) {
	raw, err := vectors.Read("cmac.json")
	if err != nil {
		t.Fatal(err)
	}
	var f cmacFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	seen := map[int]bool{}
	for _, g := range f.TestGroups {
		key := unhex(t, g.Key)
		var b cipher.Block
		switch g.KeyType {
		case "AES":
			b, err = aes.NewCipher(key)
		case "TDEA":
			b, err = des.NewTripleDESCipher(key)
		default:
			t.Fatalf("key type %q", g.KeyType)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range g.Tests {
			n++
			if seen[tc.TcID] {
				t.Fatalf("duplicate tcId %d", tc.TcID)
			}
			seen[tc.TcID] = true
			for _, fl := range tc.Flags {
				if _, ok := f.Notes[fl]; !ok {
					t.Errorf("tcId %d: flag %q undocumented", tc.TcID, fl)
				}
			}
			t.Run("tcId="+strconv.Itoa(tc.TcID), func(t *testing.T) {
				msg := unhex(t, tc.Msg)
				if len(msg) != tc.MsgLen {
					t.Fatalf("msgLen %d, msg has %d bytes", tc.MsgLen, len(msg))
				}
				want := unhex(t, tc.Tag)
				if len(want)*8 != g.TagSize {
					t.Fatalf("tag size")
				}
				got, err := mac.CMAC(b, msg)
				if err != nil {
					t.Fatal(err)
				}
				if mac.Equal(got, want) != (tc.Result == "valid") {
					t.Fatalf("%s: CMAC %X, tag %X, result %s", tc.Comment, got, want, tc.Result)
				}
				// Streaming in every split gives the same MAC.
				for split := 0; split <= len(msg); split++ {
					h, _ := mac.NewCMAC(b)
					h.Write(msg[:split])
					h.Write(msg[split:])
					if s := h.Sum(nil); !bytes.Equal(s, got) {
						t.Fatalf("split %d: %X", split, s)
					}
				}
			})
		}
	}
	if n != f.NumberOfTests {
		t.Fatalf("numberOfTests %d, ran %d", f.NumberOfTests, n)
	}
}

// referenceCMAC is a direct, unoptimised transcription of SP 800-38B 6.2.
func referenceCMAC(b cipher.Block, m []byte) []byte {
	bs := b.BlockSize()
	rb := byte(0x87)
	if bs == 8 {
		rb = 0x1b
	}
	shift := func(x []byte) []byte {
		out := make([]byte, bs)
		for i := 0; i < bs; i++ {
			out[i] = x[i] << 1
			if i+1 < bs {
				out[i] |= x[i+1] >> 7
			}
		}
		if x[0]&0x80 != 0 {
			out[bs-1] ^= rb
		}
		return out
	}
	l := make([]byte, bs)
	b.Encrypt(l, l)
	k1 := shift(l)
	k2 := shift(k1)
	n := (len(m) + bs - 1) / bs
	complete := n > 0 && len(m)%bs == 0
	if n == 0 {
		n = 1
	}
	last := make([]byte, bs)
	if complete {
		copy(last, m[(n-1)*bs:])
		for i := range last {
			last[i] ^= k1[i]
		}
	} else {
		rest := m[(n-1)*bs:]
		copy(last, rest)
		last[len(rest)] = 0x80
		for i := range last {
			last[i] ^= k2[i]
		}
	}
	c := make([]byte, bs)
	for i := 0; i < n-1; i++ {
		for j := 0; j < bs; j++ {
			c[j] ^= m[i*bs+j]
		}
		b.Encrypt(c, c)
	}
	for j := range c {
		c[j] ^= last[j]
	}
	b.Encrypt(c, c)
	return c
}

func TestCMACRandomAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ak := make([]byte, 32)
	tk := make([]byte, 24)
	for i := range ak {
		ak[i] = byte(rng.Uint32())
	}
	for i := range tk {
		tk[i] = byte(rng.Uint32())
	}
	a, _ := aes.NewCipher(ak)
	d, _ := des.NewTripleDESCipher(tk)
	for _, b := range []cipher.Block{a, d} {
		for n := 0; n < 100; n++ {
			m := make([]byte, n)
			for i := range m {
				m[i] = byte(rng.Uint32())
			}
			got, _ := mac.CMAC(b, m)
			if want := referenceCMAC(b, m); !bytes.Equal(got, want) {
				t.Fatalf("block %d len %d: %X want %X", b.BlockSize(), n, got, want)
			}
		}
	}
}

// referenceRetailMAC is ISO/IEC 9797-1 algorithm 3, padding method 1,
// written out directly with crypto/des.
func referenceRetailMAC(key, data []byte) []byte {
	k1, _ := des.NewCipher(key[:8])
	k2, _ := des.NewCipher(key[8:])
	padded := append([]byte(nil), data...)
	for len(padded)%8 != 0 || len(padded) == 0 {
		padded = append(padded, 0)
	}
	h := make([]byte, 8)
	for i := 0; i < len(padded); i += 8 {
		for j := 0; j < 8; j++ {
			h[j] ^= padded[i+j]
		}
		k1.Encrypt(h, h)
	}
	k2.Decrypt(h, h)
	k1.Encrypt(h, h)
	return h
}

func TestRetailMAC(t *testing.T) {
	key := unhex(t, "0123456789ABCDEFFEDCBA9876543210")
	// Empty data is one block of zeros (padding method 1).
	e, err := mac.RetailMAC(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	z, _ := mac.RetailMAC(key, make([]byte, 8))
	if !bytes.Equal(e, z) || len(e) != 8 {
		t.Fatalf("empty %X, zero block %X", e, z)
	}
	// When K = K' algorithm 3 degenerates to single-DES CBC-MAC.
	same := unhex(t, "0123456789ABCDEF0123456789ABCDEF")
	m, _ := mac.RetailMAC(same, []byte("12345678"))
	c, _ := des.NewCipher(same[:8])
	want := make([]byte, 8)
	c.Encrypt(want, []byte("12345678"))
	if !bytes.Equal(m, want) {
		t.Fatalf("K=K': %X want %X", m, want)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for n := 0; n < 70; n++ {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		got, _ := mac.RetailMAC(key, data)
		if want := referenceRetailMAC(key, data); !bytes.Equal(got, want) {
			t.Fatalf("len %d: %X want %X", n, got, want)
		}
		for split := 0; split <= n; split++ {
			h, _ := mac.NewRetailMAC(key)
			h.Write(data[:split])
			h.Write(data[split:])
			if s := h.Sum(nil); !bytes.Equal(s, got) {
				t.Fatalf("len %d split %d", n, split)
			}
			// Sum does not change the state.
			h.Write([]byte{1})
			h2, _ := mac.NewRetailMAC(key)
			h2.Write(append(append([]byte(nil), data...), 1))
			if !bytes.Equal(h.Sum(nil), h2.Sum(nil)) {
				t.Fatalf("Sum changed the state")
			}
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := mac.RetailMAC(make([]byte, 8), nil); !errors.Is(err, mac.ErrKeySize) {
		t.Fatalf("8-byte key: %v", err)
	}
	if _, err := mac.NewCMAC(nil); !errors.Is(err, mac.ErrBlockSize) {
		t.Fatalf("nil cipher: %v", err)
	}
	if _, err := mac.CMAC(oddBlock{}, nil); !errors.Is(err, mac.ErrBlockSize) {
		t.Fatalf("odd block: %v", err)
	}
	h, _ := mac.NewCMAC(mustAES(t))
	if h.Size() != 16 || h.BlockSize() != 16 {
		t.Fatal("sizes")
	}
	h.Write([]byte("abc"))
	h.Reset()
	want, _ := mac.CMAC(mustAES(t), nil)
	if !bytes.Equal(h.Sum(nil), want) {
		t.Fatal("Reset")
	}
}

func mustAES(t *testing.T) cipher.Block {
	b, err := aes.NewCipher(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type oddBlock struct{}

func (oddBlock) BlockSize() int          { return 12 }
func (oddBlock) Encrypt(dst, src []byte) {}
func (oddBlock) Decrypt(dst, src []byte) {}

func FuzzCMACStreaming(f *testing.F) {
	f.Add([]byte("4012345678909D987"), uint8(5), false)
	f.Add([]byte{}, uint8(0), true)
	f.Fuzz(func(t *testing.T, data []byte, split uint8, tdea bool) {
		var b cipher.Block = mustAES(t)
		if tdea {
			b, _ = des.NewTripleDESCipher(make([]byte, 24))
		}
		s := int(split) % (len(data) + 1)
		h, _ := mac.NewCMAC(b)
		h.Write(data[:s])
		h.Write(data[s:])
		if !bytes.Equal(h.Sum(nil), referenceCMAC(b, data)) {
			t.Fatal("streaming CMAC differs from the reference")
		}
	})
}

func FuzzRetailMACStreaming(f *testing.F) {
	f.Add([]byte("4012345678909D987"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		key := []byte("0123456789ABCDEF")
		s := int(split) % (len(data) + 1)
		h, _ := mac.NewRetailMAC(key)
		h.Write(data[:s])
		h.Write(data[s:])
		if !bytes.Equal(h.Sum(nil), referenceRetailMAC(key, data)) {
			t.Fatal("streaming retail MAC differs from the reference")
		}
	})
}
