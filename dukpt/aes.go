package dukpt

import (
	"crypto/aes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"
)

// AES DUKPT (ANSI X9.24-3:2017) constants.
const (
	// AESKSNSize is the length of an AES DUKPT KSN: an 8-byte initial key
	// ID (4-byte BDK ID, 4-byte derivation ID) and a 32-bit counter.
	AESKSNSize = 12
	// InitialKeyIDSize is the length of an AES DUKPT initial key ID.
	InitialKeyIDSize = 8
	// AESCounterBits is the width of the AES transaction counter.
	AESCounterBits = 32
	// AESMaxOneBits is the largest number of one bits an AES counter may
	// have.
	AESMaxOneBits = 16
	// AESLastCounter is the last counter an AES device uses.
	AESLastCounter = 0xFFFF0000
)

// InitialKeyID is the AES DUKPT initial key ID: BDK ID (4 bytes) followed by
// the derivation ID (4 bytes).
type InitialKeyID [InitialKeyIDSize]byte

// String returns the ID as 16 upper-case hex digits.
func (id InitialKeyID) String() string { return strings.ToUpper(hex.EncodeToString(id[:])) }

// AESKSN is an AES DUKPT key serial number: initial key ID || counter.
type AESKSN [AESKSNSize]byte

// ParseAESKSN parses a KSN written as 24 hexadecimal digits.
func ParseAESKSN(s string) (AESKSN, error) {
	var k AESKSN
	if len(s) != 2*AESKSNSize {
		return k, fmt.Errorf("dukpt: parse AES KSN: %d hex digits, want %d: %w", len(s), 2*AESKSNSize, ErrInvalidKSN)
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return AESKSN{}, fmt.Errorf("dukpt: parse AES KSN: not hexadecimal: %w", ErrInvalidKSN)
	}
	return k, nil
}

// ParseInitialKeyID parses an initial key ID written as 16 hex digits.
func ParseInitialKeyID(s string) (InitialKeyID, error) {
	var id InitialKeyID
	if len(s) != 2*InitialKeyIDSize {
		return id, fmt.Errorf("dukpt: parse initial key ID: %d hex digits, want %d: %w", len(s), 2*InitialKeyIDSize, ErrInvalidKSN)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return InitialKeyID{}, fmt.Errorf("dukpt: parse initial key ID: not hexadecimal: %w", ErrInvalidKSN)
	}
	return id, nil
}

// NewAESKSN returns the KSN made of id and counter c (not validated).
func NewAESKSN(id InitialKeyID, c uint32) AESKSN {
	var k AESKSN
	copy(k[:8], id[:])
	binary.BigEndian.PutUint32(k[8:], c)
	return k
}

// String returns the KSN as 24 upper-case hex digits.
func (k AESKSN) String() string { return strings.ToUpper(hex.EncodeToString(k[:])) }

// InitialKeyID returns the first 8 bytes of the KSN.
func (k AESKSN) InitialKeyID() InitialKeyID {
	var id InitialKeyID
	copy(id[:], k[:8])
	return id
}

// Counter returns the 32-bit transaction counter.
func (k AESKSN) Counter() uint32 { return binary.BigEndian.Uint32(k[8:]) }

// ValidAESCounter reports whether c is a transaction counter an AES DUKPT
// device may use: non-zero with at most 16 one bits. The error wraps
// ErrInvalidCounter and says which rule failed.
func ValidAESCounter(c uint32) error {
	switch {
	case c == 0:
		return fmt.Errorf("%w: counter is zero (that is the initial key itself)", ErrInvalidCounter)
	case bits.OnesCount32(c) > AESMaxOneBits:
		return fmt.Errorf("%w: counter %#x has %d one bits, at most %d allowed", ErrInvalidCounter, c, bits.OnesCount32(c), AESMaxOneBits)
	}
	return nil
}

// NextAESCounter returns the counter a device uses after the valid counter
// c, or ErrExhausted after AESLastCounter.
func NextAESCounter(c uint32) (uint32, error) {
	if err := ValidAESCounter(c); err != nil {
		return 0, fmt.Errorf("dukpt: next AES counter: %w", err)
	}
	n := nextCounter(uint64(c), AESMaxOneBits)
	if n > 0xFFFFFFFF {
		return 0, ErrExhausted
	}
	return uint32(n), nil
}

// KeyUsage is the key usage indicator of X9.24-3:2017 derivation data.
type KeyUsage uint16

// Key usage indicators (X9.24-3:2017 6.3.2, tables 2 and 3).
const (
	KeyUsageKeyEncryption        KeyUsage = 0x0002 // key encryption key (DUKPT update key)
	KeyUsagePINEncryption        KeyUsage = 0x1000
	KeyUsageMACGeneration        KeyUsage = 0x2000
	KeyUsageMACVerification      KeyUsage = 0x2001
	KeyUsageMACBoth              KeyUsage = 0x2002
	KeyUsageDataEncrypt          KeyUsage = 0x3000
	KeyUsageDataDecrypt          KeyUsage = 0x3001
	KeyUsageDataBoth             KeyUsage = 0x3002
	KeyUsageKeyDerivation        KeyUsage = 0x8000 // intermediate derivation keys
	KeyUsageKeyDerivationInitial KeyUsage = 0x8001 // initial key from the BDK
)

