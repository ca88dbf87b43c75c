package emvcrypto

import (
	"crypto/cipher"
	"fmt"
)

// Padding is an ISO/IEC 9797-1 padding method.
type Padding uint8

const (
	// PaddingMethod1 appends zero bytes up to a block boundary (none if
	// the data is already aligned; one zero block for empty data).
	PaddingMethod1 Padding = 1
	// PaddingMethod2 appends 0x80 and then zero bytes up to a block
	// boundary (always at least one byte).
	PaddingMethod2 Padding = 2
)

// String returns "method 1", "method 2", or "Padding(n)".
func (p Padding) String() string {
	switch p {
	case PaddingMethod1:
		return "method 1"
	case PaddingMethod2:
		return "method 2"
	}
	return fmt.Sprintf("Padding(%d)", uint8(p))
}

// Pad returns a new slice holding data padded with method p to a multiple
// of blockSize (which must be 8 or 16).
func Pad(data []byte, blockSize int, p Padding) ([]byte, error) {
	if blockSize != 8 && blockSize != 16 {
		return nil, fmt.Errorf("emvcrypto: pad: block size must be 8 or 16, got %d", blockSize)
	}
	n := len(data)
	switch p {
	case PaddingMethod1:
		if n == 0 {
			return make([]byte, blockSize), nil
		}
		out := make([]byte, (n+blockSize-1)/blockSize*blockSize)
		copy(out, data)
		return out, nil
	case PaddingMethod2:
		out := make([]byte, (n/blockSize+1)*blockSize)
		copy(out, data)
		out[n] = 0x80
		return out, nil
	}
	return nil, fmt.Errorf("emvcrypto: pad: unknown padding %v", p)
}

// cbcLast runs a zero-IV CBC encryption over the already padded data and
// returns the last ciphertext block (ISO/IEC 9797-1 algorithm 1 output
// before truncation).
func cbcLast(b cipher.Block, padded []byte) []byte {
	bs := b.BlockSize()
	h := make([]byte, bs)
	for off := 0; off < len(padded); off += bs {
		subtleXOR(h, padded[off:off+bs])
		b.Encrypt(h, h)
	}
	return h
}

func subtleXOR(dst, src []byte) {
	for i := range dst {
		dst[i] ^= src[i]
	}
}

// RetailMAC computes the 8-byte ISO/IEC 9797-1 MAC algorithm 3 ("retail
// MAC"): zero-IV CBC over the padded data with K1, then the final block is
// decrypted with K2 and encrypted again with K1. k1 and k2 are each 8
// bytes (single DES, the usual case) or 16/24 bytes (each step is then
// triple DES).
func RetailMAC(k1, k2, data []byte, p Padding) ([]byte, error) {
	b1, err := newDESFamily(k1)
	if err != nil {
		return nil, fmt.Errorf("emvcrypto: retail MAC K1: %w", err)
	}
	b2, err := newDESFamily(k2)
	if err != nil {
		return nil, fmt.Errorf("emvcrypto: retail MAC K2: %w", err)
	}
	return retailMAC(b1, b2, data, p)
}

func retailMAC(b1, b2 cipher.Block, data []byte, p Padding) ([]byte, error) {
	padded, err := Pad(data, 8, p)
	if err != nil {
		return nil, fmt.Errorf("emvcrypto: retail MAC: %w", err)
	}
	h := cbcLast(b1, padded)
	b2.Decrypt(h, h)
	b1.Encrypt(h, h)
	return h, nil
}

