// Package harness runs paycert's Ginkgo suites against an implementation
// under test and turns the outcome into a reports.Report.
//
// Suites declare test cases with Case at package level. Case records the
// test case in a catalogue (so `certify list` works without running
// anything) and registers a Ginkgo spec labelled with the test-case ID, the
// suite and the requirement IDs. The spec body receives a *T, which reaches
// the IUT through the current Session, records every exchange as masked
// evidence and tells a failed requirement from a failed exchange.
package harness

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
)

// TestCase is the stable description of one conformance check.
type TestCase struct {
	ID           string        // stable, e.g. EMV-ONL-001
	Suite        string        // emv, token, keymgmt
	Title        string        // short title
	Requirement  string        // the requirement, in RFC 2119 words
	Requirements []string      // requirement IDs it evidences, e.g. "PCI DSS v4.0.1 3.5.1"
	Needs        string        // the kind of IUT: "card", "tsp", "pinpad"
	Timeout      time.Duration // spec timeout; 0 means DefaultTimeout
	Labels       []string      // extra Ginkgo labels, e.g. "exhaustive"
	// Exercises names what the requirement is about, counted by the body
	// with T.Exercised (e.g. "cryptogram"). A body that returns without
	// having exercised it at least once ends with verdict fail: a test case
	// that exercised nothing of what its requirement is about cannot pass.
	// Empty for a body that checks its subject unconditionally.
	Exercises string
}

// DefaultTimeout bounds a test case that sets no Timeout.
const DefaultTimeout = 30 * time.Second

var (
	catMu   sync.Mutex
	catalog = map[string]TestCase{}
)

var idPattern = regexp.MustCompile(`^[A-Z]+(-[A-Z0-9]+)+$`)

// Case declares a test case and registers its spec. It panics at program
// start on a malformed or duplicate declaration, so a broken catalogue
// never runs.
func Case(tc TestCase, body func(t *T)) bool {
	if !idPattern.MatchString(tc.ID) || tc.Suite == "" || tc.Title == "" || tc.Requirement == "" || len(tc.Requirements) == 0 || tc.Needs == "" {
		panic(fmt.Sprintf("harness: incomplete test case declaration %+v", tc))
	}
	catMu.Lock()
	if _, dup := catalog[tc.ID]; dup {
		catMu.Unlock()
		panic("harness: duplicate test case " + tc.ID)
	}
	catalog[tc.ID] = tc
	catMu.Unlock()
	if tc.Timeout == 0 {
		tc.Timeout = DefaultTimeout
	}
	return ginkgo.It(tc.ID+" "+tc.Title, ginkgo.Label(labelsOf(tc)...), ginkgo.SpecTimeout(tc.Timeout), ginkgo.Offset(1), func(ctx ginkgo.SpecContext) {
		runCase(ctx, tc, body)
	})
}

// labelsOf lists the Ginkgo labels of a test case's spec.
func labelsOf(tc TestCase) []string {
	labels := append([]string{"tc:" + tc.ID, "suite:" + tc.Suite, "needs:" + tc.Needs}, tc.Labels...)
	for _, r := range tc.Requirements {
		labels = append(labels, "req:"+LabelSafe(r))
	}
	return labels
}

// LabelSafe turns a requirement ID into a Ginkgo label: characters Ginkgo
// reserves (& | ! , ( ) / and spaces) become '-'.
func LabelSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '&', '|', '!', ',', '(', ')', '/', ' ', '{', '}', ':':
			return '-'
		}
		return r
	}, s)
}

// Catalog returns every declared test case, sorted by suite and ID.
func Catalog() []TestCase {
	catMu.Lock()
	defer catMu.Unlock()
	out := make([]TestCase, 0, len(catalog))
	for _, tc := range catalog {
		out = append(out, tc)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Suite != out[j].Suite {
			return out[i].Suite < out[j].Suite
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Lookup returns the test case with the given ID.
func Lookup(id string) (TestCase, bool) {
	catMu.Lock()
	defer catMu.Unlock()
	tc, ok := catalog[id]
	return tc, ok
}

// Suites lists the suite names that have test cases.
func Suites() []string {
	seen := map[string]bool{}
	var out []string
	for _, tc := range Catalog() {
		if !seen[tc.Suite] {
			seen[tc.Suite] = true
			out = append(out, tc.Suite)
		}
	}
	return out
}

// SuitesFor lists the suites with at least one test case whose IUT kind is
// among kinds.
func SuitesFor(kinds []string) []string {
	have := map[string]bool{}
	for _, k := range kinds {
		have[k] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, tc := range Catalog() {
		if have[tc.Needs] && !seen[tc.Suite] {
			seen[tc.Suite] = true
			out = append(out, tc.Suite)
		}
	}
	return out
}
