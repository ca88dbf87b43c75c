package iso7816

import (
	"errors"
	"fmt"
)

// ATR is the parsed structure of an answer-to-reset (ISO/IEC 7816-3 §8.2).
type ATR struct {
	// Direct reports the convention: true for TS = 3B (direct), false for
	// TS = 3F (inverse).
	Direct bool
	// Protocols lists the transmission protocols the interface bytes
	// indicate (T=0 when none is indicated).
	Protocols []int
	// Historical holds the historical bytes.
	Historical []byte
}

// ErrATR is wrapped by every error of ParseATR.
var ErrATR = errors.New("iso7816: invalid ATR")

// maxATR is the longest ATR ISO/IEC 7816-3 allows: TS and 32 more bytes.
const maxATR = 33

// ParseATR checks an answer-to-reset against ISO/IEC 7816-3: the initial
// character TS, the format byte T0, the interface bytes each Y indicator
// announces, the K historical bytes, and the check byte TCK, which must be
// present (and make the XOR of T0 to TCK zero) when any protocol other than
// T=0 is indicated, and absent otherwise. It never panics.
func ParseATR(b []byte) (ATR, error) {
	var a ATR
	if len(b) < 2 {
		return a, fmt.Errorf("%w: %d bytes, at least TS and T0 are needed", ErrATR, len(b))
	}
	if len(b) > maxATR {
		return a, fmt.Errorf("%w: %d bytes, at most %d", ErrATR, len(b), maxATR)
	}
	switch b[0] {
	case 0x3B:
		a.Direct = true
	case 0x3F:
	default:
		return a, fmt.Errorf("%w: TS %02X is neither 3B (direct) nor 3F (inverse convention)", ErrATR, b[0])
	}
	k := int(b[1] & 0x0F)
	y := b[1] >> 4
	i := 2
	needTCK := false
	for n := 1; ; n++ {
		for bit := byte(1); bit <= 8; bit <<= 1 {
			if y&bit != 0 {
				i++
			}
		}
		if i > len(b) {
			return a, fmt.Errorf("%w: the interface bytes announced by T0/TD run past the end (%d bytes)", ErrATR, len(b))
		}
		if y&0x8 == 0 {
			break
		}
		td := b[i-1]
		t := int(td & 0x0F)
		if t != 0 {
			needTCK = true
		}
		a.Protocols = append(a.Protocols, t)
		y = td >> 4
	}
	if len(a.Protocols) == 0 {
		a.Protocols = []int{0}
	}
	end := i + k
	if end > len(b) {
		return a, fmt.Errorf("%w: T0 announces %d historical bytes, only %d follow", ErrATR, k, len(b)-i)
	}
	a.Historical = b[i:end]
	switch {
	case needTCK && end == len(b):
		return a, fmt.Errorf("%w: TCK missing (a protocol other than T=0 is indicated)", ErrATR)
	case needTCK:
		var x byte
		for _, c := range b[1 : end+1] {
			x ^= c
		}
		if x != 0 {
			return a, fmt.Errorf("%w: TCK %02X does not check (XOR of T0 to TCK is %02X)", ErrATR, b[end], x)
		}
		end++
	}
	if end != len(b) {
		return a, fmt.Errorf("%w: %d bytes after the last announced byte", ErrATR, len(b)-end)
	}
	return a, nil
}
