package probes_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/probes"
	_ "github.com/paycert/paycert/probes/ref"
	"github.com/paycert/paycert/probes/vpcd"
)

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		uri   string
		usage bool
		want  string
	}{
		{"bogus", true, "no scheme"},
		{"ftp://x", true, "unknown scheme"},
		{"ref:?fault=nope", true, "unknown fault"},
		{"ref://x", true, "write ref:"},
		{"vpcd://", true, "needs HOST:PORT"},
		{"vpcd://localhost", true, "missing port"},
		{"vpcd://127.0.0.1:1?timeout=x", true, "timeout"},
		{"vpcd://127.0.0.1:1?timeout=300ms", false, "connect to card"},
	}
	for _, tc := range tests {
		_, err := probes.Open(context.Background(), tc.uri)
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, probes.ErrUsage) != tc.usage {
			t.Errorf("Open(%q) = %v; want %q, usage %v", tc.uri, err, tc.want, tc.usage)
		}
	}
}

func selectPPSE(t *testing.T, c probes.Card) {
	t.Helper()
	resp, err := c.Transmit(context.Background(), []byte("\x00\xA4\x04\x00\x0E2PAY.SYS.DDF01\x00"))
	if err != nil || !bytes.HasSuffix(resp, []byte{0x90, 0x00}) || len(resp) < 20 {
		t.Fatalf("SELECT PPSE via %s = %X, %v", c.URI(), resp, err)
	}
}

func TestRefProbe(t *testing.T) {
	c, err := probes.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.URI() != "ref:" {
		t.Errorf("URI = %q", c.URI())
	}
	atr, err := c.Reset(context.Background())
	if err != nil || !bytes.Equal(atr, card.ATRBytes) {
		t.Fatalf("Reset = %X, %v", atr, err)
	}
	selectPPSE(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Transmit(ctx, []byte{0, 0xA4, 4, 0}); !errors.Is(err, probes.ErrTransport) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

// TestVPCDListenProbe runs the reference card as a vpcd client against the
// vpcd-listen probe, over real loopback TCP.
func TestVPCDListenProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	crd, _ := card.New(card.DefaultProfile(), "")
	go func() {
		for i := 0; i < 100; i++ {
			conn, err := net.Dial("tcp", addr)
			if err == nil {
				vpcd.ServeCard(context.Background(), conn, crd)
				conn.Close()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	c, err := probes.Open(context.Background(), "vpcd-listen://"+addr+"?timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	selectPPSE(t, c)
}

// TestVPCDDialProbe has the card listen and the probe dial it.
func TestVPCDDialProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	crd, _ := card.New(card.DefaultProfile(), "")
	go func() {
		conn, err := l.Accept()
		if err == nil {
			vpcd.ServeCard(context.Background(), conn, crd)
			conn.Close()
		}
	}()
	c, err := probes.Open(context.Background(), "vpcd://"+l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	selectPPSE(t, c)
}

func TestPCSCWithoutService(t *testing.T) {
	// With or without pcscd, a missing reader is a clear transport error.
	_, err := probes.Open(context.Background(), "pcsc://?reader=No+Such+Reader&timeout=200ms")
	if err == nil || !errors.Is(err, probes.ErrTransport) {
		t.Fatalf("err = %v", err)
	}
}
