// Package mac implements the two block-cipher message authentication codes
// used around DUKPT: the ANSI X9.19 "retail MAC" (ISO/IEC 9797-1 MAC
// algorithm 3 with padding method 1 over single DES) and CMAC (NIST SP
// 800-38B, RFC 4493) over any 64- or 128-bit block cipher.
//
// Both are offered as one-shot functions and as hash.Hash implementations
// for streaming use. Sum never changes the state of a hash.Hash returned
// here, so more data may be written after it.
//
// Compare MACs with Equal (constant time), never with bytes.Equal.
package mac

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
)

// ErrKeySize is returned (wrapped) for a key of an unsupported length.
var ErrKeySize = errors.New("mac: invalid key size")

// ErrBlockSize is returned (wrapped) for a block cipher whose block size is
// neither 8 nor 16 bytes.
var ErrBlockSize = errors.New("mac: unsupported block size")

// Equal reports whether two MACs are equal, in time that depends only on
// their lengths.
func Equal(mac1, mac2 []byte) bool {
	return subtle.ConstantTimeCompare(mac1, mac2) == 1
}

// RetailMACSize is the length of a retail MAC in bytes.
const RetailMACSize = 8

// retailMAC is ISO/IEC 9797-1 MAC algorithm 3 (the ANSI X9.19 retail MAC)
// with padding method 1.
type retailMAC struct {
	k1, k2 cipher.Block
	chain  [8]byte // CBC state after the complete blocks processed so far
	buf    [8]byte // pending partial (or full, not yet processed) block
	n      int     // bytes in buf
	total  uint64  // total bytes written
}

// NewRetailMAC returns a hash.Hash computing the ANSI X9.19 retail MAC, that
// is ISO/IEC 9797-1 MAC algorithm 3 with padding method 1, under the
// double-length key key = K || K' (16 bytes). The data is zero-filled to a
// multiple of 8 bytes; empty data is treated as one block of zeros. All
// blocks are chained with single DES under K; the final value is then
// decrypted under K' and encrypted again under K. The full 8-byte result is
// returned by Sum; callers that transmit a truncated MAC should truncate it
// themselves.
func NewRetailMAC(key []byte) (hash.Hash, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("mac: retail MAC key must be 16 bytes, got %d: %w", len(key), ErrKeySize)
	}
	k1, err := des.NewCipher(key[:8])
	if err != nil {
		return nil, fmt.Errorf("mac: retail MAC: %w", err)
	}
	k2, err := des.NewCipher(key[8:])
	if err != nil {
		return nil, fmt.Errorf("mac: retail MAC: %w", err)
	}
	return &retailMAC{k1: k1, k2: k2}, nil
}

// RetailMAC returns the 8-byte ANSI X9.19 retail MAC of data under the
// 16-byte key; see NewRetailMAC for the exact definition.
func RetailMAC(key, data []byte) ([]byte, error) {
	h, err := NewRetailMAC(key)
	if err != nil {
		return nil, err
	}
	h.Write(data)
	return h.Sum(nil), nil
}

func (m *retailMAC) Size() int      { return RetailMACSize }
func (m *retailMAC) BlockSize() int { return 8 }

func (m *retailMAC) Reset() {
	clear(m.chain[:])
	clear(m.buf[:])
	m.n = 0
	m.total = 0
}

func (m *retailMAC) block(b []byte) {
	subtle.XORBytes(m.chain[:], m.chain[:], b)
	m.k1.Encrypt(m.chain[:], m.chain[:])
}

func (m *retailMAC) Write(p []byte) (int, error) {
	n := len(p)
	m.total += uint64(n)
	if m.n > 0 {
		c := copy(m.buf[m.n:], p)
		m.n += c
		p = p[c:]
		if m.n < 8 {
			return n, nil
		}
		m.block(m.buf[:])
		m.n = 0
	}
	for len(p) >= 8 {
		m.block(p[:8])
		p = p[8:]
	}
	m.n = copy(m.buf[:], p)
	return n, nil
}

