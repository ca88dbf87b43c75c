package keymgmt

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/iut/pinpad"
)

// seekWalk walks the reference PIN pad (with fault) from counter from to
// exhaustion through the test-seek hook.
func seekWalk(t *testing.T, fault string, from uint32) walkResult {
	t.Helper()
	srv, err := pinpad.New(fault, pinpad.WithTestSeek(true))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := adapter.Pipe(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k, err := testKey(allSchemes[0])
	if err != nil {
		t.Fatal(err)
	}
	ikb := k.ik.Bytes()
	defer clear(ikb)
	if err := c.Call(ctx, mLoad, map[string]string{"scheme": "tdes", "initial_key": hexU(ikb), "ksn": hexU(k.iksn[:])}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(ctx, mTestSeek, map[string]uint32{"counter": from}, nil); err != nil {
		t.Fatal(err)
	}
	return walk(ctx, walkConfig{
		client: c, ipek: k.ik, iksn: k.iksn, pin: "1234", pan: "4012345678909", format: "iso0",
		chunk: 1000, chunkTimeout: 30 * time.Second,
	})
}

// TestWalkTail runs the exhaustive walk over the last counters of the
// space: the reference PIN pad passes; one that does not stop fails.
func TestWalkTail(t *testing.T) {
	res := seekWalk(t, "", seekTo)
	if res.err != nil || res.problems.n != 0 || !res.exhausted {
		t.Fatalf("clean walk: err %v, exhausted %v, problems:\n%s", res.err, res.exhausted, &res.problems)
	}
	if want := countCounters(seekTo); res.transactions != want || res.distinctKeys != want || want != 6885 {
		t.Errorf("clean walk: %d transactions, %d keys, want %d", res.transactions, res.distinctKeys, want)
	}
	res = seekWalk(t, pinpad.FaultNoExhaustion, 0x1FF000)
	if res.err != nil || res.problems.n == 0 || !strings.Contains(res.problems.String(), "instead of error 1003 exhausted") {
		t.Errorf("no-exhaustion walk: err %v, problems:\n%s", res.err, &res.problems)
	}
	if countCounters(1) != 1048575 {
		t.Errorf("countCounters(1) = %d", countCounters(1))
	}
}

// TestWalkFull is KEY-EXH-001's walk over the whole counter space of the
// reference PIN pad (1,048,575 round trips, about 20 s). It is skipped
// with -short and under the race detector, where it would take minutes;
// there TestWalkTail covers the same code on the last 6,885 counters.
func TestWalkFull(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("the full walk takes about 20 s (minutes under -race); TestWalkTail covers its code")
	}
	srv, err := pinpad.New("", pinpad.WithTestSeek(false))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := adapter.Pipe(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k, err := testKey(allSchemes[0])
	if err != nil {
		t.Fatal(err)
	}
	ikb := k.ik.Bytes()
	defer clear(ikb)
	if err := c.Call(ctx, mLoad, map[string]string{"scheme": "tdes", "initial_key": hexU(ikb), "ksn": hexU(k.iksn[:])}, nil); err != nil {
		t.Fatal(err)
	}
	res := walk(ctx, walkConfig{
		client: c, ipek: k.ik, iksn: k.iksn, fromStart: true, pin: "1234", pan: "4012345678909", format: "iso0",
		chunk: walkChunk, chunkTimeout: walkChunkTimeout,
	})
	if res.err != nil || res.problems.n != 0 || !res.exhausted || res.transactions != 1048575 || res.distinctKeys != 1048575 || res.first != 1 || res.last != 0x1FF800 {
		t.Fatalf("full walk: %+v\n%s", res, &res.problems)
	}
	t.Logf("%d transactions in %s", res.transactions, res.elapsed.Round(time.Millisecond))
}
