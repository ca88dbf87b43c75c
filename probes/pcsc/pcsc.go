// Package pcsc reaches a card on a PC/SC reader through pcsc-lite (cgo).
//
// PC/SC calls cannot be cancelled: a card that never answers blocks
// SCardTransmit forever. Reader therefore runs every call on a worker
// goroutine and gives up at the context's deadline; after that the reader is
// broken and later calls fail at once.
package pcsc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ebfe/scard"
)

// DefaultTimeout bounds an exchange whose context has no deadline.
const DefaultTimeout = 5 * time.Second

// Reader is a connection to the card in one PC/SC reader.
type Reader struct {
	mu     sync.Mutex
	sctx   *scard.Context
	card   *scard.Card
	name   string
	broken error
}

// Open connects to the card in the named reader, or in the first reader
// holding a card when name is empty, waiting up to wait for a card to be
// inserted.
func Open(ctx context.Context, name string, wait time.Duration) (*Reader, error) {
	sctx, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("pcsc: establish context (is pcscd running?): %w", err)
	}
	r := &Reader{sctx: sctx}
	if err := r.connect(ctx, name, wait); err != nil {
		sctx.Release()
		return nil, err
	}
	return r, nil
}

func (r *Reader) connect(ctx context.Context, name string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	for {
		readers, err := r.sctx.ListReaders()
		if err != nil && !errors.Is(err, scard.ErrNoReadersAvailable) {
			return fmt.Errorf("pcsc: list readers: %w", err)
		}
		if name != "" {
			found := false
			for _, rd := range readers {
				found = found || rd == name
			}
			if !found {
				return fmt.Errorf("pcsc: no reader named %q (readers: %q)", name, readers)
			}
			readers = []string{name}
		}
		if len(readers) == 0 && name == "" {
			if time.Now().After(deadline) {
				return errors.New("pcsc: no readers available")
			}
		}
		states := make([]scard.ReaderState, len(readers))
		for i, rd := range readers {
			states[i] = scard.ReaderState{Reader: rd, CurrentState: scard.StateUnaware}
		}
		if len(states) > 0 {
			if err := r.sctx.GetStatusChange(states, 0); err != nil && !errors.Is(err, scard.ErrTimeout) {
				return fmt.Errorf("pcsc: reader status: %w", err)
			}
			for _, s := range states {
				if s.EventState&scard.StatePresent != 0 && s.EventState&scard.StateMute == 0 {
					card, err := r.sctx.Connect(s.Reader, scard.ShareExclusive, scard.ProtocolAny)
					if err != nil {
						return fmt.Errorf("pcsc: connect to card in %q: %w", s.Reader, err)
					}
					r.card, r.name = card, s.Reader
					return nil
				}
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("pcsc: no card present in %q within %s", readers, wait)
		}
		if len(states) == 0 {
			time.Sleep(min(left, 100*time.Millisecond))
			continue
		}
		// Wait for a change rather than sleeping: pcscd polls its drivers.
		for i := range states {
			states[i].CurrentState = states[i].EventState
		}
		if err := r.sctx.GetStatusChange(states, min(left, time.Second)); err != nil && !errors.Is(err, scard.ErrTimeout) {
			return fmt.Errorf("pcsc: wait for card: %w", err)
		}
	}
}

// Name is the reader's name.
func (r *Reader) Name() string { return r.name }

// do runs fn on a worker goroutine and waits for it or the deadline.
func (r *Reader) do(ctx context.Context, op string, fn func() ([]byte, error)) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken != nil {
		return nil, fmt.Errorf("pcsc: reader unusable after earlier failure: %w", r.broken)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b, err := fn()
		ch <- res{b, err}
	}()
	select {
	case x := <-ch:
		if x.err != nil {
			return nil, fmt.Errorf("pcsc: %s: %w", op, x.err)
		}
		return x.b, nil
	case <-ctx.Done():
		r.broken = fmt.Errorf("pcsc: %s: card did not answer: %w", op, ctx.Err())
		return nil, r.broken
	}
}

// Transmit sends one APDU. An empty or one-byte answer (what pcsc-lite
// returns when a virtual card vanishes mid-exchange) is a transport failure.
func (r *Reader) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	resp, err := r.do(ctx, "transmit", func() ([]byte, error) { return r.card.Transmit(capdu) })
	if err != nil {
		return nil, err
	}
	if len(resp) < 2 {
		return nil, fmt.Errorf("pcsc: transmit: response of %d bytes (card removed during the exchange?)", len(resp))
	}
	return resp, nil
}

// Reset power-cycles the card and returns its ATR.
func (r *Reader) Reset(ctx context.Context) ([]byte, error) {
	return r.do(ctx, "reset", func() ([]byte, error) {
		if err := r.card.Reconnect(scard.ShareExclusive, scard.ProtocolAny, scard.UnpowerCard); err != nil {
			return nil, err
		}
		st, err := r.card.Status()
		if err != nil {
			return nil, err
		}
		return st.Atr, nil
	})
}

// Close disconnects, leaving the card powered for the next user.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken == nil && r.card != nil {
		r.card.Disconnect(scard.LeaveCard)
		return r.sctx.Release()
	}
	// After a failed exchange, the worker goroutine may still be inside
	// SCardTransmit, waiting for pcscd, which waits for a card that stalls
	// or drips; pcsc-lite then holds the context's lock, and releasing the
	// context would wait for the card too. Close waits a moment and then
	// leaves the release to that goroutine (blocked in the C library; it
	// ends when pcscd answers or the process exits).
	done := make(chan error, 1)
	go func() { done <- r.sctx.Release() }()
	select {
	case err := <-done:
		return err
	case <-time.After(releaseWait):
		return fmt.Errorf("pcsc: %w: the reader is still busy with a card that does not answer; the context is released when pcscd answers", r.broken)
	}
}

// releaseWait bounds Close's wait for pcscd after a failed exchange.
const releaseWait = 2 * time.Second
