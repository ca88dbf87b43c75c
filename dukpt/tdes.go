package dukpt

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"
)

// TDES DUKPT (ANSI X9.24-1:2009) constants.
const (
	// TDESKSNSize is the length of a TDES DUKPT key serial number: a 59-bit
	// initial KSN followed by a 21-bit transaction counter.
	TDESKSNSize = 10
	// TDESCounterBits is the width of the TDES transaction counter.
	TDESCounterBits = 21
	// TDESMaxOneBits is the largest number of one bits a TDES counter
	// may have.
	TDESMaxOneBits = 10
	// TDESCounterMask selects the counter bits of a TDES KSN.
	TDESCounterMask = 1<<TDESCounterBits - 1
	// TDESLastCounter is the last counter a TDES device uses.
	TDESLastCounter = 0x1FF800
	// TDESKeysPerInitialKey is the number of transaction keys of one
	// initial key: sum of C(21,k) for k = 1..10.
	TDESKeysPerInitialKey = 1048575
)

// TDESKSN is a TDES DUKPT key serial number. Its rightmost 21 bits are the
// transaction counter. A KSN is not secret and prints as upper-case hex.
type TDESKSN [TDESKSNSize]byte

// ParseTDESKSN parses a KSN written as 20 hexadecimal digits.
func ParseTDESKSN(s string) (TDESKSN, error) {
	var k TDESKSN
	if len(s) != 2*TDESKSNSize {
		return k, fmt.Errorf("dukpt: parse TDES KSN: %d hex digits, want %d: %w", len(s), 2*TDESKSNSize, ErrInvalidKSN)
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return TDESKSN{}, fmt.Errorf("dukpt: parse TDES KSN: not hexadecimal: %w", ErrInvalidKSN)
	}
	return k, nil
}

// TDESKSNFromBytes returns the KSN held in b, which must be 10 bytes.
func TDESKSNFromBytes(b []byte) (TDESKSN, error) {
	var k TDESKSN
	if len(b) != TDESKSNSize {
		return k, fmt.Errorf("dukpt: TDES KSN is %d bytes, want %d: %w", len(b), TDESKSNSize, ErrInvalidKSN)
	}
	copy(k[:], b)
	return k, nil
}

// String returns the KSN as 20 upper-case hex digits.
func (k TDESKSN) String() string { return strings.ToUpper(hex.EncodeToString(k[:])) }

// Counter returns the 21-bit transaction counter.
func (k TDESKSN) Counter() uint32 {
	return uint32(k[7]&0x1F)<<16 | uint32(k[8])<<8 | uint32(k[9])
}

// WithCounter returns k with its transaction counter replaced by c, which
// must fit in 21 bits (it is not otherwise validated).
func (k TDESKSN) WithCounter(c uint32) (TDESKSN, error) {
	if c > TDESCounterMask {
		return k, fmt.Errorf("dukpt: counter %#x does not fit in 21 bits: %w", c, ErrInvalidCounter)
	}
	k[7] = k[7]&0xE0 | byte(c>>16)
	k[8] = byte(c >> 8)
	k[9] = byte(c)
	return k, nil
}

// InitialKSN returns k with the transaction counter cleared.
func (k TDESKSN) InitialKSN() TDESKSN {
	k, _ = k.WithCounter(0)
	return k
}

// right64Base returns the rightmost 64 bits of the KSN (the KSN register of
// X9.24-1:2009 Annex A) with the counter cleared.
func (k TDESKSN) right64Base() uint64 {
	return binary.BigEndian.Uint64(k[2:]) &^ TDESCounterMask
}

// ValidTDESCounter reports whether c is a transaction counter a TDES DUKPT
// device may use: non-zero, at most 21 bits, at most 10 one bits. The error
// wraps ErrInvalidCounter and says which rule failed.
func ValidTDESCounter(c uint32) error {
	if tdesCounterOK(c) {
		return nil
	}
	switch {
	case c == 0:
		return fmt.Errorf("%w: counter is zero (that is the initial key itself)", ErrInvalidCounter)
	case c > TDESCounterMask:
		return fmt.Errorf("%w: counter %#x exceeds 21 bits", ErrInvalidCounter, c)
	case bits.OnesCount32(c) > TDESMaxOneBits:
		return fmt.Errorf("%w: counter %#x has %d one bits, at most %d allowed", ErrInvalidCounter, c, bits.OnesCount32(c), TDESMaxOneBits)
	}
	return nil
}

