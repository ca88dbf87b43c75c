package dukpt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/paycert/paycert/dukpt/mac"
)

// KeyType identifies the algorithm and length of a key.
//
// The names and the algorithm/length encodings follow ANSI X9.24-3:2017
// 6.2 (key types TDES2 and TDES3 are 2-key and 3-key TDEA).
type KeyType int

// Key types.
const (
	TDES2   KeyType = iota + 1 // double-length TDEA (2TDEA), 16 bytes
	TDES3                      // triple-length TDEA (3TDEA), 24 bytes
	AES128                     // AES-128, 16 bytes
	AES192                     // AES-192, 24 bytes
	AES256                     // AES-256, 32 bytes
	HMAC128                    // HMAC key of 128 bits (AES DUKPT working key only)
	HMAC192                    // HMAC key of 192 bits (AES DUKPT working key only)
	HMAC256                    // HMAC key of 256 bits (AES DUKPT working key only)
)

var keyTypeNames = map[KeyType]string{
	TDES2: "TDES2", TDES3: "TDES3", AES128: "AES128", AES192: "AES192",
	AES256: "AES256", HMAC128: "HMAC128", HMAC192: "HMAC192", HMAC256: "HMAC256",
}

// String returns the key type's name, e.g. "AES128".
func (t KeyType) String() string {
	if s, ok := keyTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("KeyType(%d)", int(t))
}

// Size returns the key length in bytes, or 0 for an unknown type.
func (t KeyType) Size() int {
	switch t {
	case TDES2, AES128, HMAC128:
		return 16
	case TDES3, AES192, HMAC192:
		return 24
	case AES256, HMAC256:
		return 32
	}
	return 0
}

// strength is the security strength in bits used for the X9.24-3 rule that
// a working key may not be stronger than the key it is derived from
// (SP 800-57 part 1 values for TDEA).
func (t KeyType) strength() int {
	switch t {
	case TDES2:
		return 80
	case TDES3:
		return 112
	case AES128, HMAC128:
		return 128
	case AES192, HMAC192:
		return 192
	case AES256, HMAC256:
		return 256
	}
	return 0
}

func (t KeyType) isTDES() bool { return t == TDES2 || t == TDES3 }
func (t KeyType) isAES() bool  { return t == AES128 || t == AES192 || t == AES256 }
func (t KeyType) isHMAC() bool { return t == HMAC128 || t == HMAC192 || t == HMAC256 }

// Errors returned (wrapped) by this package.
var (
	// ErrExhausted means the transaction counter space of an initial key
	// is used up: the device must be loaded with a new initial key.
	ErrExhausted = errors.New("dukpt: transaction counter exhausted")
	// ErrInvalidCounter means a transaction counter breaks the DUKPT
	// counter rules (zero, too many one bits or out of range).
	ErrInvalidCounter = errors.New("dukpt: invalid transaction counter")
	// ErrInvalidKey means a key has the wrong type or length for the
	// operation, or is the zero Key.
	ErrInvalidKey = errors.New("dukpt: invalid key")
	// ErrInvalidKSN means a key serial number could not be parsed.
	ErrInvalidKSN = errors.New("dukpt: invalid key serial number")
	// ErrKeyTooStrong means a requested AES DUKPT working key would be
	// stronger than the key it is derived from (X9.24-3:2017 6.1.3).
	ErrKeyTooStrong = errors.New("dukpt: working key stronger than its derivation key")
	// ErrNoInitialKey means a device was used before LoadInitialKey.
	ErrNoInitialKey = errors.New("dukpt: no initial key loaded")
)

// Key is an immutable secret key of a given KeyType.
//
// Every formatting path shows at most the key type and key check value, so
// a Key cannot leak into logs by accident: String, GoString, Format and
// MarshalText are redacted, and the key bytes are reachable only through a
// function value, which fmt's reflection-based printing of an enclosing
// struct (where a Key sits in an unexported field and its methods cannot be
// called) renders as an address, for every verb. Use Bytes to get a copy of
// the key material deliberately. The zero Key is invalid. Keys are not
// comparable with ==; use Equal.
type Key struct {
	m func() *keyMaterial
}

// keyMaterial holds no pointers, so it is a single small allocation the
// garbage collector does not scan. Every key type is at most 32 bytes.
type keyMaterial struct {
	t   KeyType
	n   uint8
	buf [32]byte
}

// bytes returns the key bytes (not a copy).
func (km *keyMaterial) bytes() []byte { return km.buf[:km.n:km.n] }

// NewKey returns a Key of type t holding a copy of b, which must be
// t.Size() bytes long.
func NewKey(t KeyType, b []byte) (Key, error) {
	n := t.Size()
	if n == 0 {
		return Key{}, fmt.Errorf("dukpt: new key: unknown key type %v: %w", t, ErrInvalidKey)
	}
	if len(b) != n {
		return Key{}, fmt.Errorf("dukpt: new key: %v key must be %d bytes, got %d: %w", t, n, len(b), ErrInvalidKey)
	}
	return newKey(t, b), nil
}

