package emvcrypto

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// The token cryptogram is the 8-byte MAC a wallet (or a cloud card in LUK
// mode) computes with a limited-use key (LUK) over one transaction, and
// that a token service verifies (docs/adapter-protocol.md, "The token
// cryptogram", which is normative; vectors/token-cryptogram.json holds its
// known answers). The input is 27 bytes:
//
//	amount    6 bytes  n12 BCD, minor units          (as EMV 9F02)
//	currency  2 bytes  n4 BCD, ISO 4217 numeric code  (as EMV 5F2A)
//	date      3 bytes  n6 BCD, YYMMDD                 (as EMV 9A)
//	UN        4 bytes  the terminal's unpredictable number (as EMV 9F37)
//	ATC       2 bytes  big-endian transaction counter (as EMV 9F36)
//	token    10 bytes  the token's digits as BCD, right-padded with F nibbles
//
// and the cryptogram is MAC with PaddingMethod2 (ISO/IEC 9797-1 MAC
// algorithm 3) under the double-length TDES LUK used directly, with no
// session key derivation: a LUK is already a per-token, short-lived key.

// LUKLen is the length of a LUK in bytes: a double-length TDES key.
const LUKLen = 16

// TokenInputLen is the length of the token cryptogram input in bytes.
const TokenInputLen = 27

// MaxTokenAmount is the largest amount the token cryptogram input can
// carry (12 decimal digits).
const MaxTokenAmount = 999_999_999_999

// ErrTokenMismatch is returned (possibly wrapped) by VerifyTokenCryptogram
// when the cryptogram does not verify. It carries no expected value.
var ErrTokenMismatch = errors.New("emvcrypto: token cryptogram does not verify")

// TokenTx is the transaction data a token cryptogram covers.
type TokenTx struct {
	Token    string  // the token (payment token PAN), 12 to 19 decimal digits
	Amount   uint64  // amount authorised in minor units, at most MaxTokenAmount
	Currency uint16  // ISO 4217 numeric currency code, 0 to 999 (156 is CNY)
	Date     string  // transaction date, YYMMDD
	UN       [4]byte // the terminal's unpredictable number
	ATC      uint16  // the token's application transaction counter
}

// NewLUK returns b, which must be LUKLen bytes, as a TDES key.
func NewLUK(b []byte) (Key, error) {
	if len(b) != LUKLen {
		return Key{}, fmt.Errorf("emvcrypto: a LUK is %d bytes, got %d", LUKLen, len(b))
	}
	return NewKey(AlgTDES, b)
}

// LUKCheckValue returns the LUK's key check value as six upper-case hex
// digits: the first three bytes of the TDES encryption of a zero block.
func LUKCheckValue(luk Key) (string, error) {
	b, err := luk.KCV(3)
	if err != nil {
		return "", fmt.Errorf("emvcrypto: LUK check value: %w", err)
	}
	return fmt.Sprintf("%X", b), nil
}

// TokenCryptogramInput returns the 27-byte input of tx, checking every
// field.
func TokenCryptogramInput(tx TokenTx) ([]byte, error) {
	if n := len(tx.Token); n < 12 || n > 19 || !isDigits(tx.Token) {
		return nil, fmt.Errorf("emvcrypto: token must be 12 to 19 decimal digits, got %d characters", len(tx.Token))
	}
	if tx.Amount > MaxTokenAmount {
		return nil, fmt.Errorf("emvcrypto: amount %d exceeds %d", tx.Amount, uint64(MaxTokenAmount))
	}
	if tx.Currency > 999 {
		return nil, fmt.Errorf("emvcrypto: currency %d is not a 3-digit ISO 4217 numeric code", tx.Currency)
	}
	if err := CheckTokenDate(tx.Date); err != nil {
		return nil, err
	}
	digits := fmt.Sprintf("%012d%04d%s", tx.Amount, tx.Currency, tx.Date)
	out, err := hex.DecodeString(digits)
	if err != nil {
		return nil, fmt.Errorf("emvcrypto: token cryptogram input: %w", err)
	}
	out = append(out, tx.UN[:]...)
	out = append(out, byte(tx.ATC>>8), byte(tx.ATC))
	tok, err := hex.DecodeString(tx.Token + strings.Repeat("F", 20-len(tx.Token)))
	if err != nil {
		return nil, fmt.Errorf("emvcrypto: token cryptogram input: %w", err)
	}
	return append(out, tok...), nil
}

// TokenCryptogram returns the 8-byte token cryptogram of tx under luk.
func TokenCryptogram(luk Key, tx TokenTx) ([]byte, error) {
	if luk.Algorithm() != AlgTDES || luk.Len() != LUKLen {
		return nil, errors.New("emvcrypto: the LUK must be a double-length TDES key")
	}
	in, err := TokenCryptogramInput(tx)
	if err != nil {
		return nil, err
	}
	return MAC(luk, in, PaddingMethod2)
}

// VerifyTokenCryptogram checks cryptogram against tx under luk in constant
// time. It returns ErrTokenMismatch when they disagree and another error
// when tx or luk is unusable.
func VerifyTokenCryptogram(luk Key, tx TokenTx, cryptogram []byte) error {
	want, err := TokenCryptogram(luk, tx)
	if err != nil {
		return err
	}
	if len(cryptogram) != len(want) || subtle.ConstantTimeCompare(want, cryptogram) != 1 {
		return ErrTokenMismatch
	}
	return nil
}

// CheckTokenDate checks a YYMMDD transaction date: six digits, month
// 01-12, day 01-31.
func CheckTokenDate(d string) error {
	if len(d) != 6 || !isDigits(d) {
		return fmt.Errorf("emvcrypto: date %q is not YYMMDD", d)
	}
	mm := int(d[2]-'0')*10 + int(d[3]-'0')
	dd := int(d[4]-'0')*10 + int(d[5]-'0')
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 {
		return fmt.Errorf("emvcrypto: date %q is not YYMMDD (month 01-12, day 01-31)", d)
	}
	return nil
}
