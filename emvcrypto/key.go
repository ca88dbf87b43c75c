package emvcrypto

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/emmansun/gmsm/sm4"
)

// Algorithm is the block cipher a key belongs to.
type Algorithm uint8

const (
	// AlgTDES is two-key (16-byte) or three-key (24-byte) triple DES with
	// an 8-byte block. EMV keys are double length; 24-byte keys are
	// accepted for encryption, key check values and as issuer master keys.
	AlgTDES Algorithm = 1
	// AlgSM4 is SM4 (GB/T 32907-2016) with a 16-byte key and block.
	AlgSM4 Algorithm = 2
)

// PBOC algorithm identifiers as carried in the PBOC issuer application
// data (tag 9F10, byte 8).
const (
	PBOCAlgIDTDES byte = 0x01
	PBOCAlgIDSM4  byte = 0x04
)

// String returns "TDES", "SM4", or "Algorithm(n)" for unknown values.
func (a Algorithm) String() string {
	switch a {
	case AlgTDES:
		return "TDES"
	case AlgSM4:
		return "SM4"
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// BlockSize returns the cipher's block size in bytes: 8 for TDES, 16 for
// SM4 and 0 for an unknown algorithm.
func (a Algorithm) BlockSize() int {
	switch a {
	case AlgTDES:
		return des.BlockSize
	case AlgSM4:
		return sm4.BlockSize
	}
	return 0
}

// AlgorithmFromPBOCID maps the PBOC 9F10 algorithm identifier to an
// Algorithm: 01 is TDES, 04 is SM4. Other values are an error.
func AlgorithmFromPBOCID(id byte) (Algorithm, error) {
	switch id {
	case PBOCAlgIDTDES:
		return AlgTDES, nil
	case PBOCAlgIDSM4:
		return AlgSM4, nil
	}
	return 0, fmt.Errorf("emvcrypto: unknown PBOC algorithm id %02X", id)
}

// PBOCID returns the PBOC 9F10 algorithm identifier of a (01 TDES, 04 SM4).
func (a Algorithm) PBOCID() (byte, error) {
	switch a {
	case AlgTDES:
		return PBOCAlgIDTDES, nil
	case AlgSM4:
		return PBOCAlgIDSM4, nil
	}
	return 0, fmt.Errorf("emvcrypto: %v has no PBOC algorithm id", a)
}

// Key is a secret block cipher key bound to its algorithm. Keys are
// immutable and safe for concurrent use. The zero Key is invalid: every
// operation on it returns an error.
//
// A Key never prints its bytes: String, GoString and Format (every fmt
// verb) render only the algorithm and a 3-byte key check value, e.g.
// "TDESKey(KCV 08D7F2)". The material sits two pointers deep, so even a
// struct holding a Key in an unexported field (where fmt cannot call the
// Key's methods) prints only addresses, whatever the verb. Bytes is the
// only way out of the key.
type Key struct {
	m *keyMaterial
}

// keyMaterial keeps the secret parts behind a further pointer: fmt prints
// the first pointer level of a value it reaches through a bad verb (such
// as %s on a struct), but only addresses below that.
type keyMaterial struct {
	alg Algorithm
	s   *keySecret
}

// keySecret builds its cipher objects on first use: a session key used
// only for a retail MAC never needs the triple-DES key schedule.
type keySecret struct {
	raw []byte

	blockOnce sync.Once
	block     cipher.Block // full key: TDES or SM4

	halvesOnce sync.Once
	k1, k2     cipher.Block // single-DES halves of a 16-byte TDES key
}

// cipher returns the block cipher of the full key. The key length was
// validated by newKeyOwned, so construction cannot fail.
func (s *keySecret) cipher(alg Algorithm) cipher.Block {
	s.blockOnce.Do(func() {
		var err error
		if alg == AlgSM4 {
			s.block, err = sm4.NewCipher(s.raw)
		} else {
			s.block, err = newTDES(s.raw)
		}
		if err != nil {
			panic("emvcrypto: internal error: validated key rejected: " + err.Error())
		}
	})
	return s.block
}

// halves returns single-DES ciphers for K1 = raw[0:8] and K2 = raw[8:16].
func (s *keySecret) halves() (k1, k2 cipher.Block) {
	s.halvesOnce.Do(func() {
		s.k1, _ = des.NewCipher(s.raw[:8])
		s.k2, _ = des.NewCipher(s.raw[8:16])
	})
	return s.k1, s.k2
}

// NewKey returns a Key for alg holding a copy of b. TDES keys must be 16
// or 24 bytes, SM4 keys 16 bytes. The parity bits of TDES keys are
// neither checked nor changed.
func NewKey(alg Algorithm, b []byte) (Key, error) {
	raw := append([]byte(nil), b...)
	return newKeyOwned(alg, raw)
}

// newKeyOwned is NewKey without the copy: raw must not be used again by
// the caller.
func newKeyOwned(alg Algorithm, raw []byte) (Key, error) {
	switch alg {
	case AlgTDES:
		if len(raw) != 16 && len(raw) != 24 {
			return Key{}, fmt.Errorf("emvcrypto: TDES key must be 16 or 24 bytes, got %d", len(raw))
		}
	case AlgSM4:
		if len(raw) != 16 {
			return Key{}, fmt.Errorf("emvcrypto: SM4 key must be 16 bytes, got %d", len(raw))
		}
	default:
		return Key{}, fmt.Errorf("emvcrypto: unknown algorithm %v", alg)
	}
	return Key{m: &keyMaterial{alg: alg, s: &keySecret{raw: raw}}}, nil
}

// newTDES returns a triple-DES cipher for a 16-byte (K1 K2 K1) or 24-byte
// key.
func newTDES(k []byte) (cipher.Block, error) {
	switch len(k) {
	case 16:
		var k3 [24]byte
		copy(k3[:], k)
		copy(k3[16:], k[:8])
		return des.NewTripleDESCipher(k3[:])
	case 24:
		return des.NewTripleDESCipher(k)
	}
	return nil, fmt.Errorf("emvcrypto: TDES key must be 16 or 24 bytes, got %d", len(k))
}

// newDESFamily returns single DES for an 8-byte key and triple DES for a
// 16- or 24-byte key. ISO/IEC 9797-1 algorithm 3 uses it for K1 and K2.
func newDESFamily(k []byte) (cipher.Block, error) {
	if len(k) == 8 {
		return des.NewCipher(k)
	}
	if len(k) == 16 || len(k) == 24 {
		return newTDES(k)
	}
	return nil, fmt.Errorf("emvcrypto: DES key must be 8, 16 or 24 bytes, got %d", len(k))
}

var errNoKey = fmt.Errorf("emvcrypto: invalid (zero) key")

func (k Key) valid() error {
	if k.m == nil {
		return errNoKey
	}
	return nil
}

// IsZero reports whether k is the zero (invalid) Key.
func (k Key) IsZero() bool { return k.m == nil }

// Algorithm returns the key's algorithm, or 0 for the zero Key.
func (k Key) Algorithm() Algorithm {
	if k.m == nil {
		return 0
	}
	return k.m.alg
}

// Len returns the key length in bytes (0 for the zero Key).
func (k Key) Len() int {
	if k.m == nil {
		return 0
	}
	return len(k.m.s.raw)
}

// Bytes returns a copy of the key material. It is secret: callers must
// not log it and should overwrite it when done.
func (k Key) Bytes() []byte {
	if k.m == nil {
		return nil
	}
	return append([]byte(nil), k.m.s.raw...)
}

// Equal reports in constant time whether k and o hold the same algorithm
// and key bytes. Two zero Keys are equal.
func (k Key) Equal(o Key) bool {
	if k.m == nil || o.m == nil {
		return k.m == o.m
	}
	return k.m.alg == o.m.alg && subtle.ConstantTimeCompare(k.m.s.raw, o.m.s.raw) == 1
}

// EncryptBlock encrypts exactly one cipher block (8 bytes for TDES, 16
// for SM4) in ECB mode and returns the result in a new slice.
func (k Key) EncryptBlock(src []byte) ([]byte, error) {
	if err := k.valid(); err != nil {
		return nil, err
	}
	bs := k.m.block().BlockSize()
	if len(src) != bs {
		return nil, fmt.Errorf("emvcrypto: %v block must be %d bytes, got %d", k.m.alg, bs, len(src))
	}
	dst := make([]byte, bs)
	k.m.block().Encrypt(dst, src)
	return dst, nil
}

// DecryptBlock decrypts exactly one cipher block in ECB mode.
func (k Key) DecryptBlock(src []byte) ([]byte, error) {
	if err := k.valid(); err != nil {
		return nil, err
	}
	bs := k.m.block().BlockSize()
	if len(src) != bs {
		return nil, fmt.Errorf("emvcrypto: %v block must be %d bytes, got %d", k.m.alg, bs, len(src))
	}
	dst := make([]byte, bs)
	k.m.block().Decrypt(dst, src)
	return dst, nil
}

// KCV returns the key check value: the first n bytes of the encryption of
// an all-zero block (E(K, 00..00)). n must be between 1 and the block
// size; EMV practice is 3 bytes, some published vectors use 2.
func (k Key) KCV(n int) ([]byte, error) {
	if err := k.valid(); err != nil {
		return nil, err
	}
	bs := k.m.block().BlockSize()
	if n < 1 || n > bs {
		return nil, fmt.Errorf("emvcrypto: KCV length must be 1..%d, got %d", bs, n)
	}
	out := make([]byte, bs)
	k.m.block().Encrypt(out, make([]byte, bs))
	return out[:n], nil
}

// String returns "TDESKey(KCV xxxxxx)" or "SM4Key(KCV xxxxxx)" with a
// 3-byte check value; "Key(invalid)" for the zero Key. It never contains
// key material.
func (k Key) String() string {
	if k.m == nil {
		return "Key(invalid)"
	}
	kcv, _ := k.KCV(3)
	return k.m.alg.String() + "Key(KCV " + strings.ToUpper(hex.EncodeToString(kcv)) + ")"
}

// GoString implements fmt.GoStringer without revealing key material.
func (k Key) GoString() string {
	if k.m == nil {
		return "emvcrypto.Key{}"
	}
	kcv, _ := k.KCV(3)
	return fmt.Sprintf("emvcrypto.Key{Algorithm: %v, Len: %d, KCV: %X}", k.m.alg, len(k.m.s.raw), kcv)
}

// Format implements fmt.Formatter so that every verb (%v, %+v, %#v, %s,
// %x, %X, %q, ...) prints the redacted form.
func (k Key) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, k.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(k.String()))
	default:
		io.WriteString(f, k.String())
	}
}

// setOddParity adjusts the least significant bit of every byte so that
// each byte has an odd number of set bits (DES key parity).
func setOddParity(b []byte) {
	for i, v := range b {
		v &^= 1
		ones := 0
		for x := v; x != 0; x &= x - 1 {
			ones++
		}
		if ones%2 == 0 {
			v |= 1
		}
		b[i] = v
	}
}

// block returns the key's full block cipher.
func (m *keyMaterial) block() cipher.Block { return m.s.cipher(m.alg) }
