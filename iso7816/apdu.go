// Package iso7816 encodes and decodes ISO/IEC 7816-4 command and response
// APDUs and names their status words.
//
// Parsing never panics: malformed input yields an error that says what was
// wrong and where.
package iso7816

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Command is a command APDU. Le is the expected response length: -1 when
// absent, 0..256 for short APDUs (256 is encoded as 00) and up to 65536 for
// extended ones.
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	Le               int
}

// ErrMalformed is wrapped by every parse error of this package.
var ErrMalformed = errors.New("malformed APDU")

// Bytes encodes c, choosing the extended form only when Data or Le need it.
func (c Command) Bytes() ([]byte, error) {
	if len(c.Data) > 65535 {
		return nil, fmt.Errorf("iso7816: command data of %d bytes exceeds 65535", len(c.Data))
	}
	if c.Le < -1 || c.Le > 65536 {
		return nil, fmt.Errorf("iso7816: Le %d out of range", c.Le)
	}
	ext := len(c.Data) > 255 || c.Le > 256
	out := []byte{c.CLA, c.INS, c.P1, c.P2}
	if len(c.Data) > 0 {
		if ext {
			out = append(out, 0, byte(len(c.Data)>>8), byte(len(c.Data)))
		} else {
			out = append(out, byte(len(c.Data)))
		}
		out = append(out, c.Data...)
	}
	if c.Le >= 0 {
		switch {
		case ext && len(c.Data) > 0:
			out = append(out, byte(c.Le>>8), byte(c.Le))
		case ext:
			out = append(out, 0, byte(c.Le>>8), byte(c.Le))
		default:
			out = append(out, byte(c.Le))
		}
	}
	return out, nil
}

// MustBytes is Bytes for commands built from constants; it panics on an
// impossible command and must not be used on external input.
func (c Command) MustBytes() []byte {
	b, err := c.Bytes()
	if err != nil {
		panic(err)
	}
	return b
}

// ParseCommand decodes a command APDU in any of the ISO 7816-4 cases
// (1, 2S, 3S, 4S, 2E, 3E, 4E).
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, fmt.Errorf("%w: %d bytes, a header needs 4", ErrMalformed, len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3], Le: -1}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
		return c, nil
	case len(body) == 1: // case 2S
		c.Le = int(body[0])
		if c.Le == 0 {
			c.Le = 256
		}
		return c, nil
	case body[0] != 0: // case 3S or 4S
		lc := int(body[0])
		switch len(body) {
		case 1 + lc:
			c.Data = append([]byte(nil), body[1:]...)
		case 2 + lc:
			c.Data = append([]byte(nil), body[1:1+lc]...)
			c.Le = int(body[1+lc])
			if c.Le == 0 {
				c.Le = 256
			}
		default:
			return Command{}, fmt.Errorf("%w: Lc %d does not match %d body bytes", ErrMalformed, lc, len(body))
		}
		return c, nil
	}
	// Extended forms: body starts with 00.
	if len(body) == 3 { // case 2E
		c.Le = int(body[1])<<8 | int(body[2])
		if c.Le == 0 {
			c.Le = 65536
		}
		return c, nil
	}
	if len(body) < 4 {
		return Command{}, fmt.Errorf("%w: extended length field truncated", ErrMalformed)
	}
	lc := int(body[1])<<8 | int(body[2])
	if lc == 0 {
		return Command{}, fmt.Errorf("%w: extended Lc of 0", ErrMalformed)
	}
	switch len(body) {
	case 3 + lc:
		c.Data = append([]byte(nil), body[3:]...)
	case 5 + lc:
		c.Data = append([]byte(nil), body[3:3+lc]...)
		c.Le = int(body[3+lc])<<8 | int(body[4+lc])
		if c.Le == 0 {
			c.Le = 65536
		}
	default:
		return Command{}, fmt.Errorf("%w: extended Lc %d does not match %d body bytes", ErrMalformed, lc, len(body))
	}
	return c, nil
}

