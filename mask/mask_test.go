package mask

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"PAN 6258881234567898 ok", "PAN 625888XXXXXX7898 ok"},
		{"token=4012345678909.", "token=401234XXX8909."},
		{"amount 000000000100", "amount 000000000100"},
		{"1234567890123", "1234567890123"}, // fails Luhn: not a PAN
	}
	for _, tc := range tests {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if long := strings.Repeat("1", 30); Text(long) != long {
		t.Errorf("a 30-digit run that is no PAN was masked")
	}
}

// TestTextAPDU holds the masker to APDU transcripts: issuer action codes,
// TVRs, amounts and AIDs whose digits look like Luhn-valid numbers stay as
// they are, and the PAN in 5A, 57 and 9F6B is masked even when no test
// learned it.
func TestTextAPDU(t *testing.T) {
	tests := []struct{ name, in, want string }{
		// 9F0E (IAC denial) 0000000000 then 9F0F: "0500000000009" passes
		// the Luhn check.
		{"IAC", "R: 70129F0D05B4508400009F0E0500000000009F0F05B4708480009000", "R: 70129F0D05B4508400009F0E0500000000009F0F05B4708480009000"},
		{"IAC 10 digits", "9F0E0500100000009F0F05B470848000", "9F0E0500100000009F0F05B470848000"},
		// A TVR (95) 0020008000 then 9F37: "950500200080009" passes it.
		{"TVR", "R: 77129505002000800" + "09F37041234567890009000", "R: 77129505002000800" + "09F37041234567890009000"},
		{"amounts", "C: 80AE80002B000000005000000000000000000250950000008000015600000019F370412345678", "C: 80AE80002B000000005000000000000000000250950000008000015600000019F370412345678"},
		{"GPO", "GET PROCESSING OPTIONS C: 80A8000002830000  R: 770E820218C0940808010100100101009000", "GET PROCESSING OPTIONS C: 80A8000002830000  R: 770E820218C0940808010100100101009000"},
		{"AID", "R: 6F35840E325041592E5359532E4444463031A523BF0C20611E4F07A00000000410108701019000", "R: 6F35840E325041592E5359532E4444463031A523BF0C20611E4F07A00000000410108701019000"},
		{"5A", "R: 70125A0852047400001234595F24033012319000", "R: 70125A08520474XXXXXX34595F24033012319000"},
		{"9F6B", "R: 9F6B135204740000123459D30122010000000000F9000", "R: 9F6B13520474XXXXXX3459D30122010000000000F9000"},
		{"free text", "card PAN 5204740000123459, IAC 0010000000", "card PAN 520474XXXXXX3459, IAC 0010000000"},
	}
	for _, tc := range tests {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("%s: Text(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
	track := "R: 70175711" + "5204740000123459" + "D30122010000000000" + "5F20012F9000"
	if got, want := Text(track), "R: 70175711520474XXXXXX3459D301220100000000005F20012F9000"; got != want {
		t.Errorf("57: Text(%q) = %q, want %q", track, got, want)
	}
}

func TestMasker(t *testing.T) {
	var m Masker
	m.Add("6258881234567898")
	m.Add("4012345678909F")
	tests := []struct{ in, want string }{
		{"5A086258881234567898", "5A08625888XXXXXX7898"},
		{"57116258881234567898D3012220", "5711625888XXXXXX7898D3012220"},
		{"5A0740123456789098F", "5A07401234XXX8909" + "8F"},
	}
	for _, tc := range tests {
		if got := m.Text(tc.in); got != tc.want {
			t.Errorf("Masker.Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPAN(t *testing.T) {
	if got := PAN("4012345678909"); got != "401234XXX8909" {
		t.Errorf("PAN = %q", got)
	}
	if got := PAN("12345"); got != "X2345" {
		t.Errorf("short PAN = %q", got)
	}
}

func TestLuhn(t *testing.T) {
	for _, p := range []string{"4012345678909", "6258881234567898", "79927398713"} {
		if !Luhn(p) {
			t.Errorf("Luhn(%s) = false", p)
		}
		if d := LuhnDigit(p[:len(p)-1]); d != p[len(p)-1] {
			t.Errorf("LuhnDigit(%s) = %c", p, d)
		}
	}
	for _, p := range []string{"4012345678900", "12a4", "1"} {
		if Luhn(p) {
			t.Errorf("Luhn(%s) = true", p)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add("57116258881234567898D3012220")
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		for _, w := range words.FindAllString(out, -1) {
			if len(w) >= 13 && len(w) <= 19 && isDigits(w) && Luhn(w) {
				t.Fatalf("unmasked PAN %q in %q", w, out)
			}
		}
	})
}

func TestAddSecret(t *testing.T) {
	var m Masker
	key := "0123456789ABCDEFFEDCBA9876543210"
	m.AddSecret(key)
	m.AddSecretKCV(key, "08d7b4") // gives the key its KCV
	m.AddSecretKCV("ABCD", "x")   // too short to be a key: ignored
	m.AddSecretKCV("not hex at all, not hex", "x")
	for _, in := range []string{
		"internal error: key " + key + " rejected",
		"internal error: key " + strings.ToLower(key) + " rejected",
		"internal error: key 0123456789abcdefFEDCBA9876543210 rejected",
	} {
		got := m.Text(in)
		if strings.Contains(strings.ToUpper(got), key) || !strings.Contains(got, "(key, KCV 08D7B4)") {
			t.Errorf("Text(%q) = %q", in, got)
		}
	}
	if len(m.Secrets()) != 1 {
		t.Errorf("Secrets() = %x, want 1", m.Secrets())
	}
	var n Masker
	n.AddSecret(key)
	if got := n.Text("k=" + key); got != "k=(key withheld)" {
		t.Errorf("no KCV: %q", got)
	}
}

func TestBound(t *testing.T) {
	if got := Bound("short", 512); got != "short" {
		t.Errorf("Bound = %q", got)
	}
	got := Bound(strings.Repeat("é", 600), 513)
	if !strings.HasSuffix(got, "… (688 bytes cut)") || !strings.HasPrefix(got, "éé") {
		t.Errorf("Bound = %q", got[len(got)-30:])
	}
}

func TestMaskerRegistries(t *testing.T) {
	var m Masker
	m.Add("6222021234567890128F")
	m.Add("6222021234567890128")
	if got := m.PANs(); len(got) != 1 || got[0] != "6222021234567890128" {
		t.Errorf("PANs() = %q", got)
	}
	m.AddSecret("0123456789ABCDEFFEDCBA9876543210")
	m.AddSecret("0123456789abcdeffedcba9876543210") // the same value
	m.AddSecret("not hex")
	m.AddSecret("0102") // too short to be a key
	s := m.Secrets()
	if len(s) != 1 || len(s[0]) != 16 || s[0][0] != 0x01 {
		t.Fatalf("Secrets() = %x", s)
	}
	s[0][0] = 0xFF // a copy
	if m.Secrets()[0][0] != 0x01 {
		t.Error("Secrets returned the registry's own slice")
	}
	if got := m.Text("key 0123456789ABCDEFFEDCBA9876543210"); got != "key (key withheld)" {
		t.Errorf("Text left a secret: %q", got)
	}
}

func TestFind(t *testing.T) {
	const pan = "6222021234567890128"
	for _, c := range []struct{ s, want string }{
		{pan, "digits"},
		{"card " + pan + " on file", "digits"},
		{"6222 0212 3456 7890 128", "digits"},
		{"6222-0212-3456-7890-128", "digits"},
		{"6222021234567890128F", "BCD"},
		{"6222021234567890128f", "BCD"},
		{"36323232303231323334353637383930313238", "ASCII hex"},
		{"36323232303231323334353637383930313238", "ASCII hex"},
		{"NjIyMjAyMTIzNDU2Nzg5MDEyOA==", "base64"},
		{"YiICEjRWeJASjw==", "base64"},
		{"622202XXXXXXXXX0128", ""},
		{"6222021234567890127", ""},
		{"", ""},
	} {
		if got := Find(c.s, pan); got != c.want {
			t.Errorf("Find(%q) = %q, want %q", c.s, got, c.want)
		}
	}
}

// TestMaskerASCIIHex: a learned PAN is masked in a hex transcript where it
// stands as the ASCII of its digits (track 1 in a record), keeping the
// transcript hex.
func TestMaskerASCIIHex(t *testing.T) {
	var m Masker
	m.Add("6222021234567890128")
	in := "READ RECORD 1/SFI 1 C: 00B2010C00  R: 70285626423632323230323132333435363738393031323835E5041594345525400"
	got := m.Text(in)
	if strings.Contains(strings.ToUpper(got), "36323232303231323334353637383930313238") {
		t.Errorf("ASCII hex PAN survived: %s", got)
	}
	if !strings.Contains(got, "36323232303258585858585858585830313238") { // 622202XXXXXXXXX0128
		t.Errorf("masked PAN not kept as hex: %s", got)
	}
}
