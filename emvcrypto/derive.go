package emvcrypto

import (
	"crypto/sha1"
	"fmt"
)

// DerivationOption selects how the ICC master key is derived from the
// issuer master key (EMV Book 2, Annex A1.4).
type DerivationOption uint8

const (
	// OptionA: Y is the rightmost 16 digits of PAN‖PSN, left-padded with
	// zeros (EMV Book 2 A1.4.1).
	OptionA DerivationOption = 1
	// OptionB: for PANs longer than 16 digits, Y is a decimalised SHA-1
	// digest of PAN‖PSN (EMV Book 2 A1.4.2); PANs of 16 digits or fewer
	// use option A.
	OptionB DerivationOption = 2
)

// String returns "A", "B", or "DerivationOption(n)".
func (o DerivationOption) String() string {
	switch o {
	case OptionA:
		return "A"
	case OptionB:
		return "B"
	}
	return fmt.Sprintf("DerivationOption(%d)", uint8(o))
}

// MasterKeyDerivationData returns Y, the 8-byte (16-digit BCD) value
// encrypted under the issuer master key to form the ICC master key.
//
// pan must be 1 to 19 decimal digits. psn must be empty (taken as "00",
// the EMV convention for an absent PAN sequence number) or exactly two
// decimal digits.
func MasterKeyDerivationData(opt DerivationOption, pan, psn string) ([]byte, error) {
	if len(pan) < 1 || len(pan) > 19 || !isDigits(pan) {
		return nil, fmt.Errorf("emvcrypto: PAN must be 1 to 19 decimal digits (got %d characters)", len(pan))
	}
	if psn == "" {
		psn = "00"
	}
	if len(psn) != 2 || !isDigits(psn) {
		return nil, fmt.Errorf("emvcrypto: PAN sequence number must be 2 decimal digits")
	}
	x := pan + psn
	switch opt {
	case OptionA:
	case OptionB:
		if len(pan) > 16 {
			return optionBData(x), nil
		}
	default:
		return nil, fmt.Errorf("emvcrypto: unknown derivation option %v", opt)
	}
	if len(x) > 16 {
		x = x[len(x)-16:]
	}
	return packDigits(leftPad(x, 16)), nil
}

// optionBData implements the EMV Book 2 A1.4.2 decimalisation: hash the
// BCD of PAN‖PSN (left-padded to an even digit count), take the decimal
// nibbles of the digest in order, and if fewer than 16 are found continue
// with the nibbles A..F mapped to 0..5.
func optionBData(digits string) []byte {
	if len(digits)%2 == 1 {
		digits = "0" + digits
	}
	sum := sha1.Sum(packDigits(digits))
	nibbles := make([]byte, 0, 2*len(sum))
	for _, b := range sum {
		nibbles = append(nibbles, b>>4, b&0x0F)
	}
	out := make([]byte, 0, 16)
	for _, n := range nibbles {
		if len(out) == 16 {
			break
		}
		if n <= 9 {
			out = append(out, n)
		}
	}
	for _, n := range nibbles {
		if len(out) == 16 {
			break
		}
		if n > 9 {
			out = append(out, n-10)
		}
	}
	y := make([]byte, 8)
	for i := range y {
		y[i] = out[2*i]<<4 | out[2*i+1]
	}
	return y
}

// DeriveICCMasterKey derives the ICC master key (for example MK-AC) from
// the issuer master key imk, using opt, pan and psn as described for
// MasterKeyDerivationData.
//
// TDES: MK = E(IMK, Y) ‖ E(IMK, Y ⊕ FF..FF) with odd parity (16 bytes,
// also for a 24-byte IMK).
// SM4: MK = SM4(IMK, Y ‖ (Y ⊕ FF..FF)), one 16-byte block, no parity
// adjustment (public vector pboc-sm4-imk-1 in vectors/emv-arqc.json).
func DeriveICCMasterKey(imk Key, opt DerivationOption, pan, psn string) (Key, error) {
	if err := imk.valid(); err != nil {
		return Key{}, fmt.Errorf("emvcrypto: derive ICC master key: %w", err)
	}
	y, err := MasterKeyDerivationData(opt, pan, psn)
	if err != nil {
		return Key{}, fmt.Errorf("emvcrypto: derive ICC master key: %w", err)
	}
	return splitDerive(imk, y, complement(y), "ICC master key")
}

