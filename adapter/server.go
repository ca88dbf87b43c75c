package adapter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Handler implements one method. params is the request's params member
// (nil if absent). Returning an *Error (possibly wrapped) sends it as is;
// any other error is sent as CodeInternalError with its text. A panic is
// recovered and reported as CodeInternalError.
type Handler func(ctx context.Context, params json.RawMessage) (any, error)

// Server answers adapter protocol requests; it is the base of paycert's
// reference IUTs. Requests on one connection are handled one at a time, in
// order. The fields must not be changed while serving.
type Server struct {
	// Hello is the result of hello. An empty Protocol is sent as Protocol;
	// nil slices are sent as empty arrays.
	Hello HelloResult
	// Methods maps method names to handlers. A "hello" entry overrides the
	// built-in hello.
	Methods map[string]Handler
	// OneSession makes Serve serve one connection at a time, for an IUT
	// that is one device with one state (a PIN pad): while a session is
	// served, a further connection gets one error response (CodeBusy) to
	// its first request and is closed, instead of sharing and corrupting
	// the device's state.
	OneSession bool
}

// maxFlushDelay bounds how long a response may sit in the write buffer while
// further requests are being handled.
const maxFlushDelay = 2 * time.Millisecond

// aLongTimeAgo is a deadline in the past, used to interrupt blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

type deadliner interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// ServeConn serves one connection until the peer closes it (returning nil),
// an I/O error occurs, or ctx is done (returning ctx.Err()). If rw has
// SetReadDeadline/SetWriteDeadline (a net.Conn) a done ctx interrupts
// blocked I/O; otherwise it is noticed at the next request.
//
// Responses are buffered while further complete requests are already
// waiting to be read, and flushed as soon as none is (or after
// maxFlushDelay), so pipelined requests are answered with few writes.
func (s *Server) ServeConn(ctx context.Context, rw io.ReadWriter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := rw.(deadliner); ok {
		stop := context.AfterFunc(ctx, func() {
			d.SetReadDeadline(aLongTimeAgo)
			d.SetWriteDeadline(aLongTimeAgo)
		})
		defer stop()
	}
	br := bufio.NewReaderSize(rw, 64<<10)
	bw := bufio.NewWriterSize(rw, 64<<10)
	lr := lineReader{br: br, max: MaxLineSize}
	var (
		out     []byte
		pending time.Time // when the oldest unflushed response was written
	)
	ioErr := func(err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			bw.Flush()
			return err
		}
		line, err := lr.next()
		final := false
		switch {
		case err == nil:
		case errors.Is(err, errLineTooLong):
			line = nil
			out = appendErrorResponse(out[:0], nil, &Error{Code: CodeInvalidRequest, Message: "request " + errLineTooLong.Error()})
		case errors.Is(err, io.ErrUnexpectedEOF):
			final = true // last line without a newline: serve it anyway
		default:
			flushErr := bw.Flush()
			if err == io.EOF {
				if flushErr != nil {
					return ioErr(flushErr)
				}
				return ctx.Err()
			}
			return ioErr(err)
		}
		if line != nil {
			if isBlank(line) {
				if final {
					return ioErr(bw.Flush())
				}
				continue
			}
			out = s.handleLine(ctx, line, out[:0])
		}
		if _, err := bw.Write(out); err != nil {
			return ioErr(err)
		}
		if pending.IsZero() {
			pending = time.Now()
		}
		if final || !lineBuffered(br) || time.Since(pending) > maxFlushDelay {
			if err := bw.Flush(); err != nil {
				return ioErr(err)
			}
			pending = time.Time{}
		}
		if final {
			return ctx.Err()
		}
	}
}

// lineBuffered reports whether a complete line is already buffered.
func lineBuffered(br *bufio.Reader) bool {
	n := br.Buffered()
	if n == 0 {
		return false
	}
	b, _ := br.Peek(n)
	return bytes.IndexByte(b, '\n') >= 0
}

// Serve accepts connections on l and serves each in its own goroutine until
// ctx is done (returning ctx.Err()) or Accept fails (returning its error,
// e.g. when l is closed). Before returning it closes l, cancels the
// connections it accepted and waits for them to finish.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	connCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(ctx, func() { l.Close() })
	var wg sync.WaitGroup
	var err error
	var active atomic.Bool
	for {
		var conn net.Conn
		conn, err = l.Accept()
		if err != nil {
			break
		}
		if s.OneSession && !active.CompareAndSwap(false, true) {
			wg.Go(func() { refuseBusy(connCtx, conn) })
			continue
		}
		wg.Go(func() {
			defer conn.Close()
			if s.OneSession {
				defer active.Store(false)
			}
			s.ServeConn(connCtx, conn)
		})
	}
	stop()
	l.Close()
	cancel()
	wg.Wait()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return err
}

