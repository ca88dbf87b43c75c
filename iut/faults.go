// Package iut gathers paycert's reference implementations under test and
// their named faults.
package iut

import (
	"sort"
	"sync"

	"github.com/paycert/paycert/iut/card"
)

// Fault is a named defect of a reference IUT and the test cases it must
// make fail; every other test case must still pass.
type Fault struct {
	IUT      string   `json:"iut"`   // card, tsp, pinpad
	Name     string   `json:"name"`  // as in ?fault=NAME or --fault NAME
	Probe    string   `json:"probe"` // the probe URI that selects it
	Breaks   string   `json:"breaks"`
	MustFail []string `json:"mustFail"`
	// LabelFilter, if set, is the label filter the fault matrix applies
	// when it runs this fault (e.g. "!exhaustive" to keep a run short);
	// MustFail is judged within it.
	LabelFilter string `json:"labelFilter,omitempty"`
	// Suites, if set, limits the fault matrix run to these suites.
	Suites []string `json:"suites,omitempty"`
}

var (
	mu      sync.Mutex
	faults  []Fault
	started bool
)

// RegisterFaults adds a reference IUT's faults to the catalogue. Reference
// IUT packages call it from init.
func RegisterFaults(fs ...Fault) {
	mu.Lock()
	defer mu.Unlock()
	faults = append(faults, fs...)
}

// Faults lists every registered reference fault, by IUT and name.
func Faults() []Fault {
	mu.Lock()
	defer mu.Unlock()
	if !started {
		started = true
		for _, f := range card.Faults {
			faults = append(faults, Fault{IUT: "card", Name: string(f.Name), Probe: "ref:?fault=" + string(f.Name), Breaks: f.Breaks, MustFail: f.MustFail, Suites: []string{"emv"}})
		}
	}
	out := append([]Fault(nil), faults...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].IUT != out[j].IUT {
			return out[i].IUT < out[j].IUT
		}
		return out[i].Name < out[j].Name
	})
	return out
}
