package iso7816

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		id      int
		comment string
		in      string
		data    string
		le      int
		err     string
	}{
		{1, "case 1", "00A40400", "", -1, ""},
		{2, "case 2S, Le 00 means 256", "00B2010C00", "", 256, ""},
		{3, "case 3S", "80A8000002 8300", "8300", -1, ""},
		{4, "case 4S, real SELECT PPSE", "00A404000E325041592E5359532E444446303100", "325041592E5359532E4444463031", 256, ""},
		{5, "case 2E", "00B20000 000100", "", 256, ""},
		{6, "case 3E", "80AE8000 000002 AABB", "AABB", -1, ""},
		{7, "case 4E", "80AE8000 000002 AABB 0000", "AABB", 65536, ""},
		{8, "too short", "00A404", "", 0, "a header needs 4"},
		{9, "Lc longer than body", "00A4040005AABB", "", 0, "does not match"},
		{10, "extended Lc zero", "00A40400 000000 00", "", 0, "extended Lc of 0"},
		{11, "extended truncated", "00A40400 0001", "", 0, "truncated"},
	}
	for _, tc := range tests {
		c, err := ParseCommand(h(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrMalformed) {
				t.Errorf("tc %d (%s): err = %v, want %q", tc.id, tc.comment, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("tc %d (%s): %v", tc.id, tc.comment, err)
			continue
		}
		if !bytes.Equal(c.Data, h(tc.data)) || c.Le != tc.le {
			t.Errorf("tc %d (%s): data %X le %d, want %s le %d", tc.id, tc.comment, c.Data, c.Le, tc.data, tc.le)
		}
		again, err := c.Bytes()
		if err != nil {
			t.Errorf("tc %d: re-encode: %v", tc.id, err)
		}
		if c2, err := ParseCommand(again); err != nil || c2.Le != c.Le || !bytes.Equal(c2.Data, c.Data) {
			t.Errorf("tc %d: round trip %X: %v", tc.id, again, err)
		}
	}
}

func TestCommandBuilders(t *testing.T) {
	if got := Select([]byte("2PAY.SYS.DDF01")).String(); got != "00A404000E325041592E5359532E444446303100" {
		t.Errorf("SELECT PPSE = %s", got)
	}
	if got := ReadRecord(1, 2).String(); got != "00B2020C00" {
		t.Errorf("READ RECORD = %s", got)
	}
	if got := GetData(0x9F36).String(); got != "80CA9F3600" {
		t.Errorf("GET DATA = %s", got)
	}
	if got := GetProcessingOptions(nil).String(); got != "80A80000028300"+"00" {
		t.Errorf("GPO = %s", got)
	}
	if _, err := (Command{Le: 70000}).Bytes(); err == nil {
		t.Error("Le 70000 accepted")
	}
}

func TestResponse(t *testing.T) {
	r, err := ParseResponse(h("6F009000"))
	if err != nil || !r.SW.OK() || !bytes.Equal(r.Data, h("6F00")) {
		t.Fatalf("ParseResponse = %+v, %v", r, err)
	}
	if _, err := ParseResponse(h("90")); err == nil {
		t.Error("one-byte response accepted")
	}
	for sw, want := range map[SW]string{0x6985: "conditions of use", 0x6110: "16 bytes", 0x6C08: "exact length 8", 0x63C2: "2 tries", 0x1234: "1234"} {
		if !strings.Contains(sw.String(), want) {
			t.Errorf("%04X.String() = %q", uint16(sw), sw.String())
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add(h("00A404000E325041592E5359532E444446303100"))
	f.Add(h("80AE8000000002AABB0000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(b)
		if err != nil {
			return
		}
		if _, err := c.Bytes(); err != nil {
			t.Fatalf("parsed command does not encode: %v", err)
		}
	})
}