func (m *retailMAC) Sum(in []byte) []byte {
	chain := m.chain
	if m.n > 0 || m.total == 0 {
		var last [8]byte
		copy(last[:], m.buf[:m.n])
		subtle.XORBytes(chain[:], chain[:], last[:])
		m.k1.Encrypt(chain[:], chain[:])
	}
	m.k2.Decrypt(chain[:], chain[:])
	m.k1.Encrypt(chain[:], chain[:])
	return append(in, chain[:]...)
}

// cmac is NIST SP 800-38B CMAC.
type cmac struct {
	b      cipher.Block
	bs     int
	k1, k2 [16]byte
	chain  [16]byte
	buf    [16]byte
	n      int // bytes in buf; a full buffer is kept until more data arrives
}

// NewCMAC returns a hash.Hash computing CMAC (NIST SP 800-38B; for AES-128
// identical to RFC 4493 AES-CMAC) with the block cipher b, whose block size
// must be 8 bytes (TDEA) or 16 bytes (AES). Sum returns the full, untruncated
// MAC of one block.
func NewCMAC(b cipher.Block) (hash.Hash, error) {
	if b == nil {
		return nil, fmt.Errorf("mac: CMAC: nil block cipher: %w", ErrBlockSize)
	}
	bs := b.BlockSize()
	var rb byte
	switch bs {
	case 8:
		rb = 0x1b // x^64 + x^4 + x^3 + x + 1
	case 16:
		rb = 0x87 // x^128 + x^7 + x^2 + x + 1
	default:
		return nil, fmt.Errorf("mac: CMAC: block size %d: %w", bs, ErrBlockSize)
	}
	m := &cmac{b: b, bs: bs}
	var l [16]byte
	b.Encrypt(l[:bs], l[:bs])
	dbl(m.k1[:bs], l[:bs], rb)
	dbl(m.k2[:bs], m.k1[:bs], rb)
	clear(l[:])
	return m, nil
}

// CMAC returns the CMAC of msg under the block cipher b; see NewCMAC.
func CMAC(b cipher.Block, msg []byte) ([]byte, error) {
	h, err := NewCMAC(b)
	if err != nil {
		return nil, err
	}
	h.Write(msg)
	return h.Sum(nil), nil
}

// dbl sets dst to the doubling of src in GF(2^n): a left shift by one bit,
// reduced by rb when the top bit was set. It runs in constant time.
func dbl(dst, src []byte, rb byte) {
	msb := src[0] >> 7
	for i := 0; i < len(src)-1; i++ {
		dst[i] = src[i]<<1 | src[i+1]>>7
	}
	dst[len(src)-1] = src[len(src)-1]<<1 ^ (rb & -msb)
}

func (m *cmac) Size() int      { return m.bs }
func (m *cmac) BlockSize() int { return m.bs }

func (m *cmac) Reset() {
	clear(m.chain[:])
	clear(m.buf[:])
	m.n = 0
}

func (m *cmac) block(p []byte) {
	subtle.XORBytes(m.chain[:m.bs], m.chain[:m.bs], p[:m.bs])
	m.b.Encrypt(m.chain[:m.bs], m.chain[:m.bs])
}

func (m *cmac) Write(p []byte) (int, error) {
	n := len(p)
	bs := m.bs
	for len(p) > 0 {
		if m.n == bs {
			// The buffered block is not the last one: process it.
			m.block(m.buf[:bs])
			m.n = 0
		}
		if m.n == 0 && len(p) > bs {
			m.block(p[:bs])
			p = p[bs:]
			continue
		}
		c := copy(m.buf[m.n:bs], p)
		m.n += c
		p = p[c:]
	}
	return n, nil
}

func (m *cmac) Sum(in []byte) []byte {
	bs := m.bs
	var last [16]byte
	copy(last[:bs], m.buf[:m.n])
	if m.n == bs {
		subtle.XORBytes(last[:bs], last[:bs], m.k1[:bs])
	} else {
		last[m.n] = 0x80
		subtle.XORBytes(last[:bs], last[:bs], m.k2[:bs])
	}
	chain := m.chain
	subtle.XORBytes(chain[:bs], chain[:bs], last[:bs])
	m.b.Encrypt(chain[:bs], chain[:bs])
	return append(in, chain[:bs]...)
}
