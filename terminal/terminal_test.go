package terminal

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/paycert/paycert/iso7816"
	"github.com/paycert/paycert/tlv"
)

// fixed answers every command with one response, recording what it got.
type fixed struct {
	resp iso7816.Response
	got  []iso7816.Command
}

func (f *fixed) Exchange(c iso7816.Command) iso7816.Response {
	f.got = append(f.got, c)
	return f.resp
}

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

var pdol = tlv.DOL{{Tag: 0x9F66, Len: 4}, {Tag: 0x9F02, Len: 6}, {Tag: 0x9F37, Len: 4}}

func TestGPO(t *testing.T) {
	tests := []struct {
		id      int
		comment string
		resp    string
		sw      iso7816.SW
		format  int
		crypto  bool
		err     string
	}{
		{1, "format 1", "80 0A 1800 08010100 10010100", 0x9000, 1, false, ""},
		{2, "real qPBOC card, no 9F27", "774F82027C009F36020ADC57116299999999999999D201120101234567899F101307010103A00000010A010000038787868FD1FC9F2608AD03EE811AFAD4845F3401009F6C0200009F5D06000000038787", 0x9000, 2, true, ""},
		{3, "format 1 too short", "80 03 180008", 0x9000, 0, false, "format 1 of 3 bytes"},
		{4, "format 1 AFL not multiple of 4", "80 07 1800 0801010010", 0x9000, 0, false, "format 1 of 7 bytes"},
		{5, "unknown template", "70 03 820118", 0x9000, 0, false, "template 70"},
		{6, "refused", "", 0x6985, 0, false, "conditions of use"},
		{7, "AC of 7 bytes", "77 0F 9F3602000A 9F2607 11223344556677", 0x9000, 0, false, "9F26"},
		{8, "no ATC", "77 0B 9F2608 1122334455667788", 0x9000, 0, false, "ATC"},
		{9, "garbage", "77 FF", 0x9000, 0, false, "malformed"},
		{10, "two templates", "80 06 1800 08010100 80 06 1800 08010100", 0x9000, 0, false, "2 top-level"},
	}
	for _, tc := range tests {
		f := &fixed{resp: iso7816.Response{Data: h(tc.resp), SW: tc.sw}}
		g, err := Terminal{X: f}.GPO(pdol, Tx{TTQ: [4]byte{0x36, 0x80}, Amount: 100, UN: [4]byte{1, 2, 3, 4}})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("tc %d (%s): err = %v, want %q", tc.id, tc.comment, err, tc.err)
			}
			continue
		}
		if err != nil || g.Format != tc.format || (g.Cryptogram != nil) != tc.crypto {
			t.Errorf("tc %d (%s): %+v, %v", tc.id, tc.comment, g, err)
		}
		if want := h("83 0E 36800000 000000000100 01020304"); !bytes.Equal(f.got[0].Data, want) {
			t.Errorf("tc %d: GPO data %X, want %X", tc.id, f.got[0].Data, want)
		}
	}
}

func TestRealCardCryptogramType(t *testing.T) {
	f := &fixed{resp: iso7816.Response{Data: h("774F82027C009F36020ADC57116299999999999999D201120101234567899F101307010103A00000010A010000038787868FD1FC9F2608AD03EE811AFAD4845F3401009F6C0200009F5D06000000038787"), SW: 0x9000}}
	g, err := Terminal{X: f}.GPO(pdol, Tx{})
	if err != nil {
		t.Fatal(err)
	}
	c := g.Cryptogram
	if c.HasCID || c.ATC != 0x0ADC {
		t.Fatalf("cryptogram %+v", c)
	}
	// The real card left 9F27 out: the type comes from the CVR (A0: ARQC).
	if typ, err := c.Effective(); err != nil || typ != ARQC {
		t.Errorf("Effective = %02X, %v", typ, err)
	}
}

