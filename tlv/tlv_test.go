package tlv

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/paycert/paycert/vectors"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestParse(t *testing.T) {
	tests := []struct {
		id      int
		comment string
		in      string
		want    map[Tag]string // tag -> value hex, searched recursively
		err     string
	}{
		{1, "primitive one-byte tag", "5A 08 6299999999999999", map[Tag]string{0x5A: "6299999999999999"}, ""},
		{2, "two-byte tag", "9F27 01 80", map[Tag]string{0x9F27: "80"}, ""},
		{3, "constructed with children", "77 08 9F36 02 0ADC 82 01 7C", map[Tag]string{0x9F36: "0ADC", 0x82: "7C"}, ""},
		{4, "long form 81", "50 81 02 4142", map[Tag]string{0x50: "4142"}, ""},
		{5, "padding 00 and FF skipped", "00 FF 9C 01 00 00", map[Tag]string{0x9C: "00"}, ""},
		{6, "three-byte tag", "DF8101 01 AA", map[Tag]string{0xDF8101: "AA"}, ""},
		{7, "value overruns", "9F27 05 80", nil, "declares 5 bytes"},
		{8, "length missing", "9F27", nil, "length missing"},
		{9, "tag truncated", "9F", nil, "tag truncated"},
		{10, "tag too long", "9F 81 81 81 01 00", nil, "longer than 3 bytes"},
		{11, "indefinite length refused", "77 80 00 00", nil, "not supported"},
		{12, "child overruns parent", "77 03 9F36 05", nil, "declares 5 bytes"},
		{13, "length form 84 refused", "5A 84 00 00 00 01 00", nil, "not supported"},
	}
	for _, tc := range tests {
		got, err := Parse(h(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrMalformed) {
				t.Errorf("tc %d (%s): err = %v, want one containing %q", tc.id, tc.comment, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("tc %d (%s): %v", tc.id, tc.comment, err)
			continue
		}
		for tag, v := range tc.want {
			o, ok := Find(got, tag)
			if !ok || !bytes.Equal(o.Value, h(v)) {
				t.Errorf("tc %d (%s): tag %s = %X (found %v), want %s", tc.id, tc.comment, tag, o.Value, ok, v)
			}
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	b := []byte{0x01, 0x00}
	for i := 0; i < MaxDepth+2; i++ {
		b = Encode(0x77, b)
	}
	if _, err := Parse(b); err == nil || !strings.Contains(err.Error(), "nesting") {
		t.Fatalf("deep nesting: err = %v", err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 255, 256, 70000} {
		v := bytes.Repeat([]byte{0xAB}, n)
		got, err := Parse(Encode(0x9F10, v))
		if err != nil || len(got) != 1 || !bytes.Equal(got[0].Value, v) {
			t.Errorf("len %d: round trip failed: %v", n, err)
		}
	}
}

// TestRealTrace parses every response of a real qPBOC card's trace.
func TestRealTrace(t *testing.T) {
	raw, err := vectors.Read("pboc-apdu-trace.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Samples []struct {
			ID        string
			Exchanges []struct {
				Step string
				R    string
			}
		}
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range f.Samples {
		for _, x := range s.Exchanges {
			r := h(x.R)
			if len(r) < 2 {
				continue
			}
			if bytes.HasSuffix(r, []byte{0x90, 0x00}) {
				r = r[:len(r)-2] // the blog's format-1 sample was logged without its SW
			}
			if _, err := Parse(r); err != nil {
				t.Errorf("%s %s: %v", s.ID, x.Step, err)
			}
			n++
		}
	}
	if n < 4 {
		t.Fatalf("only %d responses parsed", n)
	}
	// The GPO response of the real card carries its IAD and a 9F5D balance.
	gpo := h(f.Samples[0].Exchanges[2].R)
	l, _ := Parse(gpo[:len(gpo)-2])
	if o, ok := Find(l, 0x9F10); !ok || o.Value[0] != 0x07 {
		t.Errorf("real GPO: 9F10 = %X", o.Value)
	}
	sel := h(f.Samples[0].Exchanges[1].R)
	l, _ = Parse(sel[:len(sel)-2])
	pdol, ok := Find(l, 0x9F38)
	if !ok {
		t.Fatal("real SELECT: no PDOL")
	}
	d, err := ParseDOL(pdol.Value)
	if err != nil || len(d) != 9 || d[0] != (DOLEntry{0x9F66, 4}) || d.DataLen() != 33 {
		t.Errorf("real PDOL = %v (%v)", d, err)
	}
}

func TestDOL(t *testing.T) {
	d, err := ParseDOL(h("9F6604 9F0206 9F7A01 9F3704"))
	if err != nil {
		t.Fatal(err)
	}
	data := d.Build(map[Tag][]byte{0x9F66: h("36800000"), 0x9F02: h("0100"), 0x9F37: h("1122334455")})
	if want := "36800000" + "000000000100" + "00" + "11223344"; hex.EncodeToString(data) != strings.ToLower(want) {
		t.Errorf("Build = %X, want %s", data, want)
	}
	m, err := d.Split(data)
	if err != nil || !bytes.Equal(m[0x9F02], h("000000000100")) {
		t.Errorf("Split = %X, %v", m[0x9F02], err)
	}
	if _, err := d.Split(data[1:]); err == nil {
		t.Error("Split accepted short data")
	}
	if !bytes.Equal(d.Bytes(), h("9F6604 9F0206 9F7A01 9F3704")) {
		t.Errorf("Bytes = %X", d.Bytes())
	}
	for _, bad := range []string{"9F", "9F66", "9F6681"} {
		if _, err := ParseDOL(h(bad)); err == nil {
			t.Errorf("ParseDOL(%s) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(h("774F82027C009F36020ADC9F10130701"))
	f.Add(h("6F30840E325041592E5359532E4444463031A51EBF0C1B61194F08A000000333010101500A50424F43204445424954870101"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Parse(b)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to something that parses to the same tags.
		var again []byte
		for _, o := range l {
			again = append(again, Encode(o.Tag, o.Value)...)
		}
		l2, err := Parse(again)
		if err != nil || len(l2) != len(l) {
			t.Fatalf("re-encoded form does not parse: %v", err)
		}
	})
}

func FuzzParseDOL(f *testing.F) {
	f.Add(h("9F66049F02069F03069F1A0295055F2A029A039C019F3704"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDOL(b)
		if err != nil {
			return
		}
		data := d.Build(nil)
		if _, err := d.Split(data); err != nil {
			t.Fatal(err)
		}
	})
}
