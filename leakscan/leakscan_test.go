package leakscan

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paycert/paycert/mask"
)

const (
	pan19  = "6222021234567890128" // odd length, Luhn-valid (the default ICS's funding PAN)
	pan16  = "6258887305196426"    // even length, Luhn-valid (a reference token)
	keyHex = "0123456789ABCDEFFEDCBA9876543210"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func scanner() *Scanner {
	return New([]string{pan19, pan16 + "FF", "4111111111111112" /* not Luhn-valid */, "411111111"}, [][]byte{mustHex(keyHex), {1, 2, 3}})
}

func TestScan(t *testing.T) {
	key := mustHex(keyHex)
	cases := []struct {
		name   string
		data   string
		offset int
		kind   string // "" for no hit
		masked string
	}{
		{"digits", `"pan": "6222021234567890128"`, 8, "PAN (digits)", "622202XXXXXXXXX0128"},
		{"digits in a longer run", "99" + pan16 + "00", 2, "PAN (digits)", "625888XXXXXX6426"},
		{"ASCII hex", "data 36323232303231323334353637383930313238 end", 5, "PAN (ASCII hex)", "622202XXXXXXXXX0128"},
		{"BCD hex F-padded", "5A0A" + pan19 + "F9000", 4, "PAN (BCD hex, F-padded)", "622202XXXXXXXXX0128"},
		{"BCD hex lower case", "5a0a" + pan19 + "f9000", 4, "PAN (BCD hex, F-padded)", "622202XXXXXXXXX0128"},
		{"BCD bytes", "\x5a\x0a" + string(mustHex(pan19+"F")), 2, "PAN (BCD bytes)", "622202XXXXXXXXX0128"},
		{"BCD bytes even", "x" + string(mustHex(pan16)), 1, "PAN (BCD bytes)", "625888XXXXXX6426"},
		{"track 2 D", "5713" + pan16 + "D2812201", 4, "PAN (track 2, D separator)", "625888XXXXXX6426"},
		{"track 2 d", "5713" + pan16 + "d2812201", 4, "PAN (track 2, D separator)", "625888XXXXXX6426"},
		{"track 2 =", ";" + pan19 + "=2812?", 1, "PAN (track 2, = separator)", "622202XXXXXXXXX0128"},
		{"track 2 bytes", "ab" + string(mustHex(pan19+"D")), 2, "PAN (track 2 bytes)", "622202XXXXXXXXX0128"},
		{"key hex upper", "k=" + keyHex, 2, "key value (hex)", "of 16 bytes"},
		{"key hex lower", "k=" + strings.ToLower(keyHex), 2, "key value (hex)", "of 16 bytes"},
		{"key raw", "\x00\x00\x00" + string(key), 3, "key value (raw bytes)", "of 16 bytes"},
		{"masked PAN", "622202XXXXXXXXX0128 625888XXXXXX6426", 0, "", ""},
		{"PAN minus a digit", pan19[:18], 0, "", ""},
		{"not Luhn-valid PAN is not looked for", "4111111111111112", 0, "", ""},
		{"short PAN is not looked for", "411111111", 0, "", ""},
		{"short secret is not looked for", "\x01\x02\x03", 0, "", ""},
		{"half a key", keyHex[:16], 0, "", ""},
		{"empty", "", 0, "", ""},
	}
	s := scanner()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hits := s.Scan([]byte(c.data))
			if c.kind == "" {
				if len(hits) != 0 {
					t.Fatalf("hits %v, want none", hits)
				}
				return
			}
			if len(hits) == 0 {
				t.Fatal("no hit")
			}
			h := hits[0]
			if h.Offset != c.offset || h.Kind != c.kind || !strings.Contains(h.Masked, c.masked) {
				t.Fatalf("first hit %+v, want offset %d kind %q masked %q", h, c.offset, c.kind, c.masked)
			}
			// The hit never shows the value.
			if strings.Contains(h.String(), pan19) || strings.Contains(h.String(), pan16) || strings.Contains(strings.ToUpper(h.String()), keyHex) {
				t.Fatalf("hit %q shows the value", h)
			}
		})
	}
}

