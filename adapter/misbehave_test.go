package adapter

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

type requiredResult struct {
	Value string `json:"value"`
}

func (*requiredResult) RequiredFields() []string { return []string{"value"} }

// misbehaviours drive rawAdapter: each method makes it break the protocol
// in one way. broken says whether the connection must be unusable after.
var misbehaviours = []struct {
	method   string
	result   any
	timeout  time.Duration
	sentinel []error
	broken   bool
	contains []string
}{
	{method: "bad.malformed", sentinel: []error{ErrProtocol}, broken: true, contains: []string{"malformed JSON"}},
	{method: "bad.wrongid", sentinel: []error{ErrProtocol}, broken: true, contains: []string{"response id 100", "does not match request id"}},
	{method: "bad.both", sentinel: []error{ErrProtocol}, broken: true, contains: []string{`both "result" and "error"`}},
	{method: "bad.neither", sentinel: []error{ErrProtocol}, broken: true, contains: []string{`neither "result" nor "error"`}},
	{method: "bad.version", sentinel: []error{ErrProtocol}, broken: true, contains: []string{`"jsonrpc" is "1.0"`}},
	{method: "bad.errorcode", sentinel: []error{ErrProtocol}, broken: true, contains: []string{`"error.code"`, "integer"}},
	{method: "bad.utf8", sentinel: []error{ErrProtocol}, broken: true, contains: []string{"UTF-8"}},
	{method: "bad.toolong", sentinel: []error{ErrProtocol}, broken: true, contains: []string{"1 MiB", "1048576"}},
	{method: "bad.missingfield", result: &requiredResult{}, sentinel: []error{ErrProtocol}, contains: []string{`missing required member "value"`}},
	{method: "bad.stall", timeout: 300 * time.Millisecond, sentinel: []error{context.DeadlineExceeded}, broken: true, contains: []string{"no response: timed out after", "deadline exceeded"}},
	{method: "no.such.method", contains: []string{"method not found", "-32601"}},
}

func TestMisbehaviourExec(t *testing.T) {
	for _, tc := range misbehaviours {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			c, err := dialExec(t, context.Background(), "raw")
			if err != nil {
				t.Fatal(err)
			}
			defer mustClose(t, c)
			checkMisbehaviour(t, c, tc.method, tc.result, tc.timeout, tc.sentinel, tc.broken, tc.contains)
		})
	}
}

func TestMisbehaviourTCP(t *testing.T) {
	uri := serveRawTCP(t)
	for _, tc := range misbehaviours {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			c, err := Dial(context.Background(), uri)
			if err != nil {
				t.Fatal(err)
			}
			defer mustClose(t, c)
			checkMisbehaviour(t, c, tc.method, tc.result, tc.timeout, tc.sentinel, tc.broken, tc.contains)
		})
	}
}

func checkMisbehaviour(t *testing.T, c *Client, method string, result any, timeout time.Duration, sentinels []error, broken bool, contains []string) {
	t.Helper()
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// A good call first, so that ids are not trivially 1.
	if err := c.Call(context.Background(), "echo", nil, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := c.Call(ctx, method, nil, result)
	if err == nil {
		t.Fatal("call succeeded")
	}
	if timeout > 0 && time.Since(start) > timeout+2*time.Second {
		t.Errorf("timed out after %v, deadline was %v", time.Since(start), timeout)
	}
	if !strings.Contains(err.Error(), method) {
		t.Errorf("error %q does not name the method", err)
	}
	for _, s := range contains {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
	for _, s := range sentinels {
		if !errors.Is(err, s) {
			t.Errorf("error %q is not %v", err, s)
		}
	}
	if errors.Is(err, ErrBroken) != broken {
		t.Errorf("errors.Is(%q, ErrBroken) = %v, want %v", err, !broken, broken)
	}
	// Afterwards the connection either works or fails fast.
	start = time.Now()
	err2 := c.Call(context.Background(), "echo", nil, nil)
	if broken {
		if !errors.Is(err2, ErrBroken) || !strings.Contains(err2.Error(), "earlier failure") {
			t.Errorf("call after failure: %v, want fast ErrBroken", err2)
		}
		if time.Since(start) > time.Second {
			t.Errorf("call after failure took %v", time.Since(start))
		}
	} else if err2 != nil {
		t.Errorf("call after non-fatal error: %v", err2)
	}
}

func TestExecExitMidCall(t *testing.T) {
	c, err := dialExec(t, context.Background(), "raw")
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	err = c.Call(context.Background(), "bad.die", nil, nil)
	for _, s := range []string{"bad.die", "exit status 3", "simulated crash in the IUT"} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("error %v does not contain %q", err, s)
		}
	}
	if !errors.Is(err, ErrBroken) {
		t.Errorf("error %v is not ErrBroken", err)
	}
	if !strings.Contains(string(c.Stderr()), "simulated crash") {
		t.Errorf("Stderr() = %q", c.Stderr())
	}
	// Writing to the dead adapter fails fast with the same story.
	err = c.Call(context.Background(), "echo", nil, nil)
	if !errors.Is(err, ErrBroken) || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("call after exit: %v", err)
	}
}

func TestExecPartialLineThenExit(t *testing.T) {
	c, err := dialExec(t, context.Background(), "raw")
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	err = c.Call(context.Background(), "bad.partial", nil, nil)
	if !errors.Is(err, ErrBroken) || !strings.Contains(err.Error(), "exit status 0") {
		t.Errorf("err = %v", err)
	}
}

