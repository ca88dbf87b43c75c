package harness

import (
	"context"
	"math/rand/v2"
	"sync"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/mask"
	"github.com/paycert/paycert/probes"
	"github.com/paycert/paycert/probes/pkcs11"
	"github.com/paycert/paycert/reports"
)

// Session is what a run's test cases share: the IUTs, the masker, the seeded
// random source and the identity learned so far.
type Session struct {
	// Card is the card-like IUT, or nil when the run has none.
	Card probes.Card
	// Hosts holds the host-side IUTs by role ("tsp", "pinpad"). Test cases
	// reach them through T.Call and T.Batch.
	Hosts map[string]*adapter.Client
	// HSM is the PKCS#11 token under test (pkcs11: probe, or ref:'s
	// SoftHSM2 token), or nil when the run has none.
	HSM *pkcs11.HSM
	// Notes are lines the report carries as warnings: what the probes
	// could not offer (target.Set.Notes).
	Notes []string
	// ICS is the run's implementation conformance statement, or nil when
	// the run has none.
	ICS *ics.ICS
	// Masker masks every PAN that any test has seen.
	Masker *mask.Masker
	// Seed makes the run reproducible: the spec order and every random
	// value a suite draws (unpredictable numbers, amounts) derive from it.
	Seed int64
	// IUT is the identity the run reports.
	IUT reports.IUT
	// Refresh, when set, runs before each test case with the case's
	// context and the kind of IUT it needs. It may replace Hosts entries
	// (the run reconnects an adapter whose connection an earlier test case
	// broke) and returns lines recorded as notes of the test case.
	Refresh func(ctx context.Context, kind string) []string

	probe string
	mu    sync.Mutex
	rnd   *rand.Rand
}

// NewSession returns a session for the given probe URI and seed.
func NewSession(probeURI string, card probes.Card, seed int64) *Session {
	return &Session{
		Card:   card,
		Hosts:  map[string]*adapter.Client{},
		Masker: &mask.Masker{},
		Seed:   seed,
		probe:  probeURI,
		rnd:    rand.New(rand.NewPCG(uint64(seed), 0x70617963657274)),
	}
}

// ProbeURI names the probe.
func (s *Session) ProbeURI() string { return s.probe }

// Rand returns n bytes from the session's seeded source.
func (s *Session) Rand(n int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rnd.Uint32())
	}
	return b
}

// IntN returns a seeded random int in [0, n).
func (s *Session) IntN(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rnd.IntN(n)
}

func (s *Session) has(kind string) bool {
	switch kind {
	case "card":
		return s.Card != nil
	case "hsm":
		return s.HSM != nil
	}
	return s.Hosts[kind] != nil
}

var (
	curMu   sync.Mutex
	current *Session
)

// Current returns the session of the run in progress.
func Current() *Session {
	curMu.Lock()
	defer curMu.Unlock()
	return current
}

func setCurrent(s *Session) {
	curMu.Lock()
	defer curMu.Unlock()
	current = s
}
