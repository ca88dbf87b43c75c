// Package pinblock encodes, enciphers, deciphers and decodes ISO 9564-1 PIN
// blocks in formats 0, 3 (8-byte blocks, for TDEA) and 4 (16-byte blocks,
// for AES).
//
// Format 0 and 3 blocks are the exclusive-or of a PIN field and a PAN field:
//
//	PIN field: C N P P P P P/F ... F   (C = 0 or 3, N = PIN length 4..12,
//	                                    fill F for format 0, random A..F for 3)
//	PAN field: 0 0 0 0 A1 ... A12      (the 12 rightmost PAN digits
//	                                    excluding the check digit)
//
// Format 4 uses a 16-byte PIN field (4 N P.. fill A.., then 8 random bytes)
// and a 16-byte PAN field (M, the PAN length minus 12, then the PAN, zero
// filled). It is enciphered in two stages: the PIN field is encrypted, the
// result is XORed with the PAN field and encrypted again.
//
// Block ciphers are passed as cipher.Block so key bytes never pass through
// this package. Every decoder validates the complete block and reports a
// malformed block with an error wrapping ErrMalformed; nothing here panics on
// bad input.
package pinblock

import (
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
)

// Format is an ISO 9564-1 PIN block format number.
type Format int

// Supported formats.
const (
	Format0 Format = 0
	Format3 Format = 3
	Format4 Format = 4
)

var (
	// ErrInvalidPIN is returned (wrapped) for a PIN that is not 4 to 12
	// decimal digits.
	ErrInvalidPIN = errors.New("pinblock: invalid PIN")
	// ErrInvalidPAN is returned (wrapped) for a PAN that is not 1 to 19
	// decimal digits.
	ErrInvalidPAN = errors.New("pinblock: invalid PAN")
	// ErrMalformed is returned (wrapped) when a block does not decode to a
	// well-formed PIN field.
	ErrMalformed = errors.New("pinblock: malformed PIN block")
	// ErrBlockSize is returned (wrapped) when a block or cipher has the wrong
	// size for the format.
	ErrBlockSize = errors.New("pinblock: wrong block size")
)

func checkPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 12 {
		return fmt.Errorf("%w: length %d, want 4 to 12 digits", ErrInvalidPIN, len(pin))
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return fmt.Errorf("%w: non-digit at position %d", ErrInvalidPIN, i)
		}
	}
	return nil
}

func checkPAN(pan string) error {
	if len(pan) < 1 || len(pan) > 19 {
		return fmt.Errorf("%w: length %d, want 1 to 19 digits", ErrInvalidPAN, len(pan))
	}
	for i := 0; i < len(pan); i++ {
		if pan[i] < '0' || pan[i] > '9' {
			return fmt.Errorf("%w: non-digit at position %d", ErrInvalidPAN, i)
		}
	}
	return nil
}

// setNibble sets nibble i (0 = high nibble of b[0]) of b to v.
func setNibble(b []byte, i int, v byte) {
	if i%2 == 0 {
		b[i/2] = b[i/2]&0x0f | v<<4
	} else {
		b[i/2] = b[i/2]&0xf0 | v&0x0f
	}
}

func nibble(b []byte, i int) byte {
	if i%2 == 0 {
		return b[i/2] >> 4
	}
	return b[i/2] & 0x0f
}

// panField0 returns the 8-byte format 0/3 PAN field.
func panField0(pan string) ([8]byte, error) {
	var f [8]byte
	if err := checkPAN(pan); err != nil {
		return f, err
	}
	digits := pan[:len(pan)-1] // exclude the check digit
	if len(digits) > 12 {
		digits = digits[len(digits)-12:]
	}
	// Right-justify in nibbles 4..15, zero padded on the left.
	start := 16 - len(digits)
	for i := 0; i < len(digits); i++ {
		setNibble(f[:], start+i, digits[i]-'0')
	}
	return f, nil
}

// randomFillAF reads n uniformly random nibbles in 0xA..0xF from r.
func randomFillAF(r io.Reader, n int) ([]byte, error) {
	if r == nil {
		return nil, errors.New("pinblock: nil random source")
	}
	out := make([]byte, 0, n)
	var buf [16]byte
	for len(out) < n {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return nil, fmt.Errorf("pinblock: reading random fill: %w", err)
		}
		for _, b := range buf {
			// 252 = 42*6: rejecting 252..255 keeps the choice unbiased.
			if b < 252 && len(out) < n {
				out = append(out, 0xA+b%6)
			}
		}
	}
	return out, nil
}

