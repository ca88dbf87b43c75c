package tlv

import "fmt"

// DOLEntry is one element of a data object list: a tag and the length the
// card wants its value in.
type DOLEntry struct {
	Tag Tag
	Len int
}

// DOL is a data object list such as a PDOL (9F38) or CDOL1 (8C).
type DOL []DOLEntry

// ParseDOL decodes a data object list.
func ParseDOL(b []byte) (DOL, error) {
	var out DOL
	for i := 0; i < len(b); {
		tag, n, err := readTag(b[i:])
		if err != nil {
			return nil, fmt.Errorf("DOL: %w at offset %d", err, i)
		}
		i += n
		if i >= len(b) {
			return nil, fmt.Errorf("DOL: %w: length missing for tag %s", ErrMalformed, tag)
		}
		l := int(b[i])
		if l >= 0x80 {
			return nil, fmt.Errorf("DOL: %w: length %02X for tag %s is not a one-byte length", ErrMalformed, b[i], tag)
		}
		i++
		out = append(out, DOLEntry{tag, l})
	}
	return out, nil
}

// Bytes encodes the list.
func (d DOL) Bytes() []byte {
	var out []byte
	for _, e := range d {
		out = append(out, e.Tag.Bytes()...)
		out = append(out, byte(e.Len))
	}
	return out
}

// DataLen is the total length of the data the list asks for.
func (d DOL) DataLen() int {
	n := 0
	for _, e := range d {
		n += e.Len
	}
	return n
}

// numeric lists tags whose format is n (BCD, right-justified): a shorter
// value is padded on the left with zeros, a longer one keeps its rightmost
// bytes (EMV Book 3 section 5.4).
var numeric = map[Tag]bool{
	0x9F02: true, 0x9F03: true, 0x9F1A: true, 0x5F2A: true, 0x9A: true,
	0x9C: true, 0x9F21: true, 0x9F41: true, 0x5F36: true,
}

// Build concatenates values for the list's tags. A missing tag is filled
// with zeros; a value of the wrong length is padded or truncated the way
// EMV Book 3 section 5.4 describes.
func (d DOL) Build(values map[Tag][]byte) []byte {
	out := make([]byte, 0, d.DataLen())
	for _, e := range d {
		v := values[e.Tag]
		field := make([]byte, e.Len)
		switch {
		case numeric[e.Tag] && len(v) >= e.Len:
			copy(field, v[len(v)-e.Len:])
		case numeric[e.Tag]:
			copy(field[e.Len-len(v):], v)
		default:
			copy(field, v)
		}
		out = append(out, field...)
	}
	return out
}

// Split cuts data built for the list back into values by tag. It fails if
// the length does not match the list exactly.
func (d DOL) Split(data []byte) (map[Tag][]byte, error) {
	if len(data) != d.DataLen() {
		return nil, fmt.Errorf("DOL data: %w: %d bytes, the list asks for %d", ErrMalformed, len(data), d.DataLen())
	}
	out := make(map[Tag][]byte, len(d))
	for _, e := range d {
		out[e.Tag] = data[:e.Len:e.Len]
		data = data[e.Len:]
	}
	return out, nil
}
