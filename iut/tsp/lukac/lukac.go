// Package lukac defines the token cryptogram of paycert's tsp role: the
// 8-byte MAC a phone (or the reference card in LUK mode) computes with a
// limited-use key (LUK) over one transaction, and that the token service
// verifies in tsp.authorize. docs/adapter-protocol.md ("### tsp") is the
// normative description; this package is the one implementation that the
// reference card, the reference token service and the token suite share.
//
// The cryptogram input is 27 bytes:
//
//	amount    6 bytes  n12 BCD, minor units          (as EMV 9F02)
//	currency  2 bytes  n4 BCD, ISO 4217 numeric code  (as EMV 5F2A)
//	date      3 bytes  n6 BCD, YYMMDD                 (as EMV 9A)
//	UN        4 bytes  the terminal's unpredictable number (as EMV 9F37)
//	ATC       2 bytes  big-endian transaction counter (as EMV 9F36)
//	token    10 bytes  the token's digits as BCD, right-padded with F nibbles
//
// and the cryptogram is ISO/IEC 9797-1 MAC algorithm 3 with padding method 2
// under the double-length TDES LUK (K1 = LUK[0:8], K2 = LUK[8:16], single
// DES steps), that is emvcrypto.MAC with PaddingMethod2. The LUK is used
// directly, with no session key derivation: it is already a per-token,
// short-lived key.
//
// No function panics on bad input; errors are prefixed "lukac:". Nothing
// here ever formats key bytes.
package lukac

import (
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/paycert/paycert/emvcrypto"
)

// KeyLen is the length of a LUK in bytes: a double-length TDES key.
const KeyLen = 16

// InputLen is the length of the cryptogram input in bytes.
const InputLen = 27

// MaxAmount is the largest amount the input can carry (12 decimal digits).
const MaxAmount = 999_999_999_999

// ErrMismatch is returned (possibly wrapped) by Verify when the cryptogram
// does not verify. It carries no expected value.
var ErrMismatch = errors.New("lukac: cryptogram does not verify")

// Tx is the transaction data a token cryptogram covers.
type Tx struct {
	Token    string  // the token (payment token PAN), 12 to 19 decimal digits
	Amount   uint64  // amount authorised in minor units, at most MaxAmount
	Currency uint16  // ISO 4217 numeric currency code, 0 to 999 (156 is CNY)
	Date     string  // transaction date, YYMMDD
	UN       [4]byte // the terminal's unpredictable number
	ATC      uint16  // the token's application transaction counter
}

// NewKey returns the LUK as an emvcrypto key. b must be KeyLen bytes.
func NewKey(b []byte) (emvcrypto.Key, error) {
	if len(b) != KeyLen {
		return emvcrypto.Key{}, fmt.Errorf("lukac: a LUK is %d bytes, got %d", KeyLen, len(b))
	}
	k, err := emvcrypto.NewKey(emvcrypto.AlgTDES, b)
	if err != nil {
		return emvcrypto.Key{}, fmt.Errorf("lukac: %w", err)
	}
	return k, nil
}

// KCV returns the LUK's key check value as six upper-case hex digits: the
// first three bytes of the TDES encryption of an all-zero block.
func KCV(luk emvcrypto.Key) (string, error) {
	b, err := luk.KCV(3)
	if err != nil {
		return "", fmt.Errorf("lukac: KCV: %w", err)
	}
	return fmt.Sprintf("%X", b), nil
}

// Input returns the 27-byte cryptogram input of tx, checking every field.
func Input(tx Tx) ([]byte, error) {
	if n := len(tx.Token); n < 12 || n > 19 || !digits(tx.Token) {
		return nil, fmt.Errorf("lukac: token must be 12 to 19 decimal digits, got %d characters", len(tx.Token))
	}
	if tx.Amount > MaxAmount {
		return nil, fmt.Errorf("lukac: amount %d exceeds %d", tx.Amount, uint64(MaxAmount))
	}
	if tx.Currency > 999 {
		return nil, fmt.Errorf("lukac: currency %d is not a 3-digit ISO 4217 numeric code", tx.Currency)
	}
	if err := CheckDate(tx.Date); err != nil {
		return nil, err
	}
	out := make([]byte, 0, InputLen)
	out = append(out, bcd(tx.Amount, 6)...)
	out = append(out, bcd(uint64(tx.Currency), 2)...)
	out = append(out, packDigits(tx.Date, 3)...)
	out = append(out, tx.UN[:]...)
	out = append(out, byte(tx.ATC>>8), byte(tx.ATC))
	out = append(out, packDigits(tx.Token, 10)...)
	return out, nil
}

// Compute returns the 8-byte token cryptogram of tx under luk.
func Compute(luk emvcrypto.Key, tx Tx) ([]byte, error) {
	if luk.Algorithm() != emvcrypto.AlgTDES || luk.Len() != KeyLen {
		return nil, errors.New("lukac: the LUK must be a double-length TDES key")
	}
	in, err := Input(tx)
	if err != nil {
		return nil, err
	}
	ac, err := emvcrypto.MAC(luk, in, emvcrypto.PaddingMethod2)
	if err != nil {
		return nil, fmt.Errorf("lukac: %w", err)
	}
	return ac, nil
}

// Verify checks cryptogram against tx under luk in constant time. It
// returns an error wrapping ErrMismatch when they disagree, and another
// error when tx or luk is unusable.
func Verify(luk emvcrypto.Key, tx Tx, cryptogram []byte) error {
	want, err := Compute(luk, tx)
	if err != nil {
		return err
	}
	if len(cryptogram) != len(want) || subtle.ConstantTimeCompare(want, cryptogram) != 1 {
		return ErrMismatch
	}
	return nil
}

// CheckDate checks a YYMMDD transaction date: six digits, month 01-12, day
// 01-31.
func CheckDate(d string) error {
	if len(d) != 6 || !digits(d) {
		return fmt.Errorf("lukac: date %q is not YYMMDD", d)
	}
	mm := int(d[2]-'0')*10 + int(d[3]-'0')
	dd := int(d[4]-'0')*10 + int(d[5]-'0')
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 {
		return fmt.Errorf("lukac: date %q is not YYMMDD (month 01-12, day 01-31)", d)
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// bcd encodes v as n bytes of packed BCD, most significant digit first.
func bcd(v uint64, n int) []byte {
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		lo := v % 10
		v /= 10
		hi := v % 10
		v /= 10
		out[i] = byte(hi<<4 | lo)
	}
	return out
}

// packDigits packs the decimal digits of s into n bytes, two per byte,
// left-aligned, padding the remaining nibbles with F.
func packDigits(s string, n int) []byte {
	out := make([]byte, n)
	for i := range 2 * n {
		nib := byte(0x0F)
		if i < len(s) {
			nib = s[i] - '0'
		}
		if i%2 == 0 {
			out[i/2] = nib << 4
		} else {
			out[i/2] |= nib
		}
	}
	return out
}
