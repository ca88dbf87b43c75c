package adapter

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Trace directions passed to a WithTrace callback.
const (
	TraceSend = "send" // a request line written to the adapter
	TraceRecv = "recv" // a response line read from the adapter
)

type options struct {
	callTimeout  time.Duration
	window       int
	trace        func(dir string, line []byte)
	client       ClientInfo
	env          []string
	closeTimeout time.Duration
}

// Option configures a Client.
type Option func(*options)

// WithCallTimeout sets the timeout of a call whose context has no deadline
// (default DefaultCallTimeout). It also bounds connecting in Dial.
func WithCallTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.callTimeout = d
		}
	}
}

// WithWindow bounds the requests in flight: per Batch call, and across all
// outstanding Go calls (default DefaultWindow).
func WithWindow(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.window = n
		}
	}
}

// WithTrace registers fn to receive every line exchanged, without its
// newline: dir is TraceSend or TraceRecv. Lines of one direction arrive in
// order; the two directions are reported from different goroutines. fn must
// be fast, must not call the Client and must copy line to retain it. The
// lines may hold sensitive data: masking them is the caller's job.
func WithTrace(fn func(dir string, line []byte)) Option {
	return func(o *options) { o.trace = fn }
}

// WithClientInfo sets the client name and version sent in hello.
func WithClientInfo(name, version string) Option {
	return func(o *options) { o.client = ClientInfo{Name: name, Version: version} }
}

// WithEnv adds "KEY=value" entries to the environment of an adapter-exec
// program (which otherwise inherits paycert's environment).
func WithEnv(kv ...string) Option {
	return func(o *options) { o.env = append(o.env, kv...) }
}

// WithCloseTimeout sets how long Close waits for an adapter-exec program to
// exit after closing its stdin before killing it (default DefaultCloseTimeout).
func WithCloseTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.closeTimeout = d
		}
	}
}

