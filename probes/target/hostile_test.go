package target_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/iut/hostile"
	"github.com/paycert/paycert/probes/target"
)

// TestHostileRef opens ref: with every hostile fault, meets the fault once
// and closes the set promptly; the package's TestMain (goleak) then
// checks that no server goroutine outlived it.
func TestHostileRef(t *testing.T) {
	selectPPSE := []byte{0x00, 0xA4, 0x04, 0x00, 0x0E, '2', 'P', 'A', 'Y', '.', 'S', 'Y', 'S', '.', 'D', 'D', 'F', '0', '1', 0x00}
	for _, f := range hostile.Faults {
		t.Run(f.Name, func(t *testing.T) {
			ctx := context.Background()
			set, err := target.Open(ctx, []string{f.Probe()}, adapter.WithCallTimeout(300*time.Millisecond))
			if f.Unreachable {
				if err == nil || !strings.Contains(err.Error(), "hello") {
					t.Fatalf("%s: Open = %v, want a hello failure", f.Name, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.IUT == "card" {
				if got := set.Card.URI(); got != f.Probe() {
					t.Errorf("URI = %q", got)
				}
				rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				if _, err := set.Card.Reset(rctx); err != nil {
					t.Errorf("reset: %v (the ATR must be answered)", err)
				}
				cancel()
				tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				resp, err := set.Card.Transmit(tctx, selectPPSE)
				cancel()
				t.Logf("%s: %d bytes, %v", f.Name, len(resp), err)
				if err == nil && len(resp) < 258 && resp[len(resp)-2] != 0x0B && resp[0] != 0xA5 {
					t.Errorf("%s: a sound answer %X", f.Name, resp)
				}
			} else {
				var r map[string]any
				cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				err := set.Hosts["pinpad"].Call(cctx, "pinpad.load_initial_key", map[string]string{"scheme": "tdes", "initial_key": "6AC292FAA1315B4D858AB3A3D7D5933A", "ksn": "FFFF9876543210E00000"}, &r)
				cancel()
				if (err == nil) != (f.Name == hostile.AdapterMissingField) {
					t.Errorf("%s: load_initial_key: %v", f.Name, err)
				}
			}
			start := time.Now()
			if err := set.Close(); err != nil {
				t.Logf("close: %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s: Close took %s", f.Name, d)
			}
		})
	}
}