func tdesCounterOK(c uint32) bool {
	return c != 0 && c <= TDESCounterMask && bits.OnesCount32(c) <= TDESMaxOneBits
}

// NextTDESCounter returns the counter a device uses after the valid counter c:
// c+1 when c has fewer than 10 one bits, otherwise c plus its lowest set bit
// (skipping every counter with more than 10 one bits). After TDESLastCounter
// it returns ErrExhausted.
func NextTDESCounter(c uint32) (uint32, error) {
	if err := ValidTDESCounter(c); err != nil {
		return 0, fmt.Errorf("dukpt: next TDES counter: %w", err)
	}
	n := nextCounter(uint64(c), TDESMaxOneBits)
	if n > TDESCounterMask {
		return 0, ErrExhausted
	}
	return uint32(n), nil
}

// nextCounter is the device counter advance shared by TDES and AES DUKPT.
func nextCounter(c uint64, maxOnes int) uint64 {
	if bits.OnesCount64(c) < maxOnes {
		return c + 1
	}
	return c + c&-c
}

var ipekMask = [16]byte{0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0, 0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0}

// DeriveTDESIPEK derives the initial PIN encryption key (IPEK) of the device
// whose KSN is ksn from the double-length base derivation key bdk
// (ANSI X9.24-1:2009 Annex A): the leftmost 8 bytes of the KSN with the counter
// cleared are TDEA-encrypted under the BDK (left half) and under the BDK
// XORed with C0C0C0C000000000C0C0C0C000000000 (right half). Any counter value
// in ksn is ignored.
func DeriveTDESIPEK(bdk Key, ksn TDESKSN) (Key, error) {
	if bdk.Type() != TDES2 {
		return Key{}, fmt.Errorf("dukpt: derive IPEK: BDK must be a TDES2 key, got %v: %w", bdk.Type(), ErrInvalidKey)
	}
	var ipek [16]byte
	tdesIPEK(&ipek, bdk.b(), ksn)
	k := newKey(TDES2, ipek[:])
	clear(ipek[:])
	return k, nil
}

// tdesIPEK writes the IPEK of ksn under the 16-byte BDK bdk into dst using
// the package's DES: both halves are 2-key TDEA (EDE, K1 K2 K1) encryptions
// of the same block, the second under the BDK XORed with
// C0C0C0C000000000 in each half, which is its schedules XOR the mask's
// schedule. The two halves run interleaved; between the three DES
// operations FP and IP cancel, so only one IP and two FPs are computed.
func tdesIPEK(dst *[16]byte, bdk []byte, ksn TDESKSN) {
	data := binary.BigEndian.Uint64(ksn[:8]) &^ 0x1F
	var e, d, ks desSchedules
	desKeySchedulePair(binary.BigEndian.Uint64(bdk[:8]), &e)
	desKeySchedulePair(binary.BigEndian.Uint64(bdk[8:16]), &ks)
	for i := range d.a { // reversed for decryption
		d.a[i], d.b[i] = ks.a[15-i], ks.b[15-i]
	}
	x := permute64(&ipTab, data)
	y1, y2 := desEncryptPair(&e, x, x)
	y1, y2 = desEncryptPair(&d, y1, y2)
	y1, y2 = desEncryptPair(&e, y1, y2)
	binary.BigEndian.PutUint64(dst[:8], permute64(&fpTab, y1))
	binary.BigEndian.PutUint64(dst[8:], permute64(&fpTab, y2))
	e.clear()
	d.clear()
	ks.clear()
}

// tdesDerive walks the set bits of counter from the most significant one,
// applying the non-reversible key generation process (nrkgp) once per bit
// to the key (kl, kr) with the KSN register base (counter cleared) gaining
// that bit. IP is linear, so the permuted DES input IP(register ^ kr) is
// kept as IP(register) (one XOR per counter bit) XOR IP(kr), and IP(kr) of
// the next step is the current one XOR the pre-output of the right-half
// encryption (IP(FP(y)) = y); only the two final permutations that give the
// next key halves remain. Nothing escapes to the heap; the round keys on
// the stack are cleared at the end.
func tdesDerive(kl, kr, base uint64, counter uint32) (uint64, uint64) {
	c := uint64(counter & TDESCounterMask)
	if c == 0 {
		return kl, kr
	}
	ipReg, ipKr := permute64(&ipTab, base), permute64(&ipTab, kr)
	var sk desSchedules
	fp := fpTabp
	for c != 0 {
		b := 63 - bits.LeadingZeros64(c)
		c &^= 1 << b
		ipReg ^= ipOfBit[b]
		desKeySchedulePair(kl, &sk)
		ip := ipReg ^ ipKr
		yr, yl := desEncryptPair(&sk, ip, ip^ipOfMask)
		kl = permute64(fp, yl) ^ kr ^ dukptMask
		kr ^= permute64(fp, yr)
		ipKr ^= yr
	}
	sk.clear()
	return kl, kr
}

