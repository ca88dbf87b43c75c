package pcsc

import (
	"context"
	"net"
	"slices"
	"testing"
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
