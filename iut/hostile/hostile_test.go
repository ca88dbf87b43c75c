package hostile

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/iut"
	"github.com/paycert/paycert/iut/pinpad"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	tdesIKSN = "FFFF9876543210E00000"
	tdesIPEK = "6AC292FAA1315B4D858AB3A3D7D5933A"
)

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Faults {
		if seen[f.Name] {
			t.Errorf("%s twice", f.Name)
		}
		seen[f.Name] = true
		prefix := f.IUT + "-"
		if !strings.HasPrefix(f.Name, prefix) {
			t.Errorf("%s: a hostile fault's name starts with its IUT (%s)", f.Name, prefix)
		}
		if f.Hostile == (len(f.MustFail) > 0) {
			t.Errorf("%s: a hostile fault names no MustFail, any other names some", f.Name)
		}
		if f.IUT != iut.Card && f.IUT != iut.Adapter {
			t.Errorf("%s: IUT %q", f.Name, f.IUT)
		}
	}
	if !IsCard(CardStall) || IsCard(AdapterStall) || !IsAdapter(AdapterStall) || IsAdapter("offline-tc") {
		t.Error("IsCard/IsAdapter")
	}
	if _, err := AdapterRW(nil, CardStall); err == nil {
		t.Error("AdapterRW took a card fault")
	}
	if _, err := CardConn(nil, AdapterStall); err == nil {
		t.Error("CardConn took an adapter fault")
	}
}

// servePinpad serves a fresh reference PIN pad with fault over a pipe and
// returns a client; hello is done unless the fault prevents it.
func servePinpad(t *testing.T, fault string) (*adapter.Client, error) {
	t.Helper()
	srv, err := pinpad.New("")
	if err != nil {
		t.Fatal(err)
	}
	c, err := adapter.PipeWrap(context.Background(), srv, func(c net.Conn) net.Conn {
		hc, err := AdapterConn(c, fault)
		if err != nil {
			t.Fatal(err)
		}
		return hc
	}, adapter.WithCallTimeout(300*time.Millisecond))
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func TestAdapterFaults(t *testing.T) {
	for _, tc := range []struct {
		fault string
		check func(err error) bool
		want  string
	}{
		{AdapterBadJSON, func(err error) bool { return errors.Is(err, adapter.ErrProtocol) }, "pinpad.load_initial_key: protocol violation"},
		{AdapterWrongID, func(err error) bool { return errors.Is(err, adapter.ErrProtocol) }, "pinpad.load_initial_key: protocol violation"},
		{AdapterStall, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, "pinpad.load_initial_key: no response: timed out"},
		{AdapterExit, func(err error) bool { return errors.Is(err, adapter.ErrBroken) }, "pinpad.load_initial_key: no response"},
		{AdapterLeakInError, func(err error) bool { code, _ := adapter.ErrorCode(err); return code == -32603 }, tdesIPEK},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			c, err := servePinpad(t, tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Call(context.Background(), pinpad.MethodLoadInitialKey, map[string]string{"scheme": pinpad.SchemeTDES, "initial_key": tdesIPEK, "ksn": tdesIKSN}, nil)
			if err == nil || !tc.check(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v", tc.fault, err)
			}
		})
	}
}

func TestAdapterSilentHello(t *testing.T) {
	c, err := servePinpad(t, AdapterSilentHello)
	if err == nil || c != nil || !strings.Contains(err.Error(), "hello") {
		t.Fatalf("silent hello: %v", err)
	}
}

func TestAdapterMissingField(t *testing.T) {
	c, err := servePinpad(t, AdapterMissingField)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Call(ctx, pinpad.MethodLoadInitialKey, map[string]string{"scheme": pinpad.SchemeTDES, "initial_key": tdesIPEK, "ksn": tdesIKSN}, nil); err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := c.Call(ctx, pinpad.MethodEncryptPIN, map[string]string{"pin": "1234", "pan": "4012345678909", "format": "iso0"}, &r); err != nil {
		t.Fatal(err)
	}
	if _, ok := r["pin_block"]; ok || r["ksn"] == nil {
		t.Errorf("missing-field result %v", r)
	}
}

// vpcdExchange plays the reader: it sends one message on c and reads one.
func vpcdExchange(c net.Conn, br *bufio.Reader, msg []byte) ([]byte, error) {
	if _, err := c.Write(append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)); err != nil {
		return nil, err
	}
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, err
	}
	body := make([]byte, int(hdr[0])<<8|int(hdr[1]))
	_, err := io.ReadFull(br, body)
	return body, err
}

// echoCard serves the card side of a vpcd connection: an ATR to getATR,
// 6F00 9000 to every command, through the hostile wrapper.
func echoCard(t *testing.T, fault string) (net.Conn, *bufio.Reader) {
	reader, cardSide := net.Pipe()
	hc, err := CardConn(cardSide, fault)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer hc.Close()
		br := bufio.NewReader(hc)
		for {
			var hdr [2]byte
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				return
			}
			msg := make([]byte, int(hdr[0])<<8|int(hdr[1]))
			if _, err := io.ReadFull(br, msg); err != nil {
				return
			}
			var resp []byte
			switch {
			case len(msg) == 1 && msg[0] == vpcdGetATR:
				resp = []byte{0x3B, 0x00}
			case len(msg) > 1:
				resp = []byte{0x6F, 0x00, 0x90, 0x00}
			default:
				continue
			}
			if _, err := hc.Write(append([]byte{0, byte(len(resp))}, resp...)); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { reader.Close(); hc.Close(); <-done })
	return reader, bufio.NewReader(reader)
}

func TestCardFaults(t *testing.T) {
	old := DripInterval
	DripInterval = 50 * time.Millisecond
	defer func() { DripInterval = old }()
	selectPPSE := []byte{0x00, 0xA4, 0x04, 0x00, 0x02, 0x32, 0x50, 0x00}
	for _, fault := range []string{CardStall, CardDrip, CardDisconnect, CardGarbage, CardOversize, CardWrongSW} {
		t.Run(fault, func(t *testing.T) {
			c, br := echoCard(t, fault)
			c.SetDeadline(time.Now().Add(2 * time.Second))
			if atr, err := vpcdExchange(c, br, []byte{vpcdGetATR}); err != nil || !slices.Equal(atr, []byte{0x3B, 0x00}) {
				t.Fatalf("ATR %X, %v: the ATR must be answered", atr, err)
			}
			if fault == CardStall {
				c.SetDeadline(time.Now().Add(200 * time.Millisecond))
			}
			start := time.Now()
			resp, err := vpcdExchange(c, br, selectPPSE)
			switch fault {
			case CardStall:
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("stall: %X, %v", resp, err)
				}
			case CardDrip:
				if err != nil || !slices.Equal(resp, []byte{0x6F, 0x00, 0x90, 0x00}) || time.Since(start) < 5*DripInterval {
					t.Errorf("drip: %X, %v after %s", resp, err, time.Since(start))
				}
			case CardDisconnect:
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("disconnect: %X, %v", resp, err)
				}
			case CardGarbage:
				if err != nil || resp[0] != 0xA5 || !slices.Equal(resp[len(resp)-2:], []byte{0x90, 0x00}) {
					t.Errorf("garbage: %X, %v", resp, err)
				}
			case CardOversize:
				if err != nil || len(resp) != 0xFFFF {
					t.Errorf("oversize: %d bytes, %v", len(resp), err)
				}
			case CardWrongSW:
				if err != nil || !slices.Equal(resp, []byte{0x6F, 0x00, 0x0B, 0xAD}) {
					t.Errorf("wrong-sw: %X, %v", resp, err)
				}
			}
		})
	}
}