func buildOptions(opts []Option) *options {
	o := &options{
		callTimeout:  DefaultCallTimeout,
		window:       DefaultWindow,
		client:       ClientInfo{Name: "paycert", Version: buildVersion()},
		closeTimeout: DefaultCloseTimeout,
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// Client is paycert's end of an adapter connection. It is safe for
// concurrent use; requests from all goroutines share one ordered stream.
//
// A call that ends without its response (timeout, cancellation, adapter
// failure or protocol framing violation) breaks the connection: responses
// are matched by order, so it cannot be resynchronised. Every later call
// fails fast with an error wrapping ErrBroken and the original cause (Err
// reports it); the client does not reconnect. Close it and Dial again
// (package probes/target does so between test cases).
type Client struct {
	t     transport
	o     *options
	hello HelloResult

	wmu     sync.Mutex // serialises writing: id order == queue order == line order
	bw      *bufio.Writer
	nextID  uint64
	scratch []byte
	wdl     time.Time // write deadline currently set

	mu    sync.Mutex
	queue []*Pending // outstanding requests, oldest first, from qhead
	qhead int
	err   error     // non-nil once the connection is unusable
	rdl   time.Time // read deadline currently set (zero: none)

	slots      chan struct{} // window for Go
	readerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

// Dial connects to the adapter named by uri, performs hello and returns the
// client. uri is adapter://HOST:PORT[?timeout=DURATION] or
// adapter-exec:COMMAND ARGS (COMMAND ARGS split on whitespace; double
// quotes group, with \" and \\ escapes). Connecting and hello together
// take at most the URI's timeout, or else the call timeout
// (WithCallTimeout), and never longer than ctx allows. A malformed URI is an
// error wrapping ErrBadURI.
func Dial(ctx context.Context, uri string, opts ...Option) (*Client, error) {
	o := buildOptions(opts)
	timeout := o.callTimeout
	if hasPrefixFold(uri, "adapter://") {
		_, t, err := parseTCP(uri)
		if err != nil {
			return nil, err
		}
		if t > 0 {
			timeout = t
		}
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t, err := dialTransport(dctx, uri, o)
	if err != nil {
		return nil, err
	}
	return newClient(dctx, t, o)
}

// NewClient runs the protocol over an established connection (for example a
// TLS or Unix-domain connection), performs hello and returns the client.
// The client owns conn and closes it on Close.
func NewClient(ctx context.Context, conn net.Conn, opts ...Option) (*Client, error) {
	return newClient(ctx, &connTransport{Conn: conn}, buildOptions(opts))
}

func newClient(ctx context.Context, t transport, o *options) (*Client, error) {
	c := &Client{
		t:          t,
		o:          o,
		bw:         bufio.NewWriterSize(t, 64<<10),
		slots:      make(chan struct{}, o.window),
		readerDone: make(chan struct{}),
	}
	go c.readLoop(bufio.NewReaderSize(t, 64<<10))
	if err := c.doHello(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) doHello(ctx context.Context) error {
	var raw json.RawMessage
	err := c.Call(ctx, "hello", HelloParams{Protocol: Protocol, Client: c.o.client}, &raw)
	if err != nil {
		return err
	}
	var probe struct {
		Protocol json.RawMessage `json:"protocol"`
	}
	if firstByte(raw) == '{' && json.Unmarshal(raw, &probe) == nil && probe.Protocol != nil {
		var got string
		if json.Unmarshal(probe.Protocol, &got) != nil {
			got = string(probe.Protocol)
		}
		if got != Protocol {
			return newError([]error{ErrVersionMismatch},
				"adapter: hello: protocol version mismatch: adapter implements %q, paycert requires %q", got, Protocol)
		}
	}
	var h HelloResult
	if err := decodeInto(raw, &h); err != nil {
		return newError([]error{ErrProtocol}, "adapter: hello: invalid result: %v", err)
	}
	c.hello = h
	return nil
}

// Hello returns the adapter's hello result.
func (c *Client) Hello() HelloResult { return c.hello.clone() }

// HasRole reports whether the adapter declared role in hello.
func (c *Client) HasRole(role string) bool { return c.hello.HasRole(role) }

// HasCapability reports whether the adapter declared capability in hello.
func (c *Client) HasCapability(capability string) bool { return c.hello.HasCapability(capability) }

// Err returns the error that made the connection unusable (the first cause,
// wrapping ErrBroken, or ErrClosed after Close), or nil while it is usable.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Stderr returns the last StderrTailSize bytes an adapter-exec program wrote
// to its standard error (nil for other transports).
func (c *Client) Stderr() []byte { return c.t.stderrTail() }

// Close ends the connection. For adapter-exec it closes the program's stdin,
// waits for it to exit (see WithCloseTimeout), kills it if needed and reaps
// it. Outstanding calls fail with ErrClosed. Close is idempotent; it reports
// an error only if the program had to be killed.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.fail(ErrClosed, nil)
		c.closeErr = c.t.shutdown(c.o.closeTimeout)
		<-c.readerDone
	})
	return c.closeErr
}

// Pending is a request sent with Go whose response may not have arrived.
type Pending struct {
	Method string

	c        *Client
	ctx      context.Context
	id       uint64
	params   []byte
	sent     time.Time
	deadline time.Time
	slot     bool // holds a window slot (Go)

	raw   json.RawMessage
	err   error
	state atomic.Uint32 // 1 once raw/err are final
	done  chan struct{} // closed on completion (Call, Go)
	wake  chan struct{} // signalled on completion (Batch)
}

// Done returns a channel closed when the response (or a failure) is in.
// It does not enforce the context passed to Go; Wait does.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Wait waits for the response, honouring the context given to Go, and
// decodes the result into result (which may be nil) like Call.
func (p *Pending) Wait(result any) error {
	p.c.wait(p)
	return p.c.finish(p, result)
}

// Call sends one request and waits for its response, decoding the result
// into result (a pointer, or nil to discard it). If result implements
// RequiredFielder or Validator those checks run after decoding. An error
// object from the adapter is returned as a wrapped *Error.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	p := &Pending{Method: method, c: c, ctx: ctx, done: make(chan struct{})}
	c.start(p, params)
	c.wait(p)
	return c.finish(p, result)
}

// Go sends a request without waiting for its response. At most the window
// (WithWindow) of Go requests are in flight: Go blocks until a slot is free
// or ctx is done. Each Go request is flushed to the adapter immediately; use
// Batch to coalesce writes. Call Wait on the result.
func (c *Client) Go(ctx context.Context, method string, params any) *Pending {
	p := &Pending{Method: method, c: c, ctx: ctx, done: make(chan struct{})}
	select {
	case c.slots <- struct{}{}:
	default:
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			c.complete(p, nil, notSentError(method, ctx.Err()))
			return p
		}
	}
	p.slot = true
	c.start(p, params)
	return p
}

