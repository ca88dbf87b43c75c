package adapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// transports returns a constructor per transport, all serving testServer.
func transports(t *testing.T) map[string]func(ctx context.Context, opts ...Option) (*Client, error) {
	tcp := serveTCP(t, testServer())
	return map[string]func(ctx context.Context, opts ...Option) (*Client, error){
		"tcp": func(ctx context.Context, opts ...Option) (*Client, error) { return Dial(ctx, tcp, opts...) },
		"pipe": func(ctx context.Context, opts ...Option) (*Client, error) {
			return Pipe(ctx, testServer(), opts...)
		},
		"exec": func(ctx context.Context, opts ...Option) (*Client, error) {
			return dialExec(t, ctx, "server", opts...)
		},
	}
}

type sumResult struct {
	Sum *int `json:"sum"`
}

func (r *sumResult) Validate() error {
	if r.Sum == nil {
		return errors.New(`missing "sum"`)
	}
	return nil
}

func TestRoundTrip(t *testing.T) {
	for name, dial := range transports(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, err := dial(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer mustClose(t, c)

			h := c.Hello()
			if h.Protocol != Protocol || h.Implementation != testHello.Implementation {
				t.Errorf("hello = %+v", h)
			}
			if !c.HasRole("pinpad") || c.HasRole("issuer") || !c.HasCapability("test-clock") || c.HasCapability("load-initial-key") {
				t.Errorf("roles/capabilities wrong: %+v", h)
			}

			var sum sumResult
			if err := c.Call(ctx, "add", map[string]int{"a": 2, "b": 40}, &sum); err != nil || *sum.Sum != 42 {
				t.Fatalf("add: %v, %+v", err, sum)
			}
			var echo map[string]string
			if err := c.Call(ctx, "echo", map[string]string{"s": "é\n\"x\u2028"}, &echo); err != nil || echo["s"] != "é\n\"x\u2028" {
				t.Fatalf("echo: %v, %q", err, echo)
			}
			if err := c.Call(ctx, "echo", nil, nil); err != nil {
				t.Fatalf("echo nil: %v", err)
			}

			cases := []struct {
				method   string
				code     int
				refusal  bool
				contains string
			}{
				{"refuse", CodeDeclined, true, "card not eligible"},
				{"fail", CodeInternalError, false, "database on fire"},
				{"panic", CodeInternalError, false, "handler bug"},
				{"no.such.method", CodeMethodNotFound, false, "no.such.method"},
			}
			for _, tc := range cases {
				err := c.Call(ctx, tc.method, nil, nil)
				var e *Error
				if !errors.As(err, &e) || e.Code != tc.code {
					t.Errorf("%s: err = %v, want *Error code %d", tc.method, err, tc.code)
					continue
				}
				if IsRefusal(err) != tc.refusal {
					t.Errorf("%s: IsRefusal = %v", tc.method, !tc.refusal)
				}
				if !strings.Contains(err.Error(), tc.method) || !strings.Contains(err.Error(), tc.contains) {
					t.Errorf("%s: error %q lacks method or %q", tc.method, err, tc.contains)
				}
				if errors.Is(err, ErrBroken) || errors.Is(err, ErrProtocol) {
					t.Errorf("%s: adapter error classified as broken/protocol: %v", tc.method, err)
				}
			}
			// Invalid params reported by DecodeParams.
			err = c.Call(ctx, "add", map[string]string{"a": "x"}, &sum)
			if code, ok := ErrorCode(err); !ok || code != CodeInvalidParams {
				t.Errorf("add with bad params: %v", err)
			}
			// The connection survives all of the above.
			if err := c.Call(ctx, "add", map[string]int{"a": 1, "b": 1}, &sum); err != nil || *sum.Sum != 2 {
				t.Fatalf("add after errors: %v", err)
			}
			// Params that are not an object are rejected locally.
			if err := c.Call(ctx, "echo", []int{1}, nil); err == nil || !strings.Contains(err.Error(), "JSON object") {
				t.Errorf("array params: %v", err)
			}
			// A result that does not validate is a protocol violation but
			// leaves the connection usable.
			sum = sumResult{}
			err = c.Call(ctx, "echo", map[string]int{"other": 1}, &sum)
			if !errors.Is(err, ErrProtocol) || errors.Is(err, ErrBroken) || !strings.Contains(err.Error(), `missing "sum"`) {
				t.Errorf("invalid result: %v", err)
			}
			if err := c.Call(ctx, "echo", nil, nil); err != nil {
				t.Fatalf("echo after invalid result: %v", err)
			}
		})
	}
}

func TestHelloValidation(t *testing.T) {
	hello := func(h any) *Server {
		s := testServer()
		s.Methods["hello"] = func(context.Context, json.RawMessage) (any, error) { return h, nil }
		return s
	}
	v2 := testHello
	v2.Protocol = "paycert-adapter/2"
	noVendor := testHello
	noVendor.Implementation.Vendor = ""
	cases := []struct {
		name     string
		s        *Server
		sentinel error
		contains []string
	}{
		{"version mismatch", hello(v2), ErrVersionMismatch, []string{`"paycert-adapter/2"`, `"paycert-adapter/1"`, "mismatch"}},
		{"missing roles", hello(map[string]any{"protocol": Protocol, "capabilities": []string{}, "implementation": testHello.Implementation}), ErrProtocol, []string{`"roles"`}},
		{"empty vendor", hello(noVendor), ErrProtocol, []string{"implementation.vendor"}},
		{"not an object", hello("hi"), ErrProtocol, []string{"hello", "string"}},
		{"hello refused", &Server{Methods: map[string]Handler{"hello": func(context.Context, json.RawMessage) (any, error) {
			return nil, Errorf(CodeInvalidRequest, "go away")
		}}}, nil, []string{"go away"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Pipe(context.Background(), tc.s)
			if err == nil {
				c.Close()
				t.Fatal("Pipe succeeded")
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("err = %v, want %v", err, tc.sentinel)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %q, want it to contain %q", err, s)
				}
			}
		})
	}
}

func TestDialErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		uri, contains string
		badURI        bool // a usage error (ErrBadURI), not an unreachable IUT
	}{
		{"http://example.com", "want adapter://HOST:PORT or adapter-exec:", true},
		{"adapter://", "HOST:PORT", true},
		{"adapter://h", "HOST:PORT", true},
		{"adapter://127.0.0.1", "HOST:PORT", true},
		{"adapter://127.0.0.1:99999", "not 1 to 65535", true},
		{"adapter://127.0.0.1:1/path", "no user, path", true},
		{"adapter://u@127.0.0.1:1", "no user, path", true},
		{"adapter://127.0.0.1:1?timeout=soon", "positive duration", true},
		{"adapter://127.0.0.1:1?fault=x", "unknown parameter", true},
		{"adapter-exec:", "empty command", true},
		{`adapter-exec:"unterminated`, "unterminated", true},
		{"adapter-exec:/nonexistent/paycert-adapter", "starting", false},
	}
	for _, tc := range cases {
		_, err := Dial(ctx, tc.uri)
		if err == nil || !strings.Contains(err.Error(), tc.contains) {
			t.Errorf("Dial(%q) = %v, want error containing %q", tc.uri, err, tc.contains)
		}
		if errors.Is(err, ErrBadURI) != tc.badURI {
			t.Errorf("Dial(%q) = %v: errors.Is(err, ErrBadURI) = %v, want %v", tc.uri, err, !tc.badURI, tc.badURI)
		}
	}
	// A silent hello ends within the URI's timeout.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c) // accepts, reads, never answers
		}
	}()
	start := time.Now()
	_, err = Dial(ctx, "adapter://"+l.Addr().String()+"?timeout=300ms")
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("Dial to a silent adapter = %v after %s, want a timeout within 300ms", err, time.Since(start))
	}
	// Nothing listening.
	if _, err := Dial(ctx, "adapter://127.0.0.1:1"); err == nil {
		t.Error("Dial to closed port succeeded")
	}
}

func TestSplitCommand(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"prog", []string{"prog"}},
		{"  prog  -a   b ", []string{"prog", "-a", "b"}},
		{`"/opt/my adapter/bin" --config "a b.json"`, []string{"/opt/my adapter/bin", "--config", "a b.json"}},
		{`prog "" x`, []string{"prog", "", "x"}},
		{`prog "say \"hi\"" back\slash`, []string{"prog", `say "hi"`, `back\slash`}},
		{`prog --x="a b"c`, []string{"prog", "--x=a bc"}},
		{"prog\targ", []string{"prog", "arg"}},
	}
	for _, tc := range cases {
		got, err := splitCommand(tc.in)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) || len(got) != len(tc.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "   ", `"unterminated`, `""`} {
		if _, err := splitCommand(bad); err == nil {
			t.Errorf("splitCommand(%q) succeeded", bad)
		}
	}
}

func TestTrace(t *testing.T) {
	tr := NewTranscript(3)
	c, err := Pipe(context.Background(), testServer(), WithTrace(tr.Record), WithClientInfo("paycert-test", "9.9"))
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	if err := c.Call(context.Background(), "echo", map[string]int{"n": 7}, nil); err != nil {
		t.Fatal(err)
	}
	// Wait for the (asynchronous) receive trace of the echo response.
	var entries []TraceEntry
	var dropped int
	for range 100 {
		entries, dropped = tr.Entries()
		if dropped == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if len(entries) != 3 || dropped != 1 {
		t.Fatalf("entries = %d, dropped = %d", len(entries), dropped)
	}
	last := entries[2]
	if last.Dir != TraceRecv || string(last.Line) != `{"jsonrpc":"2.0","id":2,"result":{"n":7}}` {
		t.Errorf("last entry = %s %s", last.Dir, last.Line)
	}
	if entries[1].Dir != TraceSend || string(entries[1].Line) != `{"jsonrpc":"2.0","id":2,"method":"echo","params":{"n":7}}` {
		t.Errorf("send entry = %s %s", entries[1].Dir, entries[1].Line)
	}
	if !strings.Contains(string(entries[0].Line), `"paycert-test"`) && !strings.Contains(string(entries[0].Line), `"result"`) {
		t.Errorf("first entry = %s", entries[0].Line)
	}
}

func TestClosedClient(t *testing.T) {
	c, err := Pipe(context.Background(), testServer())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	err = c.Call(context.Background(), "echo", nil, nil)
	if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "echo") {
		t.Errorf("call after Close: %v", err)
	}
	errs := c.Batch(context.Background(), []Call{{Method: "echo"}, {Method: "echo"}})
	for _, err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("batch after Close: %v", err)
		}
	}
	if err := c.Go(context.Background(), "echo", nil).Wait(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Go after Close: %v", err)
	}
}

func TestServerStopsPipe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Pipe(ctx, testServer())
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	cancel()
	// The server stops asynchronously; a call may still slip through.
	for range 100 {
		if err = c.Call(context.Background(), "echo", nil, nil); err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !errors.Is(err, ErrBroken) {
		t.Errorf("call after server stopped: %v", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	c, err := Dial(context.Background(), serveTCP(t, testServer()))
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				var sum sumResult
				if err := c.Call(context.Background(), "add", map[string]int{"a": g, "b": i}, &sum); err != nil || *sum.Sum != g+i {
					t.Errorf("add(%d,%d) = %v, %v", g, i, sum.Sum, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