func newKey(t KeyType, b []byte) Key {
	km := &keyMaterial{t: t}
	if len(b) > len(km.buf) {
		panic("dukpt: internal error: key longer than 32 bytes")
	}
	km.n = uint8(copy(km.buf[:], b))
	return Key{func() *keyMaterial { return km }}
}

// mat returns the key material, or nil for the zero Key.
func (k Key) mat() *keyMaterial {
	if k.m == nil {
		return nil
	}
	return k.m()
}

// b returns the key bytes (not a copy), or nil for the zero Key.
func (k Key) b() []byte {
	if km := k.mat(); km != nil {
		return km.bytes()
	}
	return nil
}

// ParseKey is NewKey for hexadecimal input (case-insensitive, no
// separators), for tests and tools.
func ParseKey(t KeyType, s string) (Key, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return Key{}, fmt.Errorf("dukpt: parse key: %w", ErrInvalidKey)
	}
	defer clear(b)
	return NewKey(t, b)
}

// IsZero reports whether k is the zero (invalid) Key.
func (k Key) IsZero() bool { return k.m == nil }

// Type returns the key type, or 0 for the zero Key.
func (k Key) Type() KeyType {
	if km := k.mat(); km != nil {
		return km.t
	}
	return 0
}

// Bytes returns a copy of the key material. Callers own the copy and
// should clear it when done.
func (k Key) Bytes() []byte {
	if k.m == nil {
		return nil
	}
	return append([]byte(nil), k.b()...)
}

// Equal reports whether k and o have the same type and key material, in
// time independent of the key material.
func (k Key) Equal(o Key) bool {
	a, b := k.mat(), o.mat()
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.t == b.t && subtle.ConstantTimeCompare(a.bytes(), b.bytes()) == 1
}

// Cipher returns a block cipher for k: TDEA (EDE, K1K2K1 for TDES2) for TDES
// keys, AES for AES keys. HMAC keys have no block cipher.
func (k Key) Cipher() (cipher.Block, error) {
	km := k.mat()
	if km == nil {
		return nil, fmt.Errorf("dukpt: cipher: zero key: %w", ErrInvalidKey)
	}
	switch km.t {
	case TDES2:
		// Two single-DES schedules (K1, K2) rather than crypto/des's three:
		// with one or two blocks per key the schedules are most of the cost.
		b := km.bytes()
		k1, err := des.NewCipher(b[:8])
		if err != nil {
			return nil, err
		}
		k2, err := des.NewCipher(b[8:16])
		if err != nil {
			return nil, err
		}
		return ede2{k1, k2}, nil
	case TDES3:
		return des.NewTripleDESCipher(km.bytes())
	case AES128, AES192, AES256:
		return aes.NewCipher(km.bytes())
	}
	return nil, fmt.Errorf("dukpt: cipher: %v key has no block cipher: %w", km.t, ErrInvalidKey)
}

// KCV returns the key check value of k:
//
//   - TDES keys: the first 3 bytes of the TDEA encryption of eight zero
//     bytes (the traditional KCV of X9.24-1 and TR-31 for TDEA).
//   - AES keys: the first 5 bytes of AES-CMAC over sixteen zero bytes (the
//     CMAC-based KCV that ASC X9 TR-31:2018 and X9.24-1:2017 use for AES).
//   - HMAC keys and the zero Key: nil (no KCV method is defined here).
func (k Key) KCV() []byte {
	km := k.mat()
	if km == nil || km.t.isHMAC() {
		return nil
	}
	c, err := k.Cipher()
	if err != nil {
		return nil
	}
	if km.t.isTDES() {
		var z [8]byte
		c.Encrypt(z[:], z[:])
		return z[:3]
	}
	m, err := mac.CMAC(c, make([]byte, 16))
	if err != nil {
		return nil
	}
	return m[:5]
}

// String returns the key type and KCV, e.g. "TDES2Key(KCV 08D7B4)", never the
// key material.
func (k Key) String() string {
	km := k.mat()
	if km == nil {
		return "Key(zero)"
	}
	kcv := k.KCV()
	if kcv == nil {
		return km.t.String() + "Key(no KCV)"
	}
	return km.t.String() + "Key(KCV " + strings.ToUpper(hex.EncodeToString(kcv)) + ")"
}

// GoString implements fmt.GoStringer with the same redacted form as String.
func (k Key) GoString() string { return k.String() }

// Format implements fmt.Formatter so that every verb (%v, %+v, %#v, %s,
// %x, %X, %q, %d ...) prints the redacted String form.
func (k Key) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(k.String())) }

// MarshalText implements encoding.TextMarshaler with the redacted String form
// so that encoders (JSON, YAML, ...) cannot serialise key material either.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// ede2 is TDEA with keying option 2: encrypt K1, decrypt K2, encrypt K1.
type ede2 struct{ k1, k2 cipher.Block }

func (e ede2) BlockSize() int { return des.BlockSize }

func (e ede2) Encrypt(dst, src []byte) {
	e.k1.Encrypt(dst, src)
	e.k2.Decrypt(dst, dst)
	e.k1.Encrypt(dst, dst)
}

func (e ede2) Decrypt(dst, src []byte) {
	e.k1.Decrypt(dst, src)
	e.k2.Encrypt(dst, dst)
	e.k1.Decrypt(dst, dst)
}
