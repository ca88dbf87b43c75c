// Package mask removes cardholder data from text before it is logged or
// reported: a PAN keeps at most its first six and last four digits (PCI DSS
// v4.0.1 requirement 3.4.1).
package mask

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
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

// Text masks what is a PAN in s, and nothing else:
//
//   - in free text, a word (a run of letters and digits) that is 13 to 19
//     digits and passes the Luhn check;
//   - in a hex transcript (a word of at least 16 hex digits, such as an
//     APDU), the PAN of the PAN-bearing data objects it contains: 5A
//     (PAN), 57 (track 2 equivalent data) and 9F6B (track 2 data), when
//     the PAN they hold passes the Luhn check.
//
// Digit runs inside a hex transcript are not PANs because they look like
// numbers: an issuer action code (9F0E 0010000000), a TVR or an amount
// next to the following tag's digits can pass the Luhn check by chance.
// A PAN a test has learned is masked wherever it occurs by a Masker.
func Text(s string) string {
	return words.ReplaceAllStringFunc(s, func(w string) string {
		switch {
		case len(w) >= 13 && len(w) <= 19 && isDigits(w) && Luhn(w):
			return PAN(w)
		case len(w) >= 16 && isHex(w):
			return maskHexPANs(w)
		}
		return w
	})
}

var words = regexp.MustCompile(`[0-9A-Za-z]+`)

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// panTags are the hex tags of data objects whose value starts with a PAN:
// 5A in BCD padded with F, 57 and 9F6B up to the separator D.
var panTags = []struct {
	tag   string
	track bool
}{{"5A", false}, {"57", true}, {"9F6B", true}}

// maskHexPANs masks the PAN in each PAN-bearing TLV of a hex transcript,
// at every byte offset.
func maskHexPANs(w string) string {
	b := []byte(w)
	for i := 0; i+4 <= len(w); i += 2 {
		for _, pt := range panTags {
			if !strings.EqualFold(w[i:min(i+len(pt.tag), len(w))], pt.tag) {
				continue
			}
			at := i + len(pt.tag)
			if at+2 > len(w) {
				continue
			}
			n := hexByte(w[at : at+2])
			val := at + 2
			if n < 6 || n > 19 || val+2*n > len(w) {
				continue
			}
			v := strings.ToUpper(w[val : val+2*n])
			pan := strings.TrimRight(v, "F")
			if pt.track {
				var ok bool
				if pan, _, ok = strings.Cut(v, "D"); !ok {
					continue
				}
			}
			if len(pan) < 12 || len(pan) > 19 || !isDigits(pan) || !Luhn(pan) {
				continue
			}
			copy(b[val:], PAN(pan))
		}
	}
	return string(b)
}

func hexByte(s string) int {
	n := 0
	for i := 0; i < 2; i++ {
		c := s[i] | 0x20
		switch {
		case c >= '0' && c <= '9':
			n = n*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			n = n*16 + int(c-'a'+10)
		default:
			return -1
		}
	}
	return n
}

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

// Masker masks known secrets (AddSecretKCV) and known PANs (the card's PAN
// and token, learned from 5A, 57 and 9F6B) wherever they occur in text,
// including inside hex dumps of TLV data, and then what Text masks.
// Register every PAN a test learns with Add.
// A Masker is safe for concurrent use.
type Masker struct {
	mu      sync.Mutex
	known   []string
	secrets []secret
}

// secret is a key the run knows: its value, in upper-case hex, and what
// replaces it in a text.
type secret struct {
	b         []byte
	hex, with string
}

// MinSecretHex is the shortest secret AddSecret registers (a single-length
// DES key); shorter strings would mask ordinary data.
const MinSecretHex = 16

// AddSecret registers a secret value, hex-encoded (a key the run knows:
// an ICS test key, or a key seen on the wire), that no file the run writes
// may contain: Text replaces it, in any letter case, with "(key
// withheld)", and the registry (Secrets) is what the leak scan looks for
// before a report is signed. Values that are not hex or shorter than 8
// bytes are ignored.
func (m *Masker) AddSecret(hexValue string) { m.AddSecretKCV(hexValue, "") }

// AddSecretKCV is AddSecret for a key whose check value the run knows:
// Text replaces the key with "(key, KCV <kcv>)", so an IUT that quotes the
// key in an error message leaks only its KCV. A later registration with a
// KCV gives one to a key registered without.
func (m *Masker) AddSecretKCV(hexValue, kcv string) {
	b, err := hex.DecodeString(strings.TrimSpace(hexValue))
	if err != nil || 2*len(b) < MinSecretHex {
		return
	}
	h := strings.ToUpper(hex.EncodeToString(b))
	with := "(key withheld)"
	if kcv != "" {
		with = "(key, KCV " + strings.ToUpper(kcv) + ")"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, k := range m.secrets {
		if k.hex == h {
			if kcv != "" {
				m.secrets[i].with = with
			}
			return
		}
	}
	m.secrets = append(m.secrets, secret{b, h, with})
	// Longest first, so that a key containing another is replaced whole.
	slices.SortStableFunc(m.secrets, func(a, b secret) int { return len(b.hex) - len(a.hex) })
}

// Secrets returns copies of the values registered with AddSecret and
// AddSecretKCV.
func (m *Masker) Secrets() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([][]byte, len(m.secrets))
	for i, k := range m.secrets {
		out[i] = append([]byte(nil), k.b...)
	}
	return out
}

// replaceFold replaces every occurrence of the upper-case hex string old
// in s, in any letter case, with new.
func replaceFold(s, old, new string) string {
	up := asciiUpper(s)
	if !strings.Contains(up, old) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(up, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(new)
		s, up = s[i+len(old):], up[i+len(old):]
	}
}

// asciiUpper upper-cases ASCII letters only, so that byte offsets stay.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Bound cuts s to at most n bytes (on a UTF-8 boundary), saying how much
// was cut: text quoted from an IUT (an error message, a result) cannot
// flood a report.
func Bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes cut)", s[:cut], len(s)-cut)
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
	secrets := append([]secret(nil), m.secrets...)
	m.mu.Unlock()
	for _, k := range secrets {
		s = replaceFold(s, k.hex, k.with)
	}
	for _, k := range known {
		s = strings.ReplaceAll(s, k, PAN(k))
		// The PAN's ASCII digits in a hex transcript (track 1 in 56 or a
		// record, a PAN echoed as text): the hex of the masked PAN keeps
		// the transcript decodable.
		s = replaceFold(s, strings.ToUpper(hex.EncodeToString([]byte(k))), strings.ToUpper(hex.EncodeToString([]byte(PAN(k)))))
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