func encode03(f Format, pin, pan string, rand io.Reader) ([]byte, error) {
	if err := checkPIN(pin); err != nil {
		return nil, err
	}
	panField, err := panField0(pan)
	if err != nil {
		return nil, err
	}
	var block [8]byte
	setNibble(block[:], 0, byte(f))
	setNibble(block[:], 1, byte(len(pin)))
	for i := 0; i < len(pin); i++ {
		setNibble(block[:], 2+i, pin[i]-'0')
	}
	nfill := 14 - len(pin)
	fill := make([]byte, nfill)
	if f == Format0 {
		for i := range fill {
			fill[i] = 0xF
		}
	} else {
		if fill, err = randomFillAF(rand, nfill); err != nil {
			return nil, err
		}
	}
	for i, v := range fill {
		setNibble(block[:], 2+len(pin)+i, v)
	}
	subtle.XORBytes(block[:], block[:], panField[:])
	return block[:], nil
}

// EncodeFormat0 returns the clear 8-byte ISO 9564-1 format 0 PIN block for pin
// (4 to 12 digits) and pan (1 to 19 digits, check digit included).
func EncodeFormat0(pin, pan string) ([]byte, error) {
	return encode03(Format0, pin, pan, nil)
}

// EncodeFormat3 returns the clear 8-byte ISO 9564-1 format 3 PIN block for pin
// and pan. The fill nibbles are drawn uniformly from A..F using bytes read
// from rand (normally crypto/rand.Reader).
func EncodeFormat3(pin, pan string, rand io.Reader) ([]byte, error) {
	return encode03(Format3, pin, pan, rand)
}

// Decode recovers the PIN from a clear 8-byte format 0 or format 3 PIN block
// and reports which format it was. Every nibble of the block is checked.
func Decode(block []byte, pan string) (pin string, f Format, err error) {
	if len(block) != 8 {
		return "", 0, fmt.Errorf("pinblock: decode: block is %d bytes, want 8: %w", len(block), ErrBlockSize)
	}
	panField, err := panField0(pan)
	if err != nil {
		return "", 0, err
	}
	var field [8]byte
	subtle.XORBytes(field[:], block, panField[:])
	switch c := nibble(field[:], 0); c {
	case 0:
		f = Format0
	case 3:
		f = Format3
	default:
		return "", 0, fmt.Errorf("%w: control field %X is not format 0 or 3", ErrMalformed, c)
	}
	n := int(nibble(field[:], 1))
	if n < 4 || n > 12 {
		return "", 0, fmt.Errorf("%w: PIN length %d", ErrMalformed, n)
	}
	digits := make([]byte, n)
	for i := 0; i < n; i++ {
		d := nibble(field[:], 2+i)
		if d > 9 {
			return "", 0, fmt.Errorf("%w: PIN digit %d is %X", ErrMalformed, i, d)
		}
		digits[i] = '0' + d
	}
	for i := 2 + n; i < 16; i++ {
		v := nibble(field[:], i)
		if (f == Format0 && v != 0xF) || (f == Format3 && v < 0xA) {
			return "", 0, fmt.Errorf("%w: fill nibble %d is %X", ErrMalformed, i, v)
		}
	}
	return string(digits), f, nil
}

// EncryptFormat0 encodes a format 0 PIN block and encrypts it with b, which
// must have an 8-byte block (TDEA).
func EncryptFormat0(b cipher.Block, pin, pan string) ([]byte, error) {
	if err := check8(b); err != nil {
		return nil, err
	}
	blk, err := EncodeFormat0(pin, pan)
	if err != nil {
		return nil, err
	}
	b.Encrypt(blk, blk)
	return blk, nil
}

// EncryptFormat3 encodes a format 3 PIN block (random fill from rand) and
// encrypts it with b, which must have an 8-byte block (TDEA).
func EncryptFormat3(b cipher.Block, pin, pan string, rand io.Reader) ([]byte, error) {
	if err := check8(b); err != nil {
		return nil, err
	}
	blk, err := EncodeFormat3(pin, pan, rand)
	if err != nil {
		return nil, err
	}
	b.Encrypt(blk, blk)
	return blk, nil
}

func check8(b cipher.Block) error {
	if b == nil || b.BlockSize() != 8 {
		return fmt.Errorf("pinblock: formats 0 and 3 need a cipher with an 8-byte block: %w", ErrBlockSize)
	}
	return nil
}

func check16(b cipher.Block) error {
	if b == nil || b.BlockSize() != 16 {
		return fmt.Errorf("pinblock: format 4 needs a cipher with a 16-byte block: %w", ErrBlockSize)
	}
	return nil
}