// A Call is one request of a Batch. Result receives the decoded result
// (nil to discard it).
type Call struct {
	Method string
	Params any
	Result any
}

// Batch pipelines calls over the connection: it keeps up to the window of
// requests in flight, writing them in groups with one flush per group, and
// matches responses in order. It returns one error per call (nil on
// success); results are decoded into calls[i].Result. ctx applies to every
// call; without a deadline each call gets the call timeout from the moment
// it is sent.
func (c *Client) Batch(ctx context.Context, calls []Call) []error {
	errs := make([]error, len(calls))
	n := len(calls)
	if n == 0 {
		return errs
	}
	ringN := min(n, c.o.window)
	ring := make([]Pending, ringN)
	wake := make(chan struct{}, 1)
	next, consumed := 0, 0
	for consumed < n {
		// Refill once at most half the window is outstanding, so each
		// flush carries many requests while the pipe stays busy.
		if next < n && (next == consumed || next-consumed <= ringN/2) {
			c.wmu.Lock()
			now := time.Now()
			var last *Pending
			for ; next < n && next-consumed < ringN; next++ {
				p := &ring[next%ringN]
				*p = Pending{Method: calls[next].Method, c: c, ctx: ctx, wake: wake}
				if err := ctx.Err(); err != nil {
					c.complete(p, nil, notSentError(p.Method, err))
					continue
				}
				b, err := encodeParams(calls[next].Params)
				if err != nil {
					c.complete(p, nil, newError(nil, "adapter: %s: encoding params: %v", p.Method, err))
					continue
				}
				p.params = b
				if c.writeLocked(p, now) {
					last = p
				}
			}
			if last != nil {
				c.flushLocked(last)
			}
			c.wmu.Unlock()
		}
		progressed := false
		for consumed < next {
			p := &ring[consumed%ringN]
			if p.state.Load() == 0 {
				break
			}
			errs[consumed] = c.finish(p, calls[consumed].Result)
			p.raw, p.err, p.params = nil, nil, nil
			consumed++
			progressed = true
		}
		if progressed || consumed == n {
			continue
		}
		p := &ring[consumed%ringN]
		select {
		case <-wake:
		case <-ctx.Done():
			if p.state.Load() == 0 {
				c.abandon(p)
				for p.state.Load() == 0 {
					<-wake
				}
			}
		}
	}
	return errs
}

// start sends p. On return p is either outstanding or completed.
func (c *Client) start(p *Pending, params any) {
	if err := p.ctx.Err(); err != nil {
		c.complete(p, nil, notSentError(p.Method, err))
		return
	}
	b, err := encodeParams(params)
	if err != nil {
		c.complete(p, nil, newError(nil, "adapter: %s: encoding params: %v", p.Method, err))
		return
	}
	p.params = b
	c.wmu.Lock()
	if c.writeLocked(p, time.Now()) {
		c.flushLocked(p)
	}
	c.wmu.Unlock()
}

// writeLocked queues p and writes its request into the buffer. It reports
// whether p was written; otherwise p has been completed with an error.
// c.wmu must be held.
func (c *Client) writeLocked(p *Pending, now time.Time) bool {
	c.nextID++
	p.id = c.nextID
	p.sent = now
	if dl, ok := p.ctx.Deadline(); ok {
		p.deadline = dl
	} else {
		p.deadline = now.Add(c.o.callTimeout)
	}
	c.scratch = appendRequest(c.scratch[:0], p.id, p.Method, p.params)
	p.params = nil

	c.mu.Lock()
	if cause := c.err; cause != nil {
		c.mu.Unlock()
		c.complete(p, nil, brokenError(p.Method, cause))
		return false
	}
	wasEmpty := c.qhead == len(c.queue)
	c.queue = append(c.queue, p)
	if wasEmpty {
		c.armLocked(p.deadline, false)
	}
	c.mu.Unlock()

	if c.o.trace != nil {
		c.o.trace(TraceSend, c.scratch[:len(c.scratch)-1])
	}
	if !p.deadline.Equal(c.wdl) {
		c.wdl = p.deadline
		c.t.SetWriteDeadline(p.deadline)
	}
	if _, err := c.bw.Write(c.scratch); err != nil {
		c.fail(c.writeError(p, err), p)
		return false
	}
	return true
}

