// Package iut gathers paycert's reference implementations under test and
// their named faults.
package iut

import "github.com/paycert/paycert/iut/card"

// Fault is a named defect of a reference IUT and the test cases it must
// make fail; every other test case must still pass.
type Fault struct {
	IUT      string   `json:"iut"`   // card, tsp, pinpad
	Name     string   `json:"name"`  // as in ?fault=NAME or --fault NAME
	Probe    string   `json:"probe"` // the probe URI that selects it
	Breaks   string   `json:"breaks"`
	MustFail []string `json:"mustFail"`
}

// Faults lists every reference fault.
func Faults() []Fault {
	var out []Fault
	for _, f := range card.Faults {
		out = append(out, Fault{IUT: "card", Name: string(f.Name), Probe: "ref:?fault=" + string(f.Name), Breaks: f.Breaks, MustFail: f.MustFail})
	}
	return out
}