// Decrypt deciphers an encrypted PIN block with b and returns the PIN and
// the block's format. With an 8-byte block cipher (TDEA) the block must be
// format 0 or 3; with a 16-byte block cipher (AES) it must be format 4. On
// error the PIN is empty and the format 0.
func Decrypt(b cipher.Block, block []byte, pan string) (string, Format, error) {
	if b == nil {
		return "", 0, fmt.Errorf("pinblock: decrypt: nil cipher: %w", ErrBlockSize)
	}
	switch b.BlockSize() {
	case 8:
		if len(block) != 8 {
			return "", 0, fmt.Errorf("pinblock: decrypt: block is %d bytes, want 8: %w", len(block), ErrBlockSize)
		}
		var clear [8]byte
		b.Decrypt(clear[:], block)
		return Decode(clear[:], pan)
	case 16:
		pin, err := DecryptFormat4(b, block, pan)
		if err != nil {
			return "", 0, err
		}
		return pin, Format4, nil
	default:
		return "", 0, fmt.Errorf("pinblock: decrypt: block size %d: %w", b.BlockSize(), ErrBlockSize)
	}
}

// PINField4 returns the 16-byte plain-text PIN field of format 4: control
// nibble 4, the PIN length, the PIN digits, fill nibbles A up to byte 8, then
// 8 random bytes read from rand.
func PINField4(pin string, rand io.Reader) ([]byte, error) {
	if err := checkPIN(pin); err != nil {
		return nil, err
	}
	if rand == nil {
		return nil, errors.New("pinblock: nil random source")
	}
	f := make([]byte, 16)
	setNibble(f, 0, 4)
	setNibble(f, 1, byte(len(pin)))
	for i := 0; i < 14; i++ {
		v := byte(0xA)
		if i < len(pin) {
			v = pin[i] - '0'
		}
		setNibble(f, 2+i, v)
	}
	if _, err := io.ReadFull(rand, f[8:]); err != nil {
		return nil, fmt.Errorf("pinblock: reading random fill: %w", err)
	}
	return f, nil
}

// DecodePINField4 returns the PIN held in a plain-text format 4 PIN field,
// checking the control nibble, the length and the A fill. The 8 random
// bytes are not checked.
func DecodePINField4(field []byte) (string, error) {
	if len(field) != 16 {
		return "", fmt.Errorf("pinblock: PIN field is %d bytes, want 16: %w", len(field), ErrBlockSize)
	}
	if c := nibble(field, 0); c != 4 {
		return "", fmt.Errorf("%w: control field %X is not format 4", ErrMalformed, c)
	}
	n := int(nibble(field, 1))
	if n < 4 || n > 12 {
		return "", fmt.Errorf("%w: PIN length %d", ErrMalformed, n)
	}
	digits := make([]byte, n)
	for i := 0; i < 14; i++ {
		v := nibble(field, 2+i)
		if i < n {
			if v > 9 {
				return "", fmt.Errorf("%w: PIN digit %d is %X", ErrMalformed, i, v)
			}
			digits[i] = '0' + v
		} else if v != 0xA {
			return "", fmt.Errorf("%w: fill nibble %d is %X, want A", ErrMalformed, 2+i, v)
		}
	}
	return string(digits), nil
}

// PANField4 returns the 16-byte plain-text PAN field of format 4: nibble M =
// len(pan)-12 (0 when the PAN is shorter than 12 digits, which is then
// left-padded with zeros to 12 digits), the PAN digits, then zero fill.
func PANField4(pan string) ([]byte, error) {
	if err := checkPAN(pan); err != nil {
		return nil, err
	}
	digits := pan
	m := 0
	if len(digits) < 12 {
		digits = "000000000000"[:12-len(digits)] + digits
	} else {
		m = len(digits) - 12
	}
	f := make([]byte, 16)
	setNibble(f, 0, byte(m))
	for i := 0; i < len(digits); i++ {
		setNibble(f, 1+i, digits[i]-'0')
	}
	return f, nil
}

// EncryptFormat4 builds a format 4 PIN block for pin and pan (random bytes
// from rand) and enciphers it with b, which must have a 16-byte block (AES):
// C = E(E(PIN field) XOR PAN field).
func EncryptFormat4(b cipher.Block, pin, pan string, rand io.Reader) ([]byte, error) {
	if err := check16(b); err != nil {
		return nil, err
	}
	pinField, err := PINField4(pin, rand)
	if err != nil {
		return nil, err
	}
	panField, err := PANField4(pan)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 16)
	b.Encrypt(out, pinField)
	subtle.XORBytes(out, out, panField)
	b.Encrypt(out, out)
	clear(pinField)
	return out, nil
}

// DecryptFormat4 reverses EncryptFormat4 and returns the PIN.
func DecryptFormat4(b cipher.Block, block []byte, pan string) (string, error) {
	if err := check16(b); err != nil {
		return "", err
	}
	if len(block) != 16 {
		return "", fmt.Errorf("pinblock: format 4 block is %d bytes, want 16: %w", len(block), ErrBlockSize)
	}
	panField, err := PANField4(pan)
	if err != nil {
		return "", err
	}
	var field [16]byte
	b.Decrypt(field[:], block)
	subtle.XORBytes(field[:], field[:], panField)
	b.Decrypt(field[:], field[:])
	pin, err := DecodePINField4(field[:])
	clear(field[:])
	return pin, err
}