// flushLocked flushes buffered requests; last is the newest of them.
func (c *Client) flushLocked(last *Pending) {
	if err := c.bw.Flush(); err != nil {
		c.fail(c.writeError(last, err), last)
	}
}

func (c *Client) writeError(p *Pending, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return newError([]error{context.DeadlineExceeded, ErrBroken},
			"adapter: %s: timed out after %v sending the request, the adapter is not reading (deadline exceeded)",
			p.Method, p.deadline.Sub(p.sent).Round(time.Millisecond))
	}
	return newError([]error{ErrBroken}, "adapter: %s: sending the request failed: %s", p.Method, c.t.describe("write", err))
}

// armLocked sets the read deadline to dl (c.mu held). Unless force is set,
// a current deadline that is earlier by less than a second is kept: the
// reader re-arms on an early expiry, so this only saves system calls.
func (c *Client) armLocked(dl time.Time, force bool) {
	if c.err != nil {
		return
	}
	if !force && !c.rdl.IsZero() && !dl.Before(c.rdl) && dl.Sub(c.rdl) < time.Second {
		return
	}
	c.rdl = dl
	c.t.SetReadDeadline(dl)
}

func (c *Client) headLocked() *Pending {
	if c.qhead == len(c.queue) {
		return nil
	}
	return c.queue[c.qhead]
}

func (c *Client) popLocked() *Pending {
	p := c.headLocked()
	if p == nil {
		return nil
	}
	c.queue[c.qhead] = nil
	c.qhead++
	switch {
	case c.qhead == len(c.queue):
		c.queue = c.queue[:0]
		c.qhead = 0
	case c.qhead >= 256 && 2*c.qhead >= len(c.queue):
		n := copy(c.queue, c.queue[c.qhead:])
		clear(c.queue[n:])
		c.queue = c.queue[:n]
		c.qhead = 0
	}
	if h := c.headLocked(); h != nil {
		c.armLocked(h.deadline, false)
	}
	return p
}

// readLoop reads responses and completes outstanding requests in order.
func (c *Client) readLoop(br *bufio.Reader) {
	defer close(c.readerDone)
	lr := lineReader{br: br, max: MaxLineSize}
	for {
		line, err := lr.next()
		if err != nil {
			c.mu.Lock()
			if c.err != nil {
				c.mu.Unlock()
				return
			}
			head := c.headLocked()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				switch {
				case head == nil:
					c.armLocked(time.Time{}, true)
					c.mu.Unlock()
					continue
				case time.Now().Before(head.deadline):
					c.armLocked(head.deadline, true)
					c.mu.Unlock()
					continue
				}
				// Build the error while head is still queued: once the lock
				// is released, a Batch may complete and reuse head's slot.
				terr := timeoutError(head)
				c.mu.Unlock()
				c.fail(terr, head)
				return
			}
			method := ""
			if head != nil {
				method = head.Method
			}
			c.mu.Unlock()
			c.fail(c.readError(method, err), head)
			return
		}
		if isBlank(line) {
			continue
		}
		if c.o.trace != nil {
			c.o.trace(TraceRecv, line)
		}
		c.mu.Lock()
		p := c.popLocked()
		c.mu.Unlock()
		if p == nil {
			c.fail(newError([]error{ErrProtocol, ErrBroken},
				"adapter: protocol violation: response received while no request was outstanding"), nil)
			return
		}
		result, rpcErr, violation := decodeResponse(line, p.id)
		switch {
		case violation != nil:
			err := newError([]error{ErrProtocol, ErrBroken}, "adapter: %s: protocol violation: %v", p.Method, violation)
			c.fail(err, nil)
			c.complete(p, nil, err)
			return
		case rpcErr != nil:
			c.complete(p, nil, fmt.Errorf("adapter: %s: %w", p.Method, rpcErr))
		default:
			c.complete(p, result, nil)
		}
	}
}