// MAC computes the 8-byte EMV MAC of data under k; an application
// cryptogram is MAC(session key, AC input).
//
// TDES (k must be 16 bytes): ISO/IEC 9797-1 MAC algorithm 3 with single
// DES, K1 = k[0:8], K2 = k[8:16], as EMV Book 2 A1.2 specifies.
// SM4: ISO/IEC 9797-1 MAC algorithm 1 (zero-IV CBC-MAC) over 16-byte
// blocks, output truncated to the leftmost 8 bytes (reproduces the public
// PBOC vector pboc-sm4-imk-1).
func MAC(k Key, data []byte, p Padding) ([]byte, error) {
	if err := k.valid(); err != nil {
		return nil, fmt.Errorf("emvcrypto: MAC: %w", err)
	}
	switch k.m.alg {
	case AlgTDES:
		if len(k.m.s.raw) != 16 {
			return nil, fmt.Errorf("emvcrypto: MAC: algorithm 3 needs a 16-byte TDES key, got %d bytes", len(k.m.s.raw))
		}
		k1, k2 := k.m.s.halves()
		return retailMAC(k1, k2, data, p)
	case AlgSM4:
		padded, err := Pad(data, 16, p)
		if err != nil {
			return nil, fmt.Errorf("emvcrypto: MAC: %w", err)
		}
		return cbcLast(k.m.block(), padded)[:8], nil
	}
	return nil, fmt.Errorf("emvcrypto: MAC: unknown algorithm %v", k.m.alg)
}

// ARPCMethod is the EMV ARPC method (EMV Book 2, 8.2).
type ARPCMethod uint8

const (
	// ARPCMethod1: ARPC = E(K, ARQC ⊕ (ARC ‖ 00..00)), 8 bytes.
	ARPCMethod1 ARPCMethod = 1
	// ARPCMethod2: ARPC = leftmost 4 bytes of MAC(K, ARQC ‖ CSU ‖
	// proprietary authentication data) with padding method 2.
	ARPCMethod2 ARPCMethod = 2
)

// String returns "method 1", "method 2", or "ARPCMethod(n)".
func (m ARPCMethod) String() string {
	switch m {
	case ARPCMethod1:
		return "method 1"
	case ARPCMethod2:
		return "method 2"
	}
	return fmt.Sprintf("ARPCMethod(%d)", uint8(m))
}

// ARPC1 computes an ARPC with method 1. arqc must be 8 bytes and arc (the
// authorisation response code) 2 bytes.
//
// TDES: ARPC = TDES(K, ARQC ⊕ (ARC ‖ 000000000000)).
// SM4 (paycert reading, no public vector): X = ARQC ⊕ (ARC ‖
// 000000000000) is extended with eight zero bytes to one 16-byte block and
// ARPC is the leftmost 8 bytes of SM4(K, X ‖ 00..00).
func ARPC1(k Key, arqc, arc []byte) ([]byte, error) {
	if err := k.valid(); err != nil {
		return nil, fmt.Errorf("emvcrypto: ARPC method 1: %w", err)
	}
	if len(arqc) != 8 {
		return nil, fmt.Errorf("emvcrypto: ARPC method 1: ARQC must be 8 bytes, got %d", len(arqc))
	}
	if len(arc) != 2 {
		return nil, fmt.Errorf("emvcrypto: ARPC method 1: ARC must be 2 bytes, got %d", len(arc))
	}
	x := make([]byte, k.m.block().BlockSize())
	copy(x, arqc)
	x[0] ^= arc[0]
	x[1] ^= arc[1]
	k.m.block().Encrypt(x, x)
	return x[:8], nil
}

// ARPC2 computes an ARPC with method 2: the leftmost 4 bytes of
// MAC(k, ARQC ‖ CSU ‖ prop) with padding method 2. arqc must be 8 bytes,
// csu (card status update) 4 bytes and prop (proprietary authentication
// data) 0 to 8 bytes.
func ARPC2(k Key, arqc, csu, prop []byte) ([]byte, error) {
	if len(arqc) != 8 {
		return nil, fmt.Errorf("emvcrypto: ARPC method 2: ARQC must be 8 bytes, got %d", len(arqc))
	}
	if len(csu) != 4 {
		return nil, fmt.Errorf("emvcrypto: ARPC method 2: CSU must be 4 bytes, got %d", len(csu))
	}
	if len(prop) > 8 {
		return nil, fmt.Errorf("emvcrypto: ARPC method 2: proprietary authentication data must be at most 8 bytes, got %d", len(prop))
	}
	data := make([]byte, 0, 20)
	data = append(append(append(data, arqc...), csu...), prop...)
	mac, err := MAC(k, data, PaddingMethod2)
	if err != nil {
		return nil, fmt.Errorf("emvcrypto: ARPC method 2: %w", err)
	}
	return mac[:4], nil
}
