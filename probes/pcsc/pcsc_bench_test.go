package pcsc

import (
	"context"
	"net"
	"slices"
	"testing"

	"github.com/ebfe/scard"
	"time"

	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/probes/vpcd"
)

// BenchmarkPCSCRoundTrip measures one APDU round trip through real pcscd
// and its vpcd driver to the reference card served in-process (which sets
// TCP_QUICKACK). It needs pcscd with vsmartcard-vpcd on 127.0.0.1:35963
// (scripts/with-pcscd) and reports the median as well as the mean.
func BenchmarkPCSCRoundTrip(b *testing.B) {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:35963", time.Second)
	if err != nil {
		b.Skipf("no vpcd reader on 127.0.0.1:35963 (run under scripts/with-pcscd): %v", err)
	}
	crd, _ := card.New(card.DefaultProfile(), "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go vpcd.ServeCard(ctx, conn, crd)
	defer waitEmpty(b, "Virtual PCD 00 00")
	defer conn.Close()
	r, err := Open(ctx, "Virtual PCD 00 00", 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	apdu := []byte{0x80, 0xCA, 0x9F, 0x36, 0x00}
	var samples []time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if _, err := r.Transmit(ctx, apdu); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)/2].Nanoseconds()), "median-ns/op")
}

// waitEmpty waits until the reader reports no card, so that the next card
// connecting is not mistaken for the one that left.
func waitEmpty(b *testing.B, reader string) {
	sctx, err := scard.EstablishContext()
	if err != nil {
		b.Fatal(err)
	}
	defer sctx.Release()
	rs := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if err := sctx.GetStatusChange(rs, time.Second); err != nil && err != scard.ErrTimeout {
			b.Fatal(err)
		}
		if rs[0].EventState&scard.StatePresent == 0 {
			return
		}
		rs[0].CurrentState = rs[0].EventState
	}
	b.Fatalf("reader %q still reports a card", reader)
}