// splitDerive implements the shared "left ‖ right" construction: for TDES
// the two 8-byte halves are encrypted separately and the result gets odd
// parity; for SM4 the 16 bytes are encrypted as one block.
func splitDerive(parent Key, left, right []byte, what string) (Key, error) {
	m := parent.m
	out := make([]byte, 16)
	switch m.alg {
	case AlgTDES:
		m.block().Encrypt(out[:8], left)
		m.block().Encrypt(out[8:], right)
		setOddParity(out)
	case AlgSM4:
		copy(out[:8], left)
		copy(out[8:], right)
		m.block().Encrypt(out, out)
	default:
		return Key{}, fmt.Errorf("emvcrypto: derive %s: unknown algorithm %v", what, m.alg)
	}
	k, err := newKeyOwned(m.alg, out)
	if err != nil {
		return Key{}, fmt.Errorf("emvcrypto: derive %s: %w", what, err)
	}
	return k, nil
}

// SessionKeyMethod selects how the application cryptogram session key is
// derived from the ICC master key.
type SessionKeyMethod uint8

const (
	// SessionKeyNone uses the ICC master key itself (Visa CVN 10).
	SessionKeyNone SessionKeyMethod = 1
	// SessionKeyCommon is the EMV common session key (EMV Book 2 A1.3)
	// with R = ATC ‖ 00 00 00 00 00 00 (Visa CVN 18/22, Mastercard CVN
	// 20/21). PBOC does not use it (see SessionKeyPBOC).
	SessionKeyCommon SessionKeyMethod = 2
	// SessionKeyMastercard is the Mastercard SKD variant of the common
	// session key with R = ATC ‖ 00 00 ‖ UN (Mastercard CVN 16/17).
	SessionKeyMastercard SessionKeyMethod = 3
	// SessionKeyPBOC is the PBOC/UnionPay AC session key (JR/T 0025),
	// derived from the ATC and its complement (DerivePBOCSessionKey).
	SessionKeyPBOC SessionKeyMethod = 4
)

// String returns a short name of the method.
func (m SessionKeyMethod) String() string {
	switch m {
	case SessionKeyNone:
		return "none"
	case SessionKeyCommon:
		return "common(ATC)"
	case SessionKeyMastercard:
		return "mastercard(ATC,UN)"
	case SessionKeyPBOC:
		return "pboc(ATC)"
	}
	return fmt.Sprintf("SessionKeyMethod(%d)", uint8(m))
}

// SessionKeyDiversifier returns the 8-byte diversification value R for m:
// ATC‖000000000000 for SessionKeyCommon and ATC‖0000‖UN for
// SessionKeyMastercard. atc must be 2 bytes; un must be 4 bytes for
// SessionKeyMastercard and is ignored otherwise. SessionKeyNone has no R
// and returns an error.
func SessionKeyDiversifier(m SessionKeyMethod, atc, un []byte) ([]byte, error) {
	if m != SessionKeyCommon && m != SessionKeyMastercard {
		return nil, fmt.Errorf("emvcrypto: session key method %v has no diversifier", m)
	}
	if len(atc) != 2 {
		return nil, fmt.Errorf("emvcrypto: ATC must be 2 bytes, got %d", len(atc))
	}
	r := make([]byte, 8)
	copy(r, atc)
	if m == SessionKeyMastercard {
		if len(un) != 4 {
			return nil, fmt.Errorf("emvcrypto: unpredictable number must be 4 bytes, got %d", len(un))
		}
		copy(r[4:], un)
	}
	return r, nil
}

