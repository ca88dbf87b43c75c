// Package iut holds what paycert's reference implementations under test
// (iut/card, iut/tsp, iut/pinpad, iut/hsm) share: the shape of a named fault.
//
// A reference fault is a deliberate defect that breaks one requirement.
// Each fault names the test cases it must make fail; under the fault every
// other test case must get the verdict it gets on the clean reference. The
// fault matrix (cmd/certify) runs every fault and holds it to that, so that
// every conformance check is proven able to fail. The catalogue of all
// faults is assembled where the reference IUTs are wired into the probes
// (probes/target.Faults).
package iut

import (
	"fmt"
	"slices"
	"strings"
)

// The kinds of IUT, as test cases name them in their needs.
const (
	Card   = "card"
	TSP    = "tsp"
	PINPad = "pinpad"
	HSM    = "hsm" // a PKCS#11 token (probes/pkcs11, iut/hsm)
)

// Adapter is the IUT of a fault of the adapter protocol itself, which
// every host-side IUT speaks: "ref:?fault=NAME" applies it to every
// reference host IUT (the token service and the PIN pad), and both
// `certify serve tsp` and `certify serve pinpad` take it. It is not a kind
// that a test case needs.
const Adapter = "adapter"

// Fault is a named defect of a reference IUT and the test cases it must
// make fail.
type Fault struct {
	// Name is the fault as ref:?fault=NAME and `certify serve --fault`
	// take it; names are unique across every reference IUT.
	Name string `json:"name"`
	// IUT is the kind of reference IUT the fault belongs to.
	IUT string `json:"iut"`
	// Breaks states in one line what the faulted IUT does wrong.
	Breaks string `json:"breaks"`
	// MustFail lists the test-case IDs that must fail under the fault.
	MustFail []string `json:"mustFail"`
	// Suites limits the fault matrix's run of the fault to these suites.
	Suites []string `json:"suites"`
	// LabelFilter, if set, is an extra label filter for the fault matrix's
	// run (e.g. "!exhaustive" to keep it short); MustFail is judged within
	// it.
	LabelFilter string `json:"labelFilter,omitempty"`
	// Profiles lists the reference card profiles (iut/card) the fault
	// applies to; empty means every profile. A fault that a profile's
	// kernel cannot have (PBOC electronic cash on a Visa card) leaves it
	// out.
	Profiles []string `json:"profiles,omitempty"`
	// MustFailOn replaces MustFail for the card profiles named, where the
	// profile's ICS makes some of MustFail not applicable (a GPO-only Visa
	// card has no GENERATE AC test) or its kernel reaches a test case by
	// another path. MustFail is the list for the default profile.
	MustFailOn map[string][]string `json:"mustFailOn,omitempty"`
	// Hostile marks a fault that attacks paycert rather than a
	// requirement: the IUT stalls, drips, disconnects, answers garbage or
	// leaks its keys (iut/hostile). Such a fault names no MustFail: every
	// test case its run selects must end in error, never pass or fail, and
	// certify must exit 3 within the sum of its deadlines with a complete
	// report, leaving no goroutine or child process behind (cmd/certify's
	// TestHostile holds it to that; the fault matrix leaves it out).
	Hostile bool `json:"hostile,omitempty"`
	// Unreachable, with Hostile, says that the faulted IUT cannot even be
	// opened (it never answers hello): certify exits 3 before any test
	// case runs, naming the exchange, and its report says the run did not
	// start (status incomplete), every selected test case an error.
	Unreachable bool `json:"unreachable,omitempty"`
}

// AppliesTo reports whether the fault applies to the card profile.
func (f Fault) AppliesTo(profile string) bool {
	return len(f.Profiles) == 0 || slices.Contains(f.Profiles, profile)
}

// MustFailFor returns the test cases that must fail under the fault on
// the card profile ("" for the default).
func (f Fault) MustFailFor(profile string) []string {
	if l, ok := f.MustFailOn[profile]; ok {
		return l
	}
	return f.MustFail
}

// Killed lists every test case the fault must fail on some profile.
func (f Fault) Killed() []string {
	out := slices.Clone(f.MustFail)
	for _, l := range f.MustFailOn {
		for _, id := range l {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Probe is the probe URI that selects the fault.
func (f Fault) Probe() string { return "ref:?fault=" + f.Name }

// Names lists the faults' names in order.
func Names(fs []Fault) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	slices.Sort(out)
	return out
}

// Lookup returns the fault of fs named name; "" is no fault (the zero
// Fault). owner names the IUT in the error for an unknown name.
func Lookup(fs []Fault, owner, name string) (Fault, error) {
	if name == "" {
		return Fault{}, nil
	}
	for _, f := range fs {
		if f.Name == name {
			return f, nil
		}
	}
	return Fault{}, fmt.Errorf("%s: unknown fault %q (known: %s)", owner, name, strings.Join(Names(fs), ", "))
}
