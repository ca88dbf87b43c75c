package vpcd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// DefaultTimeout bounds an exchange whose context has no deadline.
const DefaultTimeout = 5 * time.Second

// Reader is the reader side of a vpcd connection: it powers the card and
// sends it APDUs. A Reader is safe for use by one goroutine at a time; after
// a failed exchange it is broken and every later call fails at once, since
// the stream may hold a late answer.
type Reader struct {
	mu     sync.Mutex
	conn   net.Conn
	r      *bufio.Reader
	broken error
}

// NewReader wraps a connection to a virtual card.
func NewReader(conn net.Conn) *Reader {
	return &Reader{conn: conn, r: bufio.NewReader(conn)}
}

// Dial connects to a card listening at addr (host:port), retrying until
// ctx ends so that a card process still starting is waited for.
func Dial(ctx context.Context, addr string) (*Reader, error) {
	var d net.Dialer
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return NewReader(c), nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("vpcd: connect to card at %s: %w", addr, err)
		case <-time.After(wait):
		}
	}
}

// Accept waits on l for a card to connect.
func Accept(ctx context.Context, l net.Listener) (*Reader, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.Accept()
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("vpcd: accept card on %s: %w", l.Addr(), r.err)
		}
		return NewReader(r.c), nil
	case <-ctx.Done():
		l.Close()
		return nil, fmt.Errorf("vpcd: no card connected to %s: %w", l.Addr(), ctx.Err())
	}
}

func (r *Reader) begin(ctx context.Context) error {
	if r.broken != nil {
		return fmt.Errorf("vpcd: connection unusable after earlier failure: %w", r.broken)
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(DefaultTimeout)
	}
	return r.conn.SetDeadline(dl)
}

func (r *Reader) fail(ctx context.Context, op string, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			err = fmt.Errorf("card did not answer before the deadline: %w", context.DeadlineExceeded)
		} else if ctx.Err() != nil {
			err = ctx.Err()
		} else {
			err = fmt.Errorf("card did not answer in time: %w", err)
		}
	}
	r.broken = fmt.Errorf("%s: %w", op, err)
	return r.broken
}

// control sends a one-byte control code and, for GetATR, reads the answer.
func (r *Reader) control(ctx context.Context, code byte) ([]byte, error) {
	if err := r.begin(ctx); err != nil {
		return nil, err
	}
	if err := WriteMsg(r.conn, []byte{code}); err != nil {
		return nil, r.fail(ctx, fmt.Sprintf("control %02X", code), err)
	}
	if code != GetATR {
		return nil, nil
	}
	atr, err := ReadMsg(r.r)
	if err != nil {
		return nil, r.fail(ctx, "get ATR", err)
	}
	return atr, nil
}

// Reset power-cycles the card (off, on) and returns its ATR.
func (r *Reader) Reset(ctx context.Context) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range []byte{PowerOff, PowerOn} {
		if _, err := r.control(ctx, c); err != nil {
			return nil, err
		}
	}
	return r.control(ctx, GetATR)
}

// Transmit sends one command APDU and returns the card's response.
func (r *Reader) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(capdu) < 4 {
		return nil, fmt.Errorf("vpcd: command APDU of %d bytes is shorter than a header", len(capdu))
	}
	if err := r.begin(ctx); err != nil {
		return nil, err
	}
	if err := WriteMsg(r.conn, capdu); err != nil {
		return nil, r.fail(ctx, "send APDU", err)
	}
	resp, err := ReadMsg(r.r)
	if err != nil {
		return nil, r.fail(ctx, "read response", err)
	}
	if len(resp) < 2 {
		return nil, r.fail(ctx, "read response", fmt.Errorf("%w: response of %d bytes has no status word", ErrFrame, len(resp)))
	}
	return resp, nil
}

// Close closes the connection.
func (r *Reader) Close() error { return r.conn.Close() }
