package target

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/iut/hostile"
	"github.com/paycert/paycert/probes"
	"github.com/paycert/paycert/probes/vpcd"
)

// openHostileCard serves the reference card with a hostile fault over a
// loopback vpcd connection and opens it as a vpcd:// card: stalling,
// dripping and disconnecting are behaviours of a byte stream, so the
// in-process card would not show them. The server lives until the card
// is closed or life ends.
func openHostileCard(ctx, life context.Context, fault string) (probes.Card, error) {
	crd, err := card.New(card.DefaultProfile(), "")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", probes.ErrUsage, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%w: reference card: %w", probes.ErrTransport, err)
	}
	h := &hostileCard{uri: "ref:?fault=" + fault, l: l, done: make(chan struct{})}
	go h.serve(life, crd, fault)
	c, err := probes.Open(ctx, "vpcd://"+l.Addr().String())
	if err != nil {
		h.stop()
		return nil, err
	}
	h.Card = c
	return h, nil
}

type hostileCard struct {
	probes.Card
	uri  string
	l    net.Listener
	done chan struct{} // closed when the server goroutine ends

	mu   sync.Mutex
	conn net.Conn // the server's side, once accepted
}

func (h *hostileCard) serve(life context.Context, crd *card.Card, fault string) {
	defer close(h.done)
	c, err := h.l.Accept()
	h.l.Close()
	if err != nil {
		return
	}
	hc, err := hostile.CardConn(c, fault)
	if err != nil {
		c.Close()
		return
	}
	h.mu.Lock()
	h.conn = hc
	h.mu.Unlock()
	vpcd.ServeCard(life, hc, crd)
	hc.Close()
}

// stop ends the server and waits for it: a card dripping a response is
// interrupted at once.
func (h *hostileCard) stop() {
	h.l.Close()
	h.mu.Lock()
	if h.conn != nil {
		h.conn.Close()
	}
	h.mu.Unlock()
	<-h.done
}

func (h *hostileCard) URI() string { return h.uri }

func (h *hostileCard) Close() error {
	err := h.Card.Close()
	h.stop()
	return err
}
