package keymgmt

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
)

// seekTo is where a device that declares test-seek is moved before the
// exhaustive walk: 0x1F0000 leaves 6,885 transactions.
const seekTo = 0x1F0000

// Walk parameters: requests per Batch and the deadline of each Batch.
const (
	walkChunk        = 4096
	walkChunkTimeout = 2 * time.Minute
)

var _ = harness.Case(harness.TestCase{
	ID:    "KEY-EXH-001",
	Suite: "keymgmt", Needs: "pinpad",
	Title:        "Exhaustive: all 1,048,575 TDES transactions, every key distinct, then exhausted",
	Requirement:  "A TDES DUKPT PIN pad MUST serve exactly one transaction for each of the 1,048,575 valid counters of its initial key, in increasing order, each under the PIN variant of its own transaction key, all keys pairwise distinct, and MUST then refuse every further transaction with error 1003 exhausted.",
	Requirements: []string{reqSeedKeys, reqPIN18, reqX924_1A, reqDSS37},
	Timeout:      30 * time.Minute,
	Labels:       []string{"exhaustive"},
}, func(t *harness.T) {
	conf := t.Session().ICS
	if conf == nil {
		t.NotApplicable("the exhaustive test is opt-in: give an ICS with keymgmt.exhaustive: true")
	}
	if why := conf.NotApplicable("keymgmt.exhaustive"); why != "" {
		t.NotApplicable(why)
	}
	s, ok := find(t, ics.DUKPTTDES)
	if !ok {
		t.NotApplicable("the PIN pad does not declare dukpt-tdes, or the ICS does not list it")
	}
	fs := formats(t, s)
	if len(fs) == 0 {
		t.NotApplicable("the PIN pad declares no TDES PIN block format (pin-iso0, pin-iso3)")
	}
	k := needKey(t, s)
	fromStart := k.loaded
	if t.HasCapability(Role, capTestSeek) {
		t.MustCall(Role, mTestSeek, map[string]uint32{"counter": seekTo}, nil)
		fromStart = false
		t.Note("the PIN pad declares test-seek (a test build): the walk starts at counter %06X, not 1; a device without test-seek is walked in full", seekTo)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The walk pipelines a million calls from a goroutine of its own and
	// checks them as they come, so it drives the adapter client directly;
	// its result is judged here.
	res := walk(ctx, walkConfig{
		client: t.Session().Hosts[Role], ipek: k.ik, iksn: k.iksn, fromStart: fromStart,
		pin: "1234", pan: "4012345678909", format: fs[0],
		chunk: walkChunk, chunkTimeout: walkChunkTimeout,
		progress: func(done, total int64) { t.Progress("transactions", done, total) },
	})
	rate := float64(res.transactions) / res.elapsed.Seconds()
	t.Note("%d transactions in %s (%.0f per second, %d pipelined per batch), counters %06X to %06X, %d distinct transaction keys, exhausted afterwards: %v",
		res.transactions, res.elapsed.Round(time.Millisecond), rate, walkChunk, res.first, res.last, res.distinctKeys, res.exhausted)
	if res.err != nil {
		t.Errorf("after %d transactions: %v", res.transactions, res.err)
	}
	if res.transactions == 0 && res.exhausted {
		t.Errorf("the device's key was used up before the walk began: give the device a fresh key")
	}
	if res.first == 1 && res.transactions == dukpt.TDESKeysPerInitialKey {
		t.Note("the whole counter space of the initial key was used: %d keys", dukpt.TDESKeysPerInitialKey)
	}
	Expect(res.problems.n).To(BeZero(), fmt.Sprintf("the exhaustive walk found:\n  %s", &res.problems))
})