// String renders the command for transcripts as hex.
func (c Command) String() string {
	b, err := c.Bytes()
	if err != nil {
		return "invalid command: " + err.Error()
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// Response is a response APDU: data followed by the status word.
type Response struct {
	Data []byte
	SW   SW
}

// ParseResponse splits a response APDU into data and status word.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("%w: response of %d bytes has no status word", ErrMalformed, len(b))
	}
	n := len(b) - 2
	return Response{Data: append([]byte(nil), b[:n]...), SW: SW(uint16(b[n])<<8 | uint16(b[n+1]))}, nil
}

// Bytes encodes r as data followed by SW1 SW2.
func (r Response) Bytes() []byte {
	out := make([]byte, 0, len(r.Data)+2)
	out = append(out, r.Data...)
	return append(out, byte(r.SW>>8), byte(r.SW))
}

// SW is a status word, SW1 in the high byte.
type SW uint16

// Status words used by paycert. Names follow ISO/IEC 7816-4 and EMV Book 3.
const (
	SWSuccess                SW = 0x9000
	SWWrongLength            SW = 0x6700
	SWSecurityNotSatisfied   SW = 0x6982
	SWConditionsNotSatisfied SW = 0x6985
	SWWrongData              SW = 0x6A80
	SWFunctionNotSupported   SW = 0x6A81
	SWFileNotFound           SW = 0x6A82
	SWRecordNotFound         SW = 0x6A83
	SWIncorrectP1P2          SW = 0x6A86
	SWReferencedDataNotFound SW = 0x6A88
	SWWrongP1P2              SW = 0x6B00
	SWINSNotSupported        SW = 0x6D00
	SWCLANotSupported        SW = 0x6E00
	SWUnknown                SW = 0x6F00
)

var swNames = map[SW]string{
	SWSuccess:                "success",
	SWWrongLength:            "wrong length",
	SWSecurityNotSatisfied:   "security status not satisfied",
	SWConditionsNotSatisfied: "conditions of use not satisfied",
	SWWrongData:              "incorrect data field",
	SWFunctionNotSupported:   "function not supported",
	SWFileNotFound:           "file or application not found",
	SWRecordNotFound:         "record not found",
	SWIncorrectP1P2:          "incorrect P1-P2",
	SWReferencedDataNotFound: "referenced data not found",
	SWWrongP1P2:              "wrong parameters P1-P2",
	SWINSNotSupported:        "instruction not supported",
	SWCLANotSupported:        "class not supported",
	SWUnknown:                "no precise diagnosis",
}

// SW1 and SW2 return the two bytes.
func (s SW) SW1() byte { return byte(s >> 8) }

// SW2 returns the low byte.
func (s SW) SW2() byte { return byte(s) }

// OK reports whether s is 9000.
func (s SW) OK() bool { return s == SWSuccess }

// String renders s as hex with its meaning, e.g. "6985 (conditions of use not satisfied)".
func (s SW) String() string {
	name, ok := swNames[s]
	switch {
	case ok:
	case s.SW1() == 0x61:
		name = fmt.Sprintf("%d bytes still available", s.SW2())
	case s.SW1() == 0x6C:
		name = fmt.Sprintf("wrong Le, exact length %d", s.SW2())
	case s.SW1() == 0x63 && s.SW2()&0xF0 == 0xC0:
		name = fmt.Sprintf("verification failed, %d tries left", s.SW2()&0x0F)
	default:
		return fmt.Sprintf("%04X", uint16(s))
	}
	return fmt.Sprintf("%04X (%s)", uint16(s), name)
}

// Error makes a non-success status word usable as an error.
type Error struct {
	Op string // the command, e.g. "GENERATE AC"
	SW SW
}

func (e *Error) Error() string { return fmt.Sprintf("%s: card answered %s", e.Op, e.SW) }