// refuseBusy answers the first request on conn with CodeBusy and closes it.
func refuseBusy(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(DefaultCallTimeout))
	context.AfterFunc(ctx, func() { conn.SetDeadline(aLongTimeAgo) })
	line, err := bufio.NewReader(conn).ReadSlice('\n')
	if err != nil {
		return
	}
	var req struct {
		ID json.RawMessage `json:"id"`
	}
	json.Unmarshal(line, &req)
	conn.Write(appendErrorResponse(nil, req.ID, &Error{Code: CodeBusy,
		Message: "busy: this IUT serves one session at a time and another is active; run one certify at a time against it"}))
}

// ServeStdio serves one connection over os.Stdin and os.Stdout, as an
// adapter-exec program does; it returns when stdin reaches EOF. Log to
// os.Stderr only: stdout carries the protocol.
func (s *Server) ServeStdio(ctx context.Context) error {
	return s.ServeConn(ctx, struct {
		io.Reader
		io.Writer
	}{os.Stdin, os.Stdout})
}

// Pipe serves s in-process over net.Pipe and returns a connected client
// (hello done). The server runs until the client is closed or ctx is done;
// Close waits for it.
func Pipe(ctx context.Context, s *Server, opts ...Option) (*Client, error) {
	return PipeWrap(ctx, s, nil, opts...)
}

// PipeWrap is Pipe with the server's end of the pipe passed through wrap
// (when not nil) before the server reads it: a reference IUT that
// misbehaves on the wire (iut/hostile) is served this way.
func PipeWrap(ctx context.Context, s *Server, wrap func(net.Conn) net.Conn, opts ...Option) (*Client, error) {
	cc, sc := net.Pipe()
	var srv net.Conn = sc
	if wrap != nil {
		srv = wrap(sc)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.ServeConn(ctx, srv)
		sc.Close()
	}()
	return newClient(ctx, &connTransport{Conn: cc, after: func() { <-done }}, buildOptions(opts))
}

var nullID = json.RawMessage("null")

// handleLine answers one request line, appending exactly one response line
// (newline included) to dst. It never panics.
func (s *Server) handleLine(ctx context.Context, line []byte, dst []byte) []byte {
	if !utf8.Valid(line) {
		return appendErrorResponse(dst, nil, &Error{Code: CodeParseError, Message: "parse error: line is not valid UTF-8"})
	}
	switch firstByte(line) {
	case '{':
	case '[':
		if !json.Valid(line) {
			return appendErrorResponse(dst, nil, &Error{Code: CodeParseError, Message: "parse error: malformed JSON"})
		}
		return appendErrorResponse(dst, nil, &Error{Code: CodeInvalidRequest, Message: "invalid request: batch arrays are not supported"})
	default:
		if !json.Valid(line) {
			return appendErrorResponse(dst, nil, &Error{Code: CodeParseError, Message: "parse error: malformed JSON"})
		}
		return appendErrorResponse(dst, nil, &Error{Code: CodeInvalidRequest, Message: "invalid request: not a JSON object"})
	}
	if !json.Valid(line) {
		var v any
		err := json.Unmarshal(line, &v) // for a descriptive message
		return appendErrorResponse(dst, nil, &Error{Code: CodeParseError, Message: fmt.Sprintf("parse error: %v", err)})
	}
	env := envelope{names: [4]string{"jsonrpc", "id", "method", "params"}}
	if err := env.scan(line); err != nil {
		return appendErrorResponse(dst, nil, &Error{Code: CodeInvalidRequest, Message: "invalid request: " + err.Error()})
	}
	req := struct{ JSONRPC, ID, Method, Params []byte }{env.vals[0], env.vals[1], env.vals[2], env.vals[3]}
	switch firstByte(req.ID) {
	case 0:
		return appendErrorResponse(dst, nil, &Error{Code: CodeInvalidRequest, Message: `invalid request: missing "id" (notifications are not used by this protocol)`})
	case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
	default:
		return appendErrorResponse(dst, nil, &Error{Code: CodeInvalidRequest, Message: `invalid request: "id" must be a number or a string`})
	}
	id := req.ID
	if err := checkVersion(req.JSONRPC); err != nil {
		return appendErrorResponse(dst, id, &Error{Code: CodeInvalidRequest, Message: "invalid request: " + err.Error()})
	}
	if firstByte(req.Method) != '"' || len(req.Method) < 3 {
		return appendErrorResponse(dst, id, &Error{Code: CodeInvalidRequest, Message: `invalid request: "method" must be a non-empty string`})
	}
	var params json.RawMessage
	switch firstByte(req.Params) {
	case 0:
	case '{':
		params = append(json.RawMessage(nil), req.Params...) // the handler may keep it
	case 'n':
	default:
		return appendErrorResponse(dst, id, &Error{Code: CodeInvalidParams, Message: `invalid params: "params" must be a JSON object`})
	}
	h, method := s.lookup(req.Method)
	if h == nil {
		return appendErrorResponse(dst, id, &Error{Code: CodeMethodNotFound, Message: "method not found: " + strconv.Quote(truncate(method, 64))})
	}
	result, err := callHandler(ctx, h, params)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Code: CodeInternalError, Message: err.Error()}
		}
		return appendErrorResponse(dst, id, e)
	}
	b, err := json.Marshal(result)
	if err != nil {
		return appendErrorResponse(dst, id, &Error{Code: CodeInternalError, Message: "internal error: encoding result: " + err.Error()})
	}
	if len(b) > MaxLineSize-64-len(id) {
		return appendErrorResponse(dst, id, &Error{Code: CodeInternalError, Message: "internal error: result exceeds the line size limit"})
	}
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = append(dst, id...)
	dst = append(dst, `,"result":`...)
	dst = append(dst, b...)
	return append(dst, "}\n"...)
}

