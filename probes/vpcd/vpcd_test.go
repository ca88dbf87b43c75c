package vpcd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestFraming(t *testing.T) {
	tests := []struct {
		id      int
		comment string
		in      []byte
		want    []byte
		err     string
	}{
		{1, "control code", []byte{0, 1, 0x04}, []byte{0x04}, ""},
		{2, "APDU", []byte{0, 5, 0x00, 0xA4, 0x04, 0x00, 0x00}, []byte{0x00, 0xA4, 0x04, 0x00, 0x00}, ""},
		{3, "zero length", []byte{0, 0}, nil, "length 0"},
		{4, "truncated body", []byte{0, 4, 1, 2}, nil, "unexpected EOF"},
		{5, "truncated header", []byte{0}, nil, "unexpected EOF"},
		{6, "empty stream", nil, nil, "EOF"},
	}
	for _, tc := range tests {
		got, err := ReadMsg(bytes.NewReader(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("tc %d (%s): err = %v, want %q", tc.id, tc.comment, err, tc.err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("tc %d (%s): got %X, %v", tc.id, tc.comment, got, err)
		}
		var buf bytes.Buffer
		if err := WriteMsg(&buf, tc.want); err != nil || !bytes.Equal(buf.Bytes(), tc.in) {
			t.Errorf("tc %d (%s): WriteMsg = %X, %v", tc.id, tc.comment, buf.Bytes(), err)
		}
	}
	if err := WriteMsg(io.Discard, nil); err == nil {
		t.Error("WriteMsg accepted an empty payload")
	}
	if err := WriteMsg(io.Discard, make([]byte, 70000)); err == nil {
		t.Error("WriteMsg accepted 70000 bytes")
	}
}

// echoCard answers every APDU with its header and 9000.
type echoCard struct{ powered []bool }

func (c *echoCard) ATR() []byte   { return []byte{0x3B, 0x00} }
func (c *echoCard) Power(on bool) { c.powered = append(c.powered, on) }
func (c *echoCard) Process(b []byte) []byte {
	return append(append([]byte(nil), b[:4]...), 0x90, 0x00)
}

// pair connects a Reader and ServeCard over real loopback TCP.
func pair(t testing.TB, card VirtualCard) (*Reader, chan error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- ServeCard(context.Background(), c, card)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := Accept(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, done
}

func TestReaderAndCard(t *testing.T) {
	card := &echoCard{}
	r, done := pair(t, card)
	ctx := context.Background()
	atr, err := r.Reset(ctx)
	if err != nil || !bytes.Equal(atr, []byte{0x3B, 0x00}) {
		t.Fatalf("Reset = %X, %v", atr, err)
	}
	resp, err := r.Transmit(ctx, []byte{0x00, 0xA4, 0x04, 0x00, 0x00})
	if err != nil || !bytes.Equal(resp, []byte{0x00, 0xA4, 0x04, 0x00, 0x90, 0x00}) {
		t.Fatalf("Transmit = %X, %v", resp, err)
	}
	if _, err := r.Transmit(ctx, []byte{0x00}); err == nil {
		t.Error("Transmit accepted a 1-byte APDU (it would be read as a control code)")
	}
	r.Close()
	if err := <-done; err != nil {
		t.Errorf("ServeCard after reader closed: %v", err)
	}
	if len(card.powered) != 2 || card.powered[0] || !card.powered[1] {
		t.Errorf("power sequence = %v, want [false true]", card.powered)
	}
}

// stallCard does not answer until release is closed.
type stallCard struct {
	echoCard
	release chan struct{}
}

func (c *stallCard) Process([]byte) []byte { <-c.release; return nil }

func TestReaderDeadline(t *testing.T) {
	card := &stallCard{release: make(chan struct{})}
	r, done := pair(t, card)
	t.Cleanup(func() { close(card.release); r.Close(); <-done }) // no goroutine outlives the test
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := r.Transmit(ctx, []byte{0x00, 0xB2, 0x01, 0x0C, 0x00})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled card: err = %v, want deadline exceeded", err)
	}
	// The stream may now hold a late answer: the reader refuses further use.
	if _, err := r.Transmit(context.Background(), []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}); err == nil || !strings.Contains(err.Error(), "unusable") {
		t.Fatalf("after a timeout: err = %v, want unusable", err)
	}
}

func TestReaderCardVanishes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			return
		}
		// Read the APDU's header, then hang up mid-exchange.
		bufio.NewReader(c).Peek(3)
		c.Close()
	}()
	r, err := Accept(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Transmit(context.Background(), []byte{0x00, 0xB2, 0x01, 0x0C, 0x00})
	if err == nil || !strings.Contains(err.Error(), "read response") {
		t.Fatalf("vanished card: err = %v", err)
	}
}

func TestServeCardRejectsBadControl(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	done := make(chan error, 1)
	go func() { done <- ServeCard(context.Background(), b, &echoCard{}) }()
	WriteMsg(a, []byte{0x07})
	if err := <-done; !errors.Is(err, ErrFrame) {
		t.Fatalf("unknown control code: err = %v", err)
	}
}

func FuzzReadMsg(f *testing.F) {
	f.Add([]byte{0, 1, 4})
	f.Add([]byte{0, 5, 0, 0xA4, 4, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, err := ReadMsg(bytes.NewReader(b))
		if err == nil && (len(msg) == 0 || len(msg) > len(b)-2) {
			t.Fatalf("ReadMsg returned %d bytes from %d", len(msg), len(b))
		}
	})
}

// BenchmarkVPCDRoundTrip measures one APDU round trip through paycert's
// vpcd reader and card over loopback TCP.
func BenchmarkVPCDRoundTrip(b *testing.B) {
	r, _ := pair(b, &echoCard{})
	apdu := []byte{0x80, 0xCA, 0x9F, 0x36, 0x00}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Transmit(ctx, apdu); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawLoopbackEcho is the floor: the same framing with bare
// reads and writes over loopback TCP, no deadlines, no checks.
func BenchmarkRawLoopbackEcho(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 512)
		for {
			if _, err := io.ReadFull(c, buf[:2]); err != nil {
				return
			}
			n := int(buf[0])<<8 | int(buf[1])
			if _, err := io.ReadFull(c, buf[2:2+n]); err != nil {
				return
			}
			buf[2+n-4], buf[2+n-3], buf[1] = 0x90, 0x00, byte(n-2)
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := []byte{0, 5, 0x80, 0xCA, 0x9F, 0x36, 0x00}
	resp := make([]byte, 512)
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, resp[:2]); err != nil {
			b.Fatal(err)
		}
		n := int(resp[0])<<8 | int(resp[1])
		if _, err := io.ReadFull(c, resp[2:2+n]); err != nil {
			b.Fatal(err)
		}
	}
}
