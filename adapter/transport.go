package adapter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// transport is a bidirectional byte stream with deadlines.
type transport interface {
	io.Reader
	io.Writer
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	// describe explains an I/O failure (not a timeout) for an error
	// message; op is "read" or "write".
	describe(op string, err error) string
	// shutdown closes the transport and releases its resources.
	shutdown(grace time.Duration) error
	// stderrTail returns the captured standard error, if any.
	stderrTail() []byte
}

// connTransport is a net.Conn (TCP or net.Pipe).
type connTransport struct {
	net.Conn
	after func() // run after Close (Pipe: wait for the in-process server)
}

func (t *connTransport) describe(op string, err error) string {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "adapter closed the connection in the middle of a line"
	case errors.Is(err, io.EOF):
		return "adapter closed the connection"
	case errors.Is(err, io.ErrClosedPipe), errors.Is(err, net.ErrClosed):
		return "connection closed"
	}
	return op + ": " + err.Error()
}

func (t *connTransport) shutdown(time.Duration) error {
	err := t.Conn.Close()
	if t.after != nil {
		t.after()
	}
	return err
}

func (t *connTransport) stderrTail() []byte { return nil }

// parseTCP extracts HOST:PORT and the optional ?timeout= (0 when absent)
// from an adapter:// URI.
func parseTCP(uri string) (addr string, timeout time.Duration, err error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", 0, badURI(uri, "%v", err)
	}
	if u.Host == "" || u.Port() == "" || u.Hostname() == "" {
		return "", 0, badURI(uri, "want adapter://HOST:PORT")
	}
	if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
		return "", 0, badURI(uri, "port %q is not 1 to 65535", u.Port())
	}
	q := u.Query()
	for k := range q {
		if k != "timeout" {
			return "", 0, badURI(uri, "unknown parameter %q (adapter:// takes only ?timeout=DURATION)", k)
		}
	}
	if t := q.Get("timeout"); t != "" {
		if timeout, err = time.ParseDuration(t); err != nil || timeout <= 0 {
			return "", 0, badURI(uri, "timeout %q is not a positive duration such as 30s", t)
		}
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" || u.User != nil {
		return "", 0, badURI(uri, "only adapter://HOST:PORT[?timeout=DURATION] is allowed (no user, path or fragment)")
	}
	return u.Host, timeout, nil
}

// badURI returns an error wrapping ErrBadURI.
func badURI(uri, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrBadURI, uri, fmt.Sprintf(format, args...))
}

// splitCommand splits an adapter-exec command line on whitespace. Double
// quotes group words; inside them a backslash escapes '"' or '\'.
func splitCommand(s string) ([]string, error) {
	var (
		args    []string
		cur     strings.Builder
		inWord  bool
		inQuote bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			inQuote = !inQuote
			inWord = true
		case !inQuote && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inQuote {
		return nil, errors.New("unterminated double quote")
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 || args[0] == "" {
		return nil, errors.New("empty command")
	}
	return args, nil
}

// execTransport talks to a child process over its stdin and stdout.
type execTransport struct {
	cmd     *exec.Cmd
	stdin   *os.File // parent's write end
	stdout  *os.File // parent's read end
	stderr  *tailBuffer
	exited  chan struct{}
	exitErr error // valid after exited is closed
}

// exitWait bounds how long an error report waits for the process to exit
// after its stdout closed.
const exitWait = time.Second

func startExec(argv []string, env []string) (*execTransport, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	t := &execTransport{
		stdin:  inW,
		stdout: outR,
		stderr: &tailBuffer{max: StderrTailSize},
		exited: make(chan struct{}),
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = inR
	cmd.Stdout = outW
	cmd.Stderr = t.stderr
	// Do not hang in Wait if a grandchild keeps stderr open.
	cmd.WaitDelay = 500 * time.Millisecond
	ownGroup(cmd)
	t.cmd = cmd
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("adapter: starting %q: %w", argv[0], err)
	}
	go func() {
		t.exitErr = cmd.Wait()
		close(t.exited)
	}()
	return t, nil
}

func (t *execTransport) Read(b []byte) (int, error)         { return t.stdout.Read(b) }
func (t *execTransport) Write(b []byte) (int, error)        { return t.stdin.Write(b) }
func (t *execTransport) SetReadDeadline(d time.Time) error  { return t.stdout.SetReadDeadline(d) }
func (t *execTransport) SetWriteDeadline(d time.Time) error { return t.stdin.SetWriteDeadline(d) }
func (t *execTransport) stderrTail() []byte                 { return t.stderr.Bytes() }

func (t *execTransport) describe(op string, err error) string {
	timer := time.NewTimer(exitWait)
	defer timer.Stop()
	select {
	case <-t.exited:
		return fmt.Sprintf("adapter process exited (%s)%s", exitStatus(t.exitErr), t.tailNote())
	case <-timer.C:
	}
	what := "closed its stdout"
	if op == "write" {
		what = "stopped reading its stdin"
	}
	return fmt.Sprintf("adapter %s (%v) but is still running%s", what, err, t.tailNote())
}

// tailNote formats the end of stderr for an error message.
func (t *execTransport) tailNote() string {
	const max = 1024
	b := t.stderr.Bytes()
	if len(b) == 0 {
		return "; stderr is empty"
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return fmt.Sprintf("; stderr tail: %q", b)
}

func exitStatus(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit status 0"
	case errors.As(err, &ee):
		return ee.ProcessState.String()
	}
	return err.Error()
}

func (t *execTransport) shutdown(grace time.Duration) error {
	t.stdin.Close()
	var err error
	timer := time.NewTimer(grace)
	select {
	case <-t.exited:
	case <-timer.C:
		killGroup(t.cmd)
		<-t.exited
		err = fmt.Errorf("adapter: process did not exit within %v after its stdin was closed; killed", grace)
	}
	timer.Stop()
	killGroup(t.cmd) // whatever the adapter started and left behind
	t.stdout.Close()
	return err
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if len(p) > b.max {
		p = p[len(p)-b.max:]
	}
	b.buf = append(b.buf, p...)
	// Trim lazily: at most 2*max bytes are held, so trimming is amortised.
	if len(b.buf) > 2*b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	return n, nil
}

// Bytes returns a copy of the last max bytes.
func (b *tailBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf
	if len(s) > b.max {
		s = s[len(s)-b.max:]
	}
	return append([]byte(nil), s...)
}

// dialTransport opens the transport named by uri.
func dialTransport(ctx context.Context, uri string, o *options) (transport, error) {
	switch {
	case hasPrefixFold(uri, "adapter://"):
		addr, _, err := parseTCP(uri)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("adapter: connecting to %s: %w", addr, err)
		}
		return &connTransport{Conn: conn}, nil
	case hasPrefixFold(uri, "adapter-exec:"):
		argv, err := splitCommand(uri[len("adapter-exec:"):])
		if err != nil {
			return nil, badURI(uri, "%v", err)
		}
		return startExec(argv, o.env)
	}
	return nil, badURI(uri, "want adapter://HOST:PORT or adapter-exec:COMMAND ARGS")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