func TestDefaultCallTimeout(t *testing.T) {
	for name, uri := range map[string]string{"tcp": serveRawTCP(t), "exec": ""} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts := []Option{WithCallTimeout(200 * time.Millisecond)}
			dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // for hello only
			defer cancel()
			var c *Client
			var err error
			if uri == "" {
				c, err = dialExec(t, dctx, "raw", opts...)
			} else {
				c, err = Dial(dctx, uri, opts...)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer mustClose(t, c)
			err = c.Call(context.Background(), "bad.stall", nil, nil)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "bad.stall: no response: timed out after 200ms") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestCancelAbandonsCall(t *testing.T) {
	c, err := dialExec(t, context.Background(), "raw")
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err = c.Call(ctx, "bad.stall", nil, nil)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrBroken) || !strings.Contains(err.Error(), "bad.stall: call abandoned") {
		t.Errorf("err = %v", err)
	}
	// A context that is already done does not send anything.
	err = c.Call(ctx, "echo", nil, nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "not sent") {
		t.Errorf("err = %v", err)
	}
}

// An adapter that stops reading its input: the write side times out.
func TestWriteStall(t *testing.T) {
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // for hello only
	defer cancel()
	c, err := dialExec(t, dctx, "raw", WithCallTimeout(300*time.Millisecond), WithCloseTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Errorf("Close = %v, want a kill report", err)
		}
	}()
	big := map[string]string{"pad": strings.Repeat("x", 32<<10)}
	calls := []Call{{Method: "bad.deaf"}}
	for range 64 { // 2 MiB: far more than the pipe buffers hold
		calls = append(calls, Call{Method: "echo", Params: big})
	}
	start := time.Now()
	errs := c.Batch(context.Background(), calls)
	if time.Since(start) > 3*time.Second {
		t.Errorf("Batch took %v", time.Since(start))
	}
	for i, err := range errs {
		if !errors.Is(err, ErrBroken) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if !errors.Is(errs[0], context.DeadlineExceeded) || !strings.Contains(errs[0].Error(), "bad.deaf") {
		t.Errorf("first error: %v", errs[0])
	}
}

func TestExecCloseKillsDeafAdapter(t *testing.T) {
	c, err := dialExec(t, context.Background(), "deaf", WithCloseTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	et := c.t.(*execTransport)
	err = c.Close()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Close = %v, want a kill report", err)
	}
	select {
	case <-et.exited: // reaped: no zombie
	default:
		t.Error("process not reaped after Close")
	}
	if !et.cmd.ProcessState.Exited() && et.cmd.ProcessState.String() != "signal: killed" {
		t.Errorf("process state %v", et.cmd.ProcessState)
	}
}

func TestExecHelloFailures(t *testing.T) {
	cases := []struct {
		variant  string
		sentinel error
		contains string
	}{
		{"v2", ErrVersionMismatch, `adapter implements "paycert-adapter/2"`},
		{"noroles", ErrProtocol, `missing required member "roles"`},
		{"error", nil, "method not found"},
	}
	for _, tc := range cases {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel()
			_, err := dialExec(t, context.Background(), "raw", WithEnv(testHelloEnv+"="+tc.variant))
			if err == nil || !strings.Contains(err.Error(), tc.contains) || !strings.Contains(err.Error(), "hello") {
				t.Fatalf("err = %v, want it to contain %q", err, tc.contains)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("err = %v, want %v", err, tc.sentinel)
			}
		})
	}
}

func TestUnsolicitedResponse(t *testing.T) {
	for name, uri := range map[string]string{"tcp": serveRawTCP(t), "exec": ""} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var c *Client
			var err error
			if uri == "" {
				c, err = dialExec(t, context.Background(), "raw")
			} else {
				c, err = Dial(context.Background(), uri)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer mustClose(t, c)
			// The first of the two responses answers the call.
			if err := c.Call(context.Background(), "bad.unsolicited", nil, nil); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond) // let the reader see the extra line
			err = c.Call(context.Background(), "echo", nil, nil)
			if !errors.Is(err, ErrProtocol) || !errors.Is(err, ErrBroken) || !strings.Contains(err.Error(), "no request was outstanding") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestTCPCloseMidCall(t *testing.T) {
	c, err := Dial(context.Background(), serveRawTCP(t))
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	err = c.Call(context.Background(), "bad.die", nil, nil)
	if !errors.Is(err, ErrBroken) || !strings.Contains(err.Error(), "bad.die: no response: adapter closed the connection") {
		t.Errorf("err = %v", err)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		ctx := context.Background()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sctx, stop := context.WithCancel(ctx)
		served := make(chan error, 1)
		go func() { served <- testServer().Serve(sctx, l) }()
		defer func() { stop(); <-served }()
		var clients []*Client
		for _, dial := range []func() (*Client, error){
			func() (*Client, error) { return Pipe(ctx, testServer()) },
			func() (*Client, error) { return Dial(ctx, "adapter://"+l.Addr().String()) },
			func() (*Client, error) { return dialExec(t, ctx, "server") },
			func() (*Client, error) { return dialExec(t, ctx, "raw") },
		} {
			c, err := dial()
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
		for _, c := range clients {
			c.Batch(ctx, []Call{{Method: "echo"}, {Method: "nope"}})
			c.Go(ctx, "echo", nil).Wait(nil)
		}
		// One broken by a timeout, one by an exit.
		tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		clients[3].Call(tctx, "bad.stall", nil, nil)
		for _, c := range clients {
			c.Close()
		}
	}()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
