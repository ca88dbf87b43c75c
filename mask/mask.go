// Package mask removes cardholder data from text before it is logged or
// reported: a PAN keeps at most its first six and last four digits (PCI DSS
// v4.0.1 requirement 3.4.1).
package mask

import (
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
	mu      sync.Mutex
	known   []string
	secrets [][]byte
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

// PANs returns the PANs registered with Add, in the order they were first
// added.
func (m *Masker) PANs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.known...)
}

// AddSecret registers a secret value, hex-encoded (a key the run knows: an
// ICS test key, or a key seen on the wire), that no file the run writes may
// contain. It does not change what Text masks: secrets are kept out of the
// evidence where they are handled (key types print only their check
// values); the registry is what the leak scan looks for before a report is
// signed. Values that are not hex or shorter than 8 bytes are ignored.
func (m *Masker) AddSecret(hexValue string) {
	b, err := hex.DecodeString(strings.TrimSpace(hexValue))
	if err != nil || len(b) < 8 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.secrets {
		if string(k) == string(b) {
			return
		}
	}
	m.secrets = append(m.secrets, b)
}

// Secrets returns copies of the values registered with AddSecret.
func (m *Masker) Secrets() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([][]byte, len(m.secrets))
	for i, k := range m.secrets {
		out[i] = append([]byte(nil), k...)
	}
	return out
}
