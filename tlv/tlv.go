// Package tlv decodes and encodes BER-TLV as EMV uses it (EMV Book 3 Annex
// B) and handles data object lists (DOLs).
//
// Parsing never panics and never recurses without bound: malformed input
// yields an error that names the offset and the problem.
package tlv

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Tag is a BER tag of one to three bytes, held big-endian (9F27 is 0x9F27).
type Tag uint32

// String renders the tag in hex, e.g. "9F27".
func (t Tag) String() string {
	switch {
	case t > 0xFFFF:
		return fmt.Sprintf("%06X", uint32(t))
	case t > 0xFF:
		return fmt.Sprintf("%04X", uint32(t))
	}
	return fmt.Sprintf("%02X", uint32(t))
}

// Bytes returns the tag's encoding.
func (t Tag) Bytes() []byte {
	switch {
	case t > 0xFFFF:
		return []byte{byte(t >> 16), byte(t >> 8), byte(t)}
	case t > 0xFF:
		return []byte{byte(t >> 8), byte(t)}
	}
	return []byte{byte(t)}
}

// Constructed reports whether the tag's first byte has the constructed bit.
func (t Tag) Constructed() bool { return t.Bytes()[0]&0x20 != 0 }

// ParseTag reads a hex tag such as "9F27".
func ParseTag(s string) (Tag, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) == 0 || len(b) > 3 {
		return 0, fmt.Errorf("tlv: %q is not a tag of 1 to 3 hex bytes", s)
	}
	var t Tag
	for _, c := range b {
		t = t<<8 | Tag(c)
	}
	return t, nil
}

// TLV is one data object. For a constructed tag, Children holds the parsed
// contents and Value the raw contents.
type TLV struct {
	Tag      Tag
	Value    []byte
	Children []TLV
}

// ErrMalformed is wrapped by every parse error of this package.
var ErrMalformed = errors.New("malformed TLV")

// MaxDepth bounds the nesting of constructed objects that Parse accepts.
const MaxDepth = 16

// Parse decodes a sequence of BER-TLV objects, descending into constructed
// ones. Padding bytes 00 and FF between objects are skipped as EMV allows.
func Parse(b []byte) ([]TLV, error) { return parse(b, 0, 0) }

func parse(b []byte, base, depth int) ([]TLV, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d at offset %d", ErrMalformed, MaxDepth, base)
	}
	var out []TLV
	for i := 0; i < len(b); {
		if b[i] == 0x00 || b[i] == 0xFF {
			i++
			continue
		}
		tag, n, err := readTag(b[i:])
		if err != nil {
			return nil, fmt.Errorf("%w at offset %d", err, base+i)
		}
		i += n
		l, n, err := readLen(b[i:])
		if err != nil {
			return nil, fmt.Errorf("%w for tag %s at offset %d", err, tag, base+i)
		}
		i += n
		if l > len(b)-i {
			return nil, fmt.Errorf("%w: tag %s declares %d bytes, %d remain at offset %d", ErrMalformed, tag, l, len(b)-i, base+i)
		}
		obj := TLV{Tag: tag, Value: b[i : i+l]}
		if tag.Constructed() {
			obj.Children, err = parse(obj.Value, base+i, depth+1)
			if err != nil {
				return nil, err
			}
		}
		out = append(out, obj)
		i += l
	}
	return out, nil
}

func readTag(b []byte) (Tag, int, error) {
	t := Tag(b[0])
	if b[0]&0x1F != 0x1F {
		return t, 1, nil
	}
	for i := 1; i < 3; i++ {
		if i >= len(b) {
			return 0, 0, fmt.Errorf("%w: tag truncated", ErrMalformed)
		}
		t = t<<8 | Tag(b[i])
		if b[i]&0x80 == 0 {
			return t, i + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: tag longer than 3 bytes", ErrMalformed)
}

func readLen(b []byte) (int, int, error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: length missing", ErrMalformed)
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	n := int(b[0] & 0x7F)
	if n == 0 || n > 3 {
		return 0, 0, fmt.Errorf("%w: length form %02X not supported", ErrMalformed, b[0])
	}
	if len(b) < 1+n {
		return 0, 0, fmt.Errorf("%w: length truncated", ErrMalformed)
	}
	l := 0
	for _, c := range b[1 : 1+n] {
		l = l<<8 | int(c)
	}
	return l, 1 + n, nil
}

// Find returns the first object with tag t, searching depth first.
func Find(list []TLV, t Tag) (TLV, bool) {
	for _, o := range list {
		if o.Tag == t {
			return o, true
		}
		if r, ok := Find(o.Children, t); ok {
			return r, true
		}
	}
	return TLV{}, false
}

// Walk calls fn for every object, depth first.
func Walk(list []TLV, fn func(TLV)) {
	for _, o := range list {
		fn(o)
		Walk(o.Children, fn)
	}
}

// Encode returns tag t with value v as BER-TLV.
func Encode(t Tag, v []byte) []byte {
	out := t.Bytes()
	switch l := len(v); {
	case l < 0x80:
		out = append(out, byte(l))
	case l < 0x100:
		out = append(out, 0x81, byte(l))
	case l < 0x10000:
		out = append(out, 0x82, byte(l>>8), byte(l))
	default:
		out = append(out, 0x83, byte(l>>16), byte(l>>8), byte(l))
	}
	return append(out, v...)
}

// Concat joins encoded objects, for building constructed values.
func Concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Dump renders objects one per line, indented by depth, for transcripts.
func Dump(list []TLV) string {
	var sb strings.Builder
	var walk func([]TLV, int)
	walk = func(l []TLV, d int) {
		for _, o := range l {
			sb.WriteString(strings.Repeat("  ", d))
			if o.Tag.Constructed() {
				fmt.Fprintf(&sb, "%s\n", o.Tag)
				walk(o.Children, d+1)
				continue
			}
			fmt.Fprintf(&sb, "%s %X\n", o.Tag, o.Value)
		}
	}
	walk(list, 0)
	return sb.String()
}
