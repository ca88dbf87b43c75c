package keymgmt

import (
	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
)

// scheme is one DUKPT scheme under test, with the key the suite uses for
// it.
type scheme struct {
	name    ics.DUKPTScheme // dukpt-tdes, dukpt-aes128, ...
	wire    string          // tdes, aes128, ... (pinpad.load_initial_key)
	bdkType dukpt.KeyType
}

func (s scheme) tdes() bool { return s.name == ics.DUKPTTDES }

var allSchemes = []scheme{
	{ics.DUKPTTDES, "tdes", dukpt.TDES2},
	{ics.DUKPTAES128, "aes128", dukpt.AES128},
	{ics.DUKPTAES192, "aes192", dukpt.AES192},
	{ics.DUKPTAES256, "aes256", dukpt.AES256},
}

// schemes returns the schemes to test: those the device declares in hello,
// less those an ICS (when given) does not declare. It ends the test as not
// applicable when the ICS has no keymgmt section or nothing is left.
func schemes(t *harness.T) []scheme {
	out := declaredSchemes(t)
	if len(out) == 0 {
		t.NotApplicable("the PIN pad declares no DUKPT scheme (dukpt-tdes, dukpt-aes128/192/256) that the ICS lists")
	}
	return out
}

// declaredSchemes is schemes without the not-applicable ending when no
// scheme is left.
func declaredSchemes(t *harness.T) []scheme {
	conf := t.Session().ICS
	if conf != nil {
		if why := conf.NotApplicable("keymgmt"); why != "" {
			t.NotApplicable(why)
		}
	}
	var out []scheme
	for _, s := range allSchemes {
		if !t.HasCapability(Role, string(s.name)) {
			continue
		}
		if conf != nil && conf.NotApplicable("keymgmt."+string(s.name)) != "" {
			continue
		}
		out = append(out, s)
	}
	return out
}

// find returns the scheme if it is under test.
func find(t *harness.T, name ics.DUKPTScheme) (scheme, bool) {
	for _, s := range schemes(t) {
		if s.name == name {
			return s, true
		}
	}
	return scheme{}, false
}

// formats returns the PIN block formats the device declares for s: for
// TDES "iso0" and/or "iso3" (primary first: format 0 unless only 3 is
// declared), for AES "iso4".
func formats(t *harness.T, s scheme) []string {
	var out []string
	if s.tdes() {
		if t.HasCapability(Role, capISO0) {
			out = append(out, "iso0")
		}
		if t.HasCapability(Role, capISO3) {
			out = append(out, "iso3")
		}
		return out
	}
	if t.HasCapability(Role, capISO4) {
		out = append(out, "iso4")
	}
	return out
}

// forEachKey runs body for each of the schemes ss that the device can
// transact with (usable returns "" for such a scheme, else why not) and a
// key of which the suite can make current (useKey), noting every scheme it
// leaves out and why. It returns how many schemes body ran for.
func forEachKey(t *harness.T, ss []scheme, usable func(scheme) string, body func(scheme, *keyCtx)) int {
	ran := 0
	for _, s := range ss {
		if why := usable(s); why != "" {
			t.Note("%s: %s; not tested", s.name, why)
			continue
		}
		k, why := useKey(t, s)
		if k == nil {
			t.Note("%s; not tested", why)
			continue
		}
		ran++
		body(s, k)
	}
	return ran
}