func TestScanEveryOccurrence(t *testing.T) {
	data := []byte(pan16 + " x " + pan16 + " " + keyHex)
	hits := scanner().Scan(data)
	var offs []int
	for _, h := range hits {
		offs = append(offs, h.Offset)
	}
	want := []int{0, 19, 36}
	if len(offs) != len(want) {
		t.Fatalf("offsets %v, want %v", offs, want)
	}
	for i := range want {
		if offs[i] != want[i] {
			t.Fatalf("offsets %v, want %v", offs, want)
		}
	}
}

func TestCheckError(t *testing.T) {
	err := scanner().Check("report.json", []byte("ab "+pan19+" "+keyHex))
	var l *Leak
	if !errors.As(err, &l) || l.File != "report.json" || len(l.Hits) != 2 {
		t.Fatalf("err %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"report.json", "byte offset 3", "PAN (digits) 622202XXXXXXXXX0128", "and 1 more"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") || strings.Contains(msg, pan19) {
		t.Errorf("%q: not one safe line", msg)
	}
	if err := scanner().Check("clean", []byte("625888XXXXXX6426")); err != nil {
		t.Fatal(err)
	}
	var zero Scanner
	if !zero.Empty() || zero.Check("x", []byte(pan19)) != nil {
		t.Fatal("the zero Scanner found something")
	}
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("clean"), 0o644)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "b.json"), []byte(`{"x":"`+hex.EncodeToString([]byte(pan16))+`"}`), 0o644)
	leaks, err := scanner().Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaks) != 1 || leaks[0].File != "sub/b.json" || leaks[0].Hits[0].Offset != 6 || leaks[0].Hits[0].Kind != "PAN (ASCII hex)" {
		t.Fatalf("leaks %v", leaks)
	}
	if _, err := scanner().Dir(filepath.Join(dir, "nope")); err == nil {
		t.Fatal("no error for a missing directory")
	}
}

// encodings returns every form of pan that the scanner must find.
func encodings(pan string) [][]byte {
	bcd := pan
	if len(bcd)%2 == 1 {
		bcd += "F"
	}
	t2 := pan + "D"
	if len(t2)%2 == 1 {
		t2 += "F"
	}
	return [][]byte{
		[]byte(pan),
		[]byte(hex.EncodeToString([]byte(pan))),
		[]byte(bcd),
		[]byte(strings.ToLower(bcd)),
		mustHex(bcd),
		[]byte(pan + "D1234"),
		[]byte(pan + "=1234"),
		mustHex(t2),
	}
}

// FuzzScan plants a Luhn-valid PAN, in each of its encodings, and a key
// between arbitrary bytes: the scan never panics and always reports a hit
// that covers the planted value's first byte.
func FuzzScan(f *testing.F) {
	f.Add([]byte("prefix "), []byte(" suffix"), "622202123456789012", []byte("0123456789abcdef"))
	f.Add([]byte{}, []byte{}, "4000000000000", []byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte("6"), []byte("F"), "625888730519642", []byte("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7"))
	f.Fuzz(func(t *testing.T, prefix, suffix []byte, digits string, key []byte) {
		var d []byte
		for _, c := range []byte(digits) {
			d = append(d, '0'+c%10)
		}
		if len(d) < 12 {
			d = append(d, bytes.Repeat([]byte("7"), 12-len(d))...)
		}
		if len(d) > 18 {
			d = d[:18]
		}
		pan := string(d) + string(mask.LuhnDigit(string(d)))
		var secrets [][]byte
		if len(key) >= 8 {
			secrets = append(secrets, key)
		}
		s := New([]string{pan}, secrets)
		s.Scan(prefix) // arbitrary data alone: no panic
		plants := encodings(pan)
		if len(key) >= 8 {
			plants = append(plants, key, []byte(hex.EncodeToString(key)), []byte(strings.ToUpper(hex.EncodeToString(key))))
		}
		for _, p := range plants {
			data := append(append(append([]byte(nil), prefix...), p...), suffix...)
			covered := false
			for _, h := range s.Scan(data) {
				if h.Offset <= len(prefix) && len(prefix) < h.Offset+h.Len {
					covered = true
				}
				if strings.Contains(h.String(), pan) {
					t.Fatalf("hit %q shows the PAN", h)
				}
			}
			if !covered {
				t.Fatalf("planted %x at %d in %x: no hit covers it", p, len(prefix), data)
			}
		}
	})
}
