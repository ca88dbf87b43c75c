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
		for _, run := range digitRunsAny.FindAllString(out, -1) {
			if len(run) <= 19 && Luhn(run) {
				t.Fatalf("unmasked PAN-like run %q in %q", run, out)
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
