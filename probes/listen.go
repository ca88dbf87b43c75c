package probes

import (
	"context"
	"fmt"
	"net"
	"strconv"
)

// Listen listens on TCP addr, HOST:PORT, for the listeners paycert opens
// (the vpcd-listen:// probe, certify serve --listen). An empty HOST binds
// the loopback address 127.0.0.1, never every interface: the adapter
// protocol and vpcd carry no authentication. A HOST that is not a loopback
// address is bound as given, and warning says so, for the caller to show.
// A malformed addr is an error wrapping ErrUsage; a failure to listen wraps
// ErrTransport.
func Listen(ctx context.Context, addr string) (l net.Listener, warning string, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", fmt.Errorf("%w: listen address %q: want HOST:PORT", ErrUsage, addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return nil, "", fmt.Errorf("%w: listen address %q: port %q is not 0 to 65535", ErrUsage, addr, port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !isLoopback(host) {
		warning = fmt.Sprintf("listening on %s, which is not a loopback address: anyone who can reach it can use the IUT (the protocol has no authentication); use it only on a trusted lab network", host)
	}
	l, err = (&net.ListenConfig{}).Listen(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, "", fmt.Errorf("%w: listen on %s: %w", ErrTransport, addr, err)
	}
	return l, warning, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
