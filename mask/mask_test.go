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
