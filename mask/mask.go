// Package mask removes cardholder data from text before it is logged or
// reported: a PAN keeps at most its first six and last four digits (PCI DSS
// v4.0.1 requirement 3.4.1).
package mask

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"
)

// PAN masks one primary account number: the first six and last four digits
// stay, the rest become 'X'. Inputs of fewer than 13 characters are masked
// entirely but for the last four.
func PAN(pan string) string {
	n := len(pan)
	switch {
	case n >= 13:
		return pan[:6] + strings.Repeat("X", n-10) + pan[n-4:]
	case n > 4:
		return strings.Repeat("X", n-4) + pan[n-4:]
	}
	return strings.Repeat("X", n)
}

// Text masks every run of 13 to 19 digits that passes the Luhn check, as a
// PAN would. A PAN inside a longer run of digits (a hex dump of BCD data)
// is not recognisable without knowing it: register it with a Masker.
func Text(s string) string {
	return digitRunsAny.ReplaceAllStringFunc(s, func(run string) string {
		if len(run) <= 19 && Luhn(run) {
			return PAN(run)
		}
		return run
	})
}

var digitRunsAny = regexp.MustCompile(`[0-9]{13,}`)

// Luhn reports whether the digit string passes the Luhn (mod 10) check.
func Luhn(digits string) bool {
	if len(digits) < 2 {
		return false
	}
	sum := 0
	for i := 0; i < len(digits); i++ {
		c := digits[len(digits)-1-i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// LuhnDigit returns the check digit that makes digits+d pass Luhn.
func LuhnDigit(digits string) byte {
	for d := byte('0'); d <= '9'; d++ {
		if Luhn(digits + string(d)) {
			return d
		}
	}
	return '0'
}

// Masker masks known PANs wherever they occur in text, including inside
// longer digit runs such as hex dumps of TLV data, and then any other
// Luhn-valid run as Text does. Register every PAN a test learns with Add.
// A Masker is safe for concurrent use.
type Masker struct {
	mu    sync.Mutex
	known []string
}

// Add registers a PAN (digits only; a trailing F pad is dropped).
func (m *Masker) Add(pan string) {
	pan = strings.TrimRight(strings.ToUpper(pan), "F")
	if len(pan) < 8 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.known {
		if k == pan {
			return
		}
	}
	m.known = append(m.known, pan)
}

// Text masks s.
func (m *Masker) Text(s string) string {
	m.mu.Lock()
	known := append([]string(nil), m.known...)
	m.mu.Unlock()
	for _, k := range known {
		s = strings.ReplaceAll(s, k, PAN(k))
	}
	return Text(s)
}

// Find reports how s carries pan, if it does: "digits" (the PAN's digits,
// also with spaces or dashes between groups), "BCD" (its digits padded
// with F nibbles, as hex), "ASCII hex" (the hex of its ASCII digits, either
// case) or "base64" (of its ASCII digits or its BCD bytes, when s is
// base64 as a whole). It returns "" when s does not carry it. pan is
// decimal digits.
func Find(s, pan string) string {
	if len(pan) < 8 {
		return ""
	}
	u := strings.ToUpper(s)
	flat := strings.NewReplacer(" ", "", "-", "").Replace(u)
	switch {
	case strings.Contains(u, pan+"F"):
		return "BCD"
	case strings.Contains(flat, pan):
		return "digits"
	case strings.Contains(flat, strings.ToUpper(hex.EncodeToString([]byte(pan)))):
		return "ASCII hex"
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil || len(b) == 0 {
			continue
		}
		if strings.Contains(string(b), pan) || strings.Contains(strings.ToUpper(hex.EncodeToString(b)), pan) {
			return "base64"
		}
	}
	return ""
}