// TDESTransactionKey is the DUKPT key (X9.24-1 "future key") of one
// transaction, together with its KSN. Use WorkingKey to obtain the variant
// for a given purpose; the transaction key itself is not used directly.
type TDESTransactionKey struct {
	key Key
	ksn TDESKSN
}

// DeriveTDESTransactionKey is the receiving (host) side derivation of the
// transaction key for ksn from the device's IPEK. The counter of ksn must be
// valid (see ValidTDESCounter).
func DeriveTDESTransactionKey(ipek Key, ksn TDESKSN) (TDESTransactionKey, error) {
	if ipek.Type() != TDES2 {
		return TDESTransactionKey{}, fmt.Errorf("dukpt: derive TDES transaction key: IPEK must be a TDES2 key, got %v: %w", ipek.Type(), ErrInvalidKey)
	}
	c := ksn.Counter()
	if !tdesCounterOK(c) {
		return TDESTransactionKey{}, fmt.Errorf("dukpt: derive TDES transaction key for KSN %v: %w", ksn, ValidTDESCounter(c))
	}
	kl := binary.BigEndian.Uint64(ipek.b()[:8])
	kr := binary.BigEndian.Uint64(ipek.b()[8:])
	kl, kr = tdesDerive(kl, kr, ksn.right64Base(), c)
	return makeTDESTransactionKey(kl, kr, ksn), nil
}

// DeriveTDESTransactionKeyFromBDK derives the IPEK from bdk and then the
// transaction key for ksn.
func DeriveTDESTransactionKeyFromBDK(bdk Key, ksn TDESKSN) (TDESTransactionKey, error) {
	if bdk.Type() != TDES2 {
		return TDESTransactionKey{}, fmt.Errorf("dukpt: derive IPEK: BDK must be a TDES2 key, got %v: %w", bdk.Type(), ErrInvalidKey)
	}
	c := ksn.Counter()
	if err := ValidTDESCounter(c); err != nil {
		return TDESTransactionKey{}, fmt.Errorf("dukpt: derive TDES transaction key for KSN %v: %w", ksn, err)
	}
	var ipek [16]byte
	tdesIPEK(&ipek, bdk.b(), ksn)
	kl := binary.BigEndian.Uint64(ipek[:8])
	kr := binary.BigEndian.Uint64(ipek[8:])
	clear(ipek[:])
	kl, kr = tdesDerive(kl, kr, ksn.right64Base(), c)
	return makeTDESTransactionKey(kl, kr, ksn), nil
}

// DeriveTDESWorkingKey is the host-side derivation of the working key for
// variant v of the transaction whose KSN is ksn, from the device's IPEK: the
// same key as DeriveTDESTransactionKey followed by WorkingKey(v), without
// the intermediate transaction key object. For VariantPIN this is the key
// that deciphers the device's PIN block.
func DeriveTDESWorkingKey(ipek Key, ksn TDESKSN, v Variant) (Key, error) {
	if ipek.Type() != TDES2 {
		return Key{}, fmt.Errorf("dukpt: derive TDES working key: IPEK must be a TDES2 key, got %v: %w", ipek.Type(), ErrInvalidKey)
	}
	pos, ok := v.mask()
	if !ok {
		return Key{}, fmt.Errorf("dukpt: derive TDES working key: unknown variant %v: %w", v, ErrInvalidKey)
	}
	c := ksn.Counter()
	if !tdesCounterOK(c) {
		return Key{}, fmt.Errorf("dukpt: derive TDES working key for KSN %v: %w", ksn, ValidTDESCounter(c))
	}
	kl := binary.BigEndian.Uint64(ipek.b()[:8])
	kr := binary.BigEndian.Uint64(ipek.b()[8:])
	kl, kr = tdesDerive(kl, kr, ksn.right64Base(), c)
	if v.oneWay() {
		return makeTDESTransactionKey(kl, kr, ksn).WorkingKey(v)
	}
	// The table A-1 constant of one half: FF in byte pos.
	vm := uint64(0xFF) << (8 * (7 - uint(pos)))
	return makeTDESKey(kl^vm, kr^vm), nil
}