func (u KeyUsage) valid() bool {
	switch u {
	case KeyUsageKeyEncryption, KeyUsagePINEncryption, KeyUsageMACGeneration,
		KeyUsageMACVerification, KeyUsageMACBoth, KeyUsageDataEncrypt,
		KeyUsageDataDecrypt, KeyUsageDataBoth, KeyUsageKeyDerivation,
		KeyUsageKeyDerivationInitial:
		return true
	}
	return false
}

// String returns the indicator in hex, e.g. "1000".
func (u KeyUsage) String() string { return fmt.Sprintf("%04X", uint16(u)) }

// algorithmIndicator returns the X9.24-3:2017 algorithm indicator.
func (t KeyType) algorithmIndicator() (uint16, bool) {
	switch t {
	case TDES2:
		return 0x0000, true
	case TDES3:
		return 0x0001, true
	case AES128:
		return 0x0002, true
	case AES192:
		return 0x0003, true
	case AES256:
		return 0x0004, true
	case HMAC128, HMAC192, HMAC256:
		return 0x0005, true
	}
	return 0, false
}

// DerivationData returns the 16-byte X9.24-3:2017 derivation data block for
// deriving a key of type t with usage u:
//
//	version 01 | key block counter 01 | usage (2) | algorithm (2) |
//	length in bits (2) | initial key ID (usage 8001) or
//	derivation ID (IKID bytes 4..7) || counter (every other usage)
//
// It is exported so that tools can display and check it.
func DerivationData(u KeyUsage, t KeyType, id InitialKeyID, counter uint32) ([16]byte, error) {
	var d [16]byte
	alg, ok := t.algorithmIndicator()
	if !ok {
		return d, fmt.Errorf("dukpt: derivation data: unknown key type %v: %w", t, ErrInvalidKey)
	}
	if !u.valid() {
		return d, fmt.Errorf("dukpt: derivation data: unknown key usage %v: %w", u, ErrInvalidKey)
	}
	d[0] = 0x01
	d[1] = 0x01
	binary.BigEndian.PutUint16(d[2:], uint16(u))
	binary.BigEndian.PutUint16(d[4:], alg)
	binary.BigEndian.PutUint16(d[6:], uint16(t.Size()*8))
	if u == KeyUsageKeyDerivationInitial {
		copy(d[8:], id[:])
	} else {
		copy(d[8:12], id[4:])
		binary.BigEndian.PutUint32(d[12:], counter)
	}
	return d, nil
}

// aesDeriveKey is the X9.24-3:2017 6.3.1 key derivation function: AES-ECB
// encryption of the derivation data under the derivation key, one block per
// 128 bits of output with the key block counter (byte 1) incrementing.
func aesDeriveKey(dst, key []byte, data [16]byte, outLen int) error {
	c, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	var blk [16]byte
	for off := 0; off < outLen; off += 16 {
		c.Encrypt(blk[:], data[:])
		copy(dst[off:outLen], blk[:])
		data[1]++
	}
	clear(blk[:])
	return nil
}

func checkAESDerivationKey(k Key, what string) error {
	if !k.Type().isAES() {
		return fmt.Errorf("dukpt: %s must be an AES key, got %v: %w", what, k.Type(), ErrInvalidKey)
	}
	return nil
}

// DeriveAESInitialKey derives the initial key of the device with initial
// key ID id from the AES base derivation key bdk (X9.24-3:2017 6.3.3, usage
// 8001). The initial key has the same type as the BDK.
func DeriveAESInitialKey(bdk Key, id InitialKeyID) (Key, error) {
	if err := checkAESDerivationKey(bdk, "BDK"); err != nil {
		return Key{}, fmt.Errorf("dukpt: derive AES initial key: %w", err)
	}
	t := bdk.Type()
	d, err := DerivationData(KeyUsageKeyDerivationInitial, t, id, 0)
	if err != nil {
		return Key{}, fmt.Errorf("dukpt: derive AES initial key: %w", err)
	}
	out := make([]byte, t.Size())
	defer clear(out)
	if err := aesDeriveKey(out, bdk.b(), d, len(out)); err != nil {
		return Key{}, fmt.Errorf("dukpt: derive AES initial key: %w", err)
	}
	return newKey(t, out), nil
}

// aesIntermediate walks the set bits of counter from the most significant,
// deriving one intermediate derivation key per bit (usage 8000) starting
// from the initial key ik. It does not check counter validity.
func aesIntermediate(ik Key, id InitialKeyID, counter uint32) (Key, error) {
	t := ik.Type()
	cur := append([]byte(nil), ik.b()...)
	defer clear(cur)
	var reg uint32
	for b := 31; b >= 0; b-- {
		if counter&(1<<b) == 0 {
			continue
		}
		reg |= 1 << b
		d, err := DerivationData(KeyUsageKeyDerivation, t, id, reg)
		if err != nil {
			return Key{}, err
		}
		if err := aesDeriveKey(cur, cur, d, len(cur)); err != nil {
			return Key{}, err
		}
	}
	return newKey(t, cur), nil
}