// lookup finds the handler for the raw JSON string method.
func (s *Server) lookup(raw []byte) (Handler, string) {
	name := raw[1 : len(raw)-1]
	if bytes.IndexByte(name, '\\') < 0 {
		if h := s.Methods[string(name)]; h != nil { // no allocation
			return h, ""
		}
		if string(name) == "hello" {
			return s.helloHandler, ""
		}
		return nil, string(name)
	}
	var method string
	json.Unmarshal(raw, &method) // valid: the line passed json.Valid
	if h := s.Methods[method]; h != nil {
		return h, method
	}
	if method == "hello" {
		return s.helloHandler, method
	}
	return nil, method
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func callHandler(ctx context.Context, h Handler, params json.RawMessage) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			result, err = nil, &Error{Code: CodeInternalError, Message: fmt.Sprintf("internal error: handler panicked: %v", r)}
		}
	}()
	return h(ctx, params)
}

func (s *Server) helloHandler(context.Context, json.RawMessage) (any, error) {
	h := s.Hello.clone()
	if h.Protocol == "" {
		h.Protocol = Protocol
	}
	if h.Roles == nil {
		h.Roles = []string{}
	}
	if h.Capabilities == nil {
		h.Capabilities = []string{}
	}
	return h, nil
}

// appendErrorResponse appends an error response line; a nil id is sent as null.
func appendErrorResponse(dst []byte, id json.RawMessage, e *Error) []byte {
	if id == nil {
		id = nullID
	}
	msg := e.Message
	if msg == "" {
		msg = CodeText(e.Code)
	}
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = append(dst, id...)
	dst = append(dst, `,"error":{"code":`...)
	dst = strconv.AppendInt(dst, int64(e.Code), 10)
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, msg)
	if len(e.Data) > 0 {
		var buf bytes.Buffer
		if json.Compact(&buf, e.Data) == nil {
			dst = append(dst, `,"data":`...)
			dst = append(dst, buf.Bytes()...)
		}
	}
	return append(dst, "}}\n"...)
}

// DecodeParams decodes a handler's params into v (absent params decode as
// {}), applying RequiredFielder and Validator if v implements them. A
// failure is returned as a CodeInvalidParams *Error.
func DecodeParams(params json.RawMessage, v any) error {
	if len(params) == 0 || string(params) == "null" {
		params = json.RawMessage("{}")
	}
	if err := decodeInto(params, v); err != nil {
		return &Error{Code: CodeInvalidParams, Message: "invalid params: " + err.Error()}
	}
	return nil
}
