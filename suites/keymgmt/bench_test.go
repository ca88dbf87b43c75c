package keymgmt

import (
	"context"
	"testing"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/iut/pinpad"
)

// BenchmarkExhaustiveWalk is the exhaustive device test (KEY-EXH-001)
// against the reference PIN pad in-process over the adapter protocol: all
// 1,048,575 TDES transactions pipelined through adapter.Pipe, each checked
// host-side, then the distinctness proof and the "exhausted" answer. One
// iteration is one full walk (about 20 s on 2 cores); run it with
// -benchtime=1x.
func BenchmarkExhaustiveWalk(b *testing.B) {
	k, err := testKey(allSchemes[0])
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		func() {
			srv, err := pinpad.New("", pinpad.WithTestSeek(false))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			c, err := adapter.Pipe(ctx, srv)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ikb := k.ik.Bytes()
			err = c.Call(ctx, mLoad, map[string]string{"scheme": "tdes", "initial_key": hexU(ikb), "ksn": hexU(k.iksn[:])}, nil)
			clear(ikb)
			if err != nil {
				b.Fatal(err)
			}
			fromStart := true
			res := walk(ctx, walkConfig{
				client: c, ipek: k.ik, iksn: k.iksn, fromStart: fromStart,
				pin: "1234", pan: "4012345678909", format: "iso0",
				chunk: walkChunk, chunkTimeout: walkChunkTimeout,
			})
			if res.err != nil || res.problems.n != 0 || !res.exhausted {
				b.Fatalf("walk: err %v, problems:\n%s", res.err, &res.problems)
			}
			if fromStart && res.transactions != dukpt.TDESKeysPerInitialKey {
				b.Fatalf("walk: %d transactions", res.transactions)
			}
			b.ReportMetric(float64(res.transactions)/res.elapsed.Seconds(), "tx/s")
			b.ReportMetric(res.elapsed.Seconds(), "s/walk")
		}()
	}
}