// AESTransactionKey is the AES DUKPT intermediate derivation key of one
// transaction (what the X9.24-3 test vectors call the transaction key),
// together with its KSN. Working keys are derived from it with WorkingKey.
type AESTransactionKey struct {
	key Key
	ksn AESKSN
}

// DeriveAESTransactionKey is the receiving (host) side derivation of the
// intermediate derivation key for ksn from the device's initial key ik. The
// counter of ksn must be valid (see ValidAESCounter).
func DeriveAESTransactionKey(ik Key, ksn AESKSN) (AESTransactionKey, error) {
	if err := checkAESDerivationKey(ik, "initial key"); err != nil {
		return AESTransactionKey{}, fmt.Errorf("dukpt: derive AES transaction key: %w", err)
	}
	if err := ValidAESCounter(ksn.Counter()); err != nil {
		return AESTransactionKey{}, fmt.Errorf("dukpt: derive AES transaction key for KSN %v: %w", ksn, err)
	}
	k, err := aesIntermediate(ik, ksn.InitialKeyID(), ksn.Counter())
	if err != nil {
		return AESTransactionKey{}, fmt.Errorf("dukpt: derive AES transaction key: %w", err)
	}
	return AESTransactionKey{key: k, ksn: ksn}, nil
}

// DeriveAESTransactionKeyFromBDK derives the initial key from bdk and the
// initial key ID in ksn, then the transaction key for ksn.
func DeriveAESTransactionKeyFromBDK(bdk Key, ksn AESKSN) (AESTransactionKey, error) {
	ik, err := DeriveAESInitialKey(bdk, ksn.InitialKeyID())
	if err != nil {
		return AESTransactionKey{}, err
	}
	return DeriveAESTransactionKey(ik, ksn)
}

// DeriveAESUpdateKey derives the DUKPT update key (a key encryption key,
// usage 0002) of type t for the device with initial key ik and initial key
// ID id (X9.24-3:2017 6.5.3): the intermediate derivation key of counter
// FFFFFFFF, then the usage 0002 working key with counter FFFFFFFF.
func DeriveAESUpdateKey(ik Key, id InitialKeyID, t KeyType) (Key, error) {
	if err := checkAESDerivationKey(ik, "initial key"); err != nil {
		return Key{}, fmt.Errorf("dukpt: derive AES update key: %w", err)
	}
	k, err := aesIntermediate(ik, id, 0xFFFFFFFF)
	if err != nil {
		return Key{}, fmt.Errorf("dukpt: derive AES update key: %w", err)
	}
	tk := AESTransactionKey{key: k, ksn: NewAESKSN(id, 0xFFFFFFFF)}
	return tk.WorkingKey(KeyUsageKeyEncryption, t)
}

// KSN returns the key serial number of the transaction.
func (t AESTransactionKey) KSN() AESKSN { return t.ksn }

// Key returns the intermediate derivation key itself.
func (t AESTransactionKey) Key() Key { return t.key }

// WorkingKey derives the working key of type wt for usage u from the
// intermediate derivation key (X9.24-3:2017 6.3.3). Usage 8001 (initial key
// derivation) is not a working key usage. A working key may not be
// stronger than the derivation key: an AES-192/HMAC-192 key cannot be
// derived from an AES-128 key, nor a 256-bit key from a 128/192-bit one
// (ErrKeyTooStrong). TDES2 and TDES3 working keys can be derived from any
// AES derivation key.
func (t AESTransactionKey) WorkingKey(u KeyUsage, wt KeyType) (Key, error) {
	if err := checkAESDerivationKey(t.key, "derivation key"); err != nil {
		return Key{}, fmt.Errorf("dukpt: AES working key: %w", err)
	}
	if u == KeyUsageKeyDerivationInitial {
		return Key{}, fmt.Errorf("dukpt: AES working key: usage %v is not a working key usage: %w", u, ErrInvalidKey)
	}
	if wt.strength() > t.key.Type().strength() {
		return Key{}, fmt.Errorf("dukpt: AES working key: %v from %v derivation key: %w", wt, t.key.Type(), ErrKeyTooStrong)
	}
	d, err := DerivationData(u, wt, t.ksn.InitialKeyID(), t.ksn.Counter())
	if err != nil {
		return Key{}, fmt.Errorf("dukpt: AES working key: %w", err)
	}
	out := make([]byte, wt.Size())
	defer clear(out)
	if err := aesDeriveKey(out, t.key.b(), d, len(out)); err != nil {
		return Key{}, fmt.Errorf("dukpt: AES working key: %w", err)
	}
	return newKey(wt, out), nil
}

// String prints the KSN and the KCV of the key, never key bytes.
func (t AESTransactionKey) String() string {
	return "AESTransactionKey(KSN " + t.ksn.String() + ", " + t.key.String() + ")"
}

// GoString is String.
func (t AESTransactionKey) GoString() string { return t.String() }

// Format prints the String form for every verb.
func (t AESTransactionKey) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(t.String())) }
