// Package pkcs11 is the probe for a hardware security module (HSM) that
// speaks PKCS#11: it turns an RFC 7512 PKCS#11 URI into an open, logged-in
// session on one token, through github.com/miekg/pkcs11 (cgo).
//
// The URI names the module and the token and says where the user PIN
// comes from; the PIN itself never appears in the URI:
//
//	pkcs11:token=LABEL?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:PATH
//
// Path attributes (before '?', separated by ';'): token, serial,
// manufacturer, model, slot-id. At least one of token, serial and slot-id
// is required. Query attributes (after '?', separated by '&'): module-path
// (required, absolute) and pin-source (optional, a file: URI or path whose
// first line is the user PIN). Without pin-source the PIN comes from the
// environment variable the ICS names (hsm.pin-env); see HSM.Login.
// pin-value is refused: it would put the PIN on a command line.
package pkcs11

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paycert/paycert/probes"
)

// Scheme is the URI scheme of the probe.
const Scheme = "pkcs11"

// MaxURI bounds the length of a PKCS#11 URI.
const MaxURI = 4096

// URI is a parsed PKCS#11 URI.
type URI struct {
	Token        string // token label (CKA_LABEL of the token), "" if not given
	Serial       string // token serial number
	Manufacturer string // token manufacturer ID
	Model        string // token model
	SlotID       uint   // valid when HasSlotID
	HasSlotID    bool
	ModulePath   string // the PKCS#11 module to load, absolute
	PINSource    string // path of the file holding the user PIN, "" if not given
}

// String renders the URI without the pin-source, for reports: which module
// and which token, nothing about the PIN.
func (u *URI) String() string {
	var path []string
	add := func(k, v string) {
		if v != "" {
			path = append(path, k+"="+escape(v))
		}
	}
	add("token", u.Token)
	add("serial", u.Serial)
	add("manufacturer", u.Manufacturer)
	add("model", u.Model)
	if u.HasSlotID {
		path = append(path, "slot-id="+strconv.FormatUint(uint64(u.SlotID), 10))
	}
	return Scheme + ":" + strings.Join(path, ";") + "?module-path=" + escape(u.ModulePath)
}

// escape percent-encodes what is not an RFC 7512 pchar/qchar.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || c == '/' || c == ':' || c == '@' || c == '[' || c == ']' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func usage(format string, args ...any) error {
	return fmt.Errorf("%w: pkcs11: %s", probes.ErrUsage, fmt.Sprintf(format, args...))
}

// ParseURI parses a PKCS#11 URI strictly: unknown or repeated attributes,
// empty values, bad percent-encoding and a PIN in the URI are errors. Each
// error is one line, wraps probes.ErrUsage and never repeats the URI (it
// could hold a PIN).
func ParseURI(s string) (*URI, error) {
	if len(s) > MaxURI {
		return nil, usage("URI longer than %d bytes", MaxURI)
	}
	rest, ok := strings.CutPrefix(s, Scheme+":")
	if !ok {
		return nil, usage("the URI must start with %s:", Scheme)
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		return nil, usage("a fragment (#) is not allowed")
	}
	path, query, _ := strings.Cut(rest, "?")
	u := &URI{}
	seen := map[string]bool{}
	if path != "" {
		for _, attr := range strings.Split(path, ";") {
			k, v, err := pair(attr, "path", seen)
			if err != nil {
				return nil, err
			}
			switch k {
			case "token":
				u.Token = v
			case "serial":
				u.Serial = v
			case "manufacturer":
				u.Manufacturer = v
			case "model":
				u.Model = v
			case "slot-id":
				n, err := strconv.ParseUint(v, 10, 32)
				if err != nil || !isDigits(v) {
					return nil, usage("slot-id must be a decimal number")
				}
				u.SlotID, u.HasSlotID = uint(n), true
			case "pin-value":
				return nil, errPINValue
			default:
				return nil, usage("unknown path attribute %s (known: token, serial, manufacturer, model, slot-id)", display(k))
			}
		}
	}
	if query != "" {
		for _, attr := range strings.Split(query, "&") {
			k, v, err := pair(attr, "query", seen)
			if err != nil {
				return nil, err
			}
			switch k {
			case "module-path":
				if !filepath.IsAbs(v) {
					return nil, usage("module-path must be an absolute path")
				}
				u.ModulePath = filepath.Clean(v)
			case "pin-source":
				p, err := pinSource(v)
				if err != nil {
					return nil, err
				}
				u.PINSource = p
			case "pin-value":
				return nil, errPINValue
			default:
				return nil, usage("unknown query attribute %s (known: module-path, pin-source)", display(k))
			}
		}
	}
	if u.Token == "" && u.Serial == "" && !u.HasSlotID {
		return nil, usage("name the token: token=LABEL, serial=SERIAL or slot-id=N")
	}
	if u.ModulePath == "" {
		return nil, usage("module-path is required, e.g. ?module-path=/usr/lib/softhsm/libsofthsm2.so")
	}
	return u, nil
}

var errPINValue = usage("pin-value is not accepted: the PIN would appear on the command line; use pin-source=file:PATH or the ICS's hsm.pin-env")

// pair splits and decodes one attribute.
func pair(attr, where string, seen map[string]bool) (string, string, error) {
	k, raw, ok := strings.Cut(attr, "=")
	if !ok || k == "" {
		return "", "", usage("a %s attribute is not NAME=VALUE", where)
	}
	if !isName(k) {
		return "", "", usage("a %s attribute name is not lower-case letters, digits and '-'", where)
	}
	if k == "pin-value" {
		return "", "", errPINValue
	}
	if seen[k] {
		return "", "", usage("attribute %s is given twice", k)
	}
	seen[k] = true
	v, err := unescape(raw)
	if err != nil {
		return "", "", usage("attribute %s: %v", k, err)
	}
	if v == "" {
		return "", "", usage("attribute %s has an empty value", k)
	}
	if max := maxValue(k); len(v) > max {
		return "", "", usage("attribute %s is longer than %d bytes", k, max)
	}
	return k, v, nil
}

// maxValue bounds a decoded attribute: token labels, serial numbers,
// manufacturer and model are at most 32 bytes in CK_TOKEN_INFO; paths are
// at most 1024 bytes here.
func maxValue(k string) int {
	switch k {
	case "module-path", "pin-source":
		return 1024
	}
	return 64
}

func isName(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return len(k) <= 32
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// unescape decodes %XX sequences; a NUL, a control character or a broken
// escape is an error.
func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", fmt.Errorf("bad percent-encoding")
			}
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			c = byte(n)
			i += 2
		} else if c == ';' || c == '?' || c == '&' || c == '=' || c == ' ' {
			return "", fmt.Errorf("character %q must be percent-encoded", c)
		}
		if c < 0x20 || c == 0x7f {
			return "", fmt.Errorf("control characters are not allowed")
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// pinSource accepts file:PATH, file:///PATH or an absolute path.
func pinSource(v string) (string, error) {
	p := v
	if rest, ok := strings.CutPrefix(v, "file:"); ok {
		p = rest
		if h, ok := strings.CutPrefix(rest, "//"); ok {
			if !strings.HasPrefix(h, "/") {
				return "", usage("pin-source file URI with a host is not supported; write file:/PATH or file:PATH")
			}
			p = h
		}
	} else if strings.Contains(v, ":") && !filepath.IsAbs(v) {
		return "", usage("pin-source must be file:PATH")
	}
	if p == "" {
		return "", usage("pin-source names no file")
	}
	return filepath.Clean(p), nil
}

// display quotes a short excerpt of an attribute name for a message.
func display(s string) string {
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return strconv.Quote(s)
}
