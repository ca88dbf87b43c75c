package probes

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

func TestListen(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		addr     string
		loopback bool // the listener must be on a loopback address
		warn     bool
		usage    bool
	}{
		{":0", true, false, false},
		{"127.0.0.1:0", true, false, false},
		{"localhost:0", true, false, false},
		{"0.0.0.0:0", false, true, false},
		{"127.0.0.1:99999", false, false, true},
		{"127.0.0.1", false, false, true},
		{"127.0.0.1:x", false, false, true},
	} {
		l, warning, err := Listen(ctx, tc.addr)
		if tc.usage {
			if !errors.Is(err, ErrUsage) {
				t.Errorf("Listen(%q) = %v, want a usage error", tc.addr, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Listen(%q): %v", tc.addr, err)
			continue
		}
		ip := l.Addr().(*net.TCPAddr).IP
		l.Close()
		if tc.loopback && !ip.IsLoopback() {
			t.Errorf("Listen(%q) bound %v, want loopback", tc.addr, ip)
		}
		if (warning != "") != tc.warn || (tc.warn && !strings.Contains(warning, "not a loopback")) {
			t.Errorf("Listen(%q) warning %q, want warning: %v", tc.addr, warning, tc.warn)
		}
	}
}