func TestGenerateAC(t *testing.T) {
	cdol := tlv.DOL{{Tag: 0x9F02, Len: 6}}
	tests := []struct {
		id   int
		resp string
		cid  byte
		err  string
	}{
		{1, "801E8000019576389A2C9E753407000103A03002010A010000000000B0992D81", 0x80, ""},
		{2, "77 1F 9F2701 00 9F3602 0011 9F2608 1122334455667788 9F1008 0701010380000001", 0x00, ""},
		{3, "77 18 9F3602 0011 9F2608 1122334455667788 9F1005 0701010380", 0, "9F27 missing"},
		{4, "80 05 8000011122", 0, "format 1 of 5 bytes"},
	}
	for _, tc := range tests {
		f := &fixed{resp: iso7816.Response{Data: h(tc.resp), SW: 0x9000}}
		c, _, err := Terminal{X: f}.GenerateAC(ARQC, cdol, Tx{Amount: 5})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("tc %d: err = %v, want %q", tc.id, err, tc.err)
			}
			continue
		}
		if err != nil || c.CID != tc.cid || len(c.AC) != 8 {
			t.Errorf("tc %d: %+v, %v", tc.id, c, err)
		}
		if f.got[0].P1 != ARQC || !bytes.Equal(f.got[0].Data, h("000000000005")) {
			t.Errorf("tc %d: command %s", tc.id, f.got[0])
		}
	}
	f := &fixed{resp: iso7816.Response{SW: 0x6985}}
	_, sw, err := Terminal{X: f}.GenerateAC(TC, cdol, Tx{})
	var e *iso7816.Error
	if sw != 0x6985 || !errors.As(err, &e) {
		t.Errorf("refusal: sw %s err %v", sw, err)
	}
}

func TestCVRType(t *testing.T) {
	tests := []struct {
		id      int
		comment string
		iad     string
		want    byte
		err     bool
	}{
		{1, "PBOC ARQC (real card)", "07010103A00000010A010000038787868FD1FC", ARQC, false},
		{2, "PBOC TC", "0701010390000001", TC, false},
		{3, "PBOC AAC", "0701010380000001", AAC, false},
		{4, "Visa CVN 10 ARQC", "06010A03A00000", ARQC, false},
		{5, "Mastercard CVN 17 ARQC", "0111A00000000000000001020304050607080000", ARQC, false},
		{6, "too short", "0701", 0, true},
		{7, "empty", "", 0, true},
	}
	for _, tc := range tests {
		got, err := CVRType(h(tc.iad))
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("tc %d (%s): CVRType = %02X, %v", tc.id, tc.comment, got, err)
		}
	}
}

func TestBCD(t *testing.T) {
	if got := BCD(123456, 6); !bytes.Equal(got, h("000000123456")) {
		t.Errorf("BCD = %X", got)
	}
	if got := BCD(261128, 3); !bytes.Equal(got, h("261128")) {
		t.Errorf("BCD = %X", got)
	}
}

// FuzzCardAnswers feeds arbitrary card answers to every parser of the
// kernel: none may panic.
func FuzzCardAnswers(f *testing.F) {
	f.Add(h("774F82027C009F36020ADC57116299999999999999D201120101234567899F101307010103A00000010A010000038787868FD1FC9F2608AD03EE811AFAD4845F3401009F6C0200009F5D06000000038787"))
	f.Add(h("801E8000019576389A2C9E753407000103A03002010A010000000000B0992D81"))
	f.Add(h("6F30840E325041592E5359532E4444463031A51EBF0C1B61194F08A000000333010101500A50424F43204445424954870101"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k := Terminal{X: &fixed{resp: iso7816.Response{Data: b, SW: 0x9000}}}
		k.SelectPPSE()
		k.SelectAID([]byte{0xA0, 0, 0, 3, 0x33})
		if g, err := k.GPO(pdol, Tx{}); err == nil && g.Cryptogram != nil {
			g.Cryptogram.Effective()
		}
		k.ReadRecords(h("08010100"))
		k.GenerateAC(ARQC, pdol, Tx{})
		k.GetData(0x9F36)
		CVRType(b)
	})
}