// DeriveCommonSessionKey derives the EMV common session key from mk for
// an explicit 8-byte diversifier r (EMV Book 2 A1.3.1).
//
// TDES: SK = E(MK, R with R[2]=F0) ‖ E(MK, R with R[2]=0F), odd parity.
// SM4: the same two 8-byte values form one 16-byte block, SK = SM4(MK,
// (R with R[2]=F0) ‖ (R with R[2]=0F)). No cryptogram version uses the
// SM4 form and it has no public vector: it was paycert's former reading of
// PBOC, which the public PBOC vectors refute (see DerivePBOCSessionKey);
// it remains only so that the reference card can reproduce that mistake
// as a fault.
func DeriveCommonSessionKey(mk Key, r []byte) (Key, error) {
	if err := mk.valid(); err != nil {
		return Key{}, fmt.Errorf("emvcrypto: derive session key: %w", err)
	}
	if len(r) != 8 {
		return Key{}, fmt.Errorf("emvcrypto: derive session key: R must be 8 bytes, got %d", len(r))
	}
	var l, rr [8]byte
	copy(l[:], r)
	copy(rr[:], r)
	l[2], rr[2] = 0xF0, 0x0F
	return splitDerive(mk, l[:], rr[:], "session key")
}

// DerivePBOCSessionKey derives the PBOC/UnionPay application cryptogram
// session key (JR/T 0025) from the ICC master key mk and the 2-byte ATC:
//
//	TDES: SK = E(MK, 000000000000 ‖ ATC) ‖ E(MK, 000000000000 ‖ (ATC ⊕ FFFF)), odd parity
//	SM4:  SK = SM4(MK, 000000000000 ‖ ATC ‖ 000000000000 ‖ (ATC ⊕ FFFF)), one block
//
// This is not the EMV common session key (no F0/0F marker bytes, and the
// ATC is right-aligned). Both forms reproduce the public vectors
// pboc-sm4-imk-1 (session key and ARQC) and pboc-tdes-imk-1 (ARQC and
// ARPC) in vectors/emv-arqc.json; the EMV common session key reproduces
// neither. Parity adjustment of the TDES key does not affect any
// cryptogram (DES ignores the parity bits).
func DerivePBOCSessionKey(mk Key, atc []byte) (Key, error) {
	if err := mk.valid(); err != nil {
		return Key{}, fmt.Errorf("emvcrypto: derive PBOC session key: %w", err)
	}
	if len(atc) != 2 {
		return Key{}, fmt.Errorf("emvcrypto: derive PBOC session key: ATC must be 2 bytes, got %d", len(atc))
	}
	var l, r [8]byte
	l[6], l[7] = atc[0], atc[1]
	r[6], r[7] = ^atc[0], ^atc[1]
	return splitDerive(mk, l[:], r[:], "PBOC session key")
}

// DeriveSessionKey derives the application cryptogram session key from
// the ICC master key mk with method m (see SessionKeyDiversifier for atc
// and un; SessionKeyPBOC uses only atc). For SessionKeyNone it returns mk.
func DeriveSessionKey(mk Key, m SessionKeyMethod, atc, un []byte) (Key, error) {
	if err := mk.valid(); err != nil {
		return Key{}, fmt.Errorf("emvcrypto: derive session key: %w", err)
	}
	switch m {
	case SessionKeyNone:
		return mk, nil
	case SessionKeyPBOC:
		return DerivePBOCSessionKey(mk, atc)
	}
	r, err := SessionKeyDiversifier(m, atc, un)
	if err != nil {
		return Key{}, fmt.Errorf("emvcrypto: derive session key: %w", err)
	}
	return DeriveCommonSessionKey(mk, r)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// packDigits packs an even-length string of decimal digits as BCD.
func packDigits(s string) []byte {
	out := make([]byte, len(s)/2)
	for i := range out {
		out[i] = (s[2*i]-'0')<<4 | (s[2*i+1] - '0')
	}
	return out
}

func complement(b []byte) []byte {
	out := make([]byte, len(b))
	for i, v := range b {
		out[i] = ^v
	}
	return out
}
