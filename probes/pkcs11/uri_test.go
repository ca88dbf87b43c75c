package pkcs11

import (
	"errors"
	"strings"
	"testing"

	"github.com/paycert/paycert/probes"
)

const softhsm = "/usr/lib/softhsm/libsofthsm2.so" // Debian's path, only as text here

func TestParseURI(t *testing.T) {
	u, err := ParseURI("pkcs11:token=paycert%20ref;slot-id=3?module-path=" + softhsm + "&pin-source=file:/run/pin")
	if err != nil {
		t.Fatal(err)
	}
	want := URI{Token: "paycert ref", SlotID: 3, HasSlotID: true, ModulePath: softhsm, PINSource: "/run/pin"}
	if *u != want {
		t.Errorf("got %+v, want %+v", *u, want)
	}
	if got := u.String(); got != "pkcs11:token=paycert%20ref;slot-id=3?module-path="+softhsm {
		t.Errorf("String() = %s", got)
	}
	for _, ok := range []string{
		"pkcs11:serial=1234?module-path=/m.so",
		"pkcs11:slot-id=0?module-path=/m.so&pin-source=file:///etc/pin",
		"pkcs11:token=a;manufacturer=SoftHSM%20project;model=SoftHSM%20v2?module-path=/m.so&pin-source=/p",
	} {
		if _, err := ParseURI(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestParseURIErrors(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"pkcs12:token=a?module-path=/m", "must start with pkcs11:"},
		{"pkcs11:?module-path=/m", "name the token"},
		{"pkcs11:token=a", "module-path is required"},
		{"pkcs11:token=a?module-path=m.so", "absolute"},
		{"pkcs11:token=a?module-path=/m&pin-value=1234", "pin-value is not accepted"},
		{"pkcs11:token=a;pin-value=1234?module-path=/m", "pin-value is not accepted"},
		{"pkcs11:token=a;token=b?module-path=/m", "given twice"},
		{"pkcs11:token=a;object=k?module-path=/m", `unknown path attribute "object"`},
		{"pkcs11:token=a?module-path=/m&module-name=softhsm2", `unknown query attribute "module-name"`},
		{"pkcs11:token=?module-path=/m", "empty value"},
		{"pkcs11:token=a%2?module-path=/m", "percent-encoding"},
		{"pkcs11:token=a%00?module-path=/m", "control characters"},
		{"pkcs11:slot-id=-1?module-path=/m", "slot-id must be a decimal number"},
		{"pkcs11:slot-id=99999999999?module-path=/m", "slot-id must be a decimal number"},
		{"pkcs11:token=a?module-path=/m&pin-source=http://x/pin", "pin-source must be file:PATH"},
		{"pkcs11:token=a?module-path=/m&pin-source=file://host/pin", "with a host"},
		{"pkcs11:token=a?module-path=/m#frag", "fragment"},
		{"pkcs11:token=a?1234", "not NAME=VALUE"},
		{"pkcs11:Token=a?module-path=/m", "lower-case"},
		{"pkcs11:token=a b?module-path=/m", "must be percent-encoded"},
		{"pkcs11:token=a?module-path=/m&pin-source=", "empty value"},
	} {
		_, err := ParseURI(tc.uri)
		if err == nil {
			t.Errorf("%s: parsed", tc.uri)
			continue
		}
		if !errors.Is(err, probes.ErrUsage) {
			t.Errorf("%s: %v does not wrap ErrUsage", tc.uri, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.uri, err, tc.want)
		}
		if strings.Contains(err.Error(), "1234") {
			t.Errorf("%s: the error repeats a PIN: %v", tc.uri, err)
		}
	}
}

// FuzzParseURI checks that ParseURI never panics, that each error is one
// line wrapping probes.ErrUsage that never repeats the input, and that a
// parsed URI prints (without its PIN source) to a URI that parses back to
// the same token and module.
func FuzzParseURI(f *testing.F) {
	f.Add("pkcs11:token=paycert?module-path=" + softhsm + "&pin-source=file:/etc/paycert/hsm.pin")
	f.Add("pkcs11:slot-id=1;serial=abc?module-path=/m.so")
	f.Add("pkcs11:token=a%20b?module-path=/m&pin-value=0000")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			msg := err.Error()
			if !errors.Is(err, probes.ErrUsage) || strings.Contains(msg, "\n") {
				t.Fatalf("bad error %q", msg)
			}
			if len(s) > 40 && strings.Contains(msg, s) {
				t.Fatalf("error repeats the URI: %q", msg)
			}
			return
		}
		again, err := ParseURI(u.String())
		if err != nil {
			t.Fatalf("String() %q does not parse: %v", u.String(), err)
		}
		u.PINSource = ""
		if *again != *u {
			t.Fatalf("round trip: %+v != %+v", *again, *u)
		}
	})
}