func makeTDESTransactionKey(kl, kr uint64, ksn TDESKSN) TDESTransactionKey {
	return TDESTransactionKey{key: makeTDESKey(kl, kr), ksn: ksn}
}

func makeTDESKey(kl, kr uint64) Key {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], kl)
	binary.BigEndian.PutUint64(b[8:], kr)
	k := newKey(TDES2, b[:])
	clear(b[:])
	return k
}

// KSN returns the key serial number of the transaction.
func (t TDESTransactionKey) KSN() TDESKSN { return t.ksn }

// Key returns the transaction key itself (before any variant).
func (t TDESTransactionKey) Key() Key { return t.key }

// String prints the KSN and the KCV of the transaction key, never key bytes.
func (t TDESTransactionKey) String() string {
	return "TDESTransactionKey(KSN " + t.ksn.String() + ", " + t.key.String() + ")"
}

// GoString is String.
func (t TDESTransactionKey) GoString() string { return t.String() }

// Format prints the String form for every verb.
func (t TDESTransactionKey) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(t.String())) }

// Variant selects one of the X9.24-1:2009 transaction key variants.
type Variant int

// Variants of X9.24-1:2009 table A-1.
const (
	VariantPIN          Variant = iota + 1 // PIN encryption
	VariantMACRequest                      // MAC, request (or both ways)
	VariantMACResponse                     // MAC, response
	VariantDataRequest                     // data encryption, request (or both ways)
	VariantDataResponse                    // data encryption, response
)

func (v Variant) String() string {
	switch v {
	case VariantPIN:
		return "PIN"
	case VariantMACRequest:
		return "MACRequest"
	case VariantMACResponse:
		return "MACResponse"
	case VariantDataRequest:
		return "DataRequest"
	case VariantDataResponse:
		return "DataResponse"
	}
	return fmt.Sprintf("Variant(%d)", int(v))
}

// oneWay reports whether the working key of v is the variant key passed
// through the one-way function (the data encryption variants).
func (v Variant) oneWay() bool { return v == VariantDataRequest || v == VariantDataResponse }

// mask returns the index, within each 8-byte half, of the byte that the
// X9.24-1:2009 table A-1 variant constant sets to FF.
func (v Variant) mask() (pos int, ok bool) {
	switch v {
	case VariantPIN:
		return 7, true
	case VariantMACRequest:
		return 6, true
	case VariantMACResponse:
		return 4, true
	case VariantDataRequest:
		return 5, true
	case VariantDataResponse:
		return 3, true
	}
	return 0, false
}

// VariantKey returns the transaction key XORed with the variant constant of
// X9.24-1:2009 table A-1 (PIN 00000000000000FF..., MAC request
// 000000000000FF00..., MAC response 00000000FF000000..., data request
// 0000000000FF0000..., data response 000000FF00000000..., each repeated in
// both halves). For the data variants this is NOT the X9.24-1:2009 data key
// (see WorkingKey); it is what some older systems use as a "data variant".
func (t TDESTransactionKey) VariantKey(v Variant) (Key, error) {
	pos, ok := v.mask()
	if !ok || t.key.IsZero() {
		return Key{}, fmt.Errorf("dukpt: variant key: unknown variant %v or zero key: %w", v, ErrInvalidKey)
	}
	var b [16]byte
	copy(b[:], t.key.b())
	b[pos] ^= 0xFF
	b[8+pos] ^= 0xFF
	k := newKey(TDES2, b[:])
	clear(b[:])
	return k, nil
}

// WorkingKey returns the X9.24-1:2009 working key for variant v: the
// variant key for PIN and MAC keys; for the data keys the variant key is
// further passed through the one-way function of X9.24-1:2009 (each half of
// the variant key is TDEA-encrypted under the variant key itself).
func (t TDESTransactionKey) WorkingKey(v Variant) (Key, error) {
	vk, err := t.VariantKey(v)
	if err != nil {
		return Key{}, err
	}
	if !v.oneWay() {
		return vk, nil
	}
	c, err := vk.Cipher()
	if err != nil {
		return Key{}, fmt.Errorf("dukpt: data working key: %w", err)
	}
	var out [16]byte
	c.Encrypt(out[:8], vk.b()[:8])
	c.Encrypt(out[8:], vk.b()[8:])
	k := newKey(TDES2, out[:])
	clear(out[:])
	return k, nil
}