// readError describes a read failure; method is the oldest outstanding
// request's, or "" when none was outstanding.
func (c *Client) readError(method string, err error) error {
	if errors.Is(err, errLineTooLong) {
		m := method
		if m == "" {
			m = "(none outstanding)"
		}
		return newError([]error{ErrProtocol, ErrBroken}, "adapter: %s: protocol violation: response %v", m, err)
	}
	desc := c.t.describe("read", err)
	if method == "" {
		return newError([]error{ErrBroken}, "adapter: connection lost while idle: %s", desc)
	}
	return newError([]error{ErrBroken}, "adapter: %s: no response: %s", method, desc)
}

func timeoutError(p *Pending) error {
	return newError([]error{context.DeadlineExceeded, ErrBroken},
		"adapter: %s: no response: timed out after %v (deadline exceeded)",
		p.Method, p.deadline.Sub(p.sent).Round(time.Millisecond))
}

func notSentError(method string, err error) error {
	return newError([]error{err}, "adapter: %s: not sent: %v", method, err)
}

func brokenError(method string, cause error) error {
	if cause == ErrClosed {
		return newError([]error{ErrClosed}, "adapter: %s: client closed", method)
	}
	return newError([]error{ErrBroken, cause}, "adapter: %s: connection unusable after an earlier failure: %v", method, cause)
}

// fail marks the connection unusable (the first cause wins) and completes
// every outstanding request: culprit with cause, the others with an error
// wrapping ErrBroken and cause.
func (c *Client) fail(cause error, culprit *Pending) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = cause
	q := append([]*Pending(nil), c.queue[c.qhead:]...)
	clear(c.queue)
	c.queue, c.qhead = c.queue[:0], 0
	// Wake the reader so it notices (a deadline in the past).
	c.t.SetReadDeadline(time.Unix(1, 0))
	c.mu.Unlock()
	for _, p := range q {
		if p == culprit {
			c.complete(p, nil, cause)
		} else {
			c.complete(p, nil, brokenError(p.Method, cause))
		}
	}
}

// abandon gives up on p because its context is done.
func (c *Client) abandon(p *Pending) {
	err := p.ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		c.fail(timeoutError(p), p)
		return
	}
	c.fail(newError([]error{err, ErrBroken}, "adapter: %s: call abandoned: %v", p.Method, err), p)
}

// complete publishes p's outcome. Each pending is completed exactly once:
// by the reader after popping it, by fail after removing it from the
// queue, or by the sender before queueing it.
func (c *Client) complete(p *Pending, raw json.RawMessage, err error) {
	p.raw, p.err = raw, err
	done, wake, slot := p.done, p.wake, p.slot
	p.state.Store(1) // p may be reused by Batch from here on
	if done != nil {
		close(done)
	}
	if wake != nil {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	if slot {
		<-c.slots
	}
}

// wait blocks until p completes or its context is done (which abandons it).
func (c *Client) wait(p *Pending) {
	select {
	case <-p.done:
	case <-p.ctx.Done():
		if p.state.Load() == 0 {
			c.abandon(p)
		}
		<-p.done
	}
}

func (c *Client) finish(p *Pending, result any) error {
	if p.err != nil {
		return p.err
	}
	return DecodeResult(p.Method, p.raw, result)
}

// DecodeResult decodes the raw result of method into result exactly as
// Call does (RequiredFielder and Validator checks included), for a caller
// that called with a *json.RawMessage to inspect the result first. A
// failure is a protocol violation naming the method.
func DecodeResult(method string, raw json.RawMessage, result any) error {
	if err := decodeInto(raw, result); err != nil {
		return newError([]error{ErrProtocol}, "adapter: %s: protocol violation: invalid result: %v", method, err)
	}
	return nil
}
