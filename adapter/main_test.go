package adapter

import (
	"go.uber.org/goleak"

	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as the adapter program for adapter-exec tests:
// with testModeEnv set it serves over stdio instead of running tests.
const (
	testModeEnv  = "PAYCERT_ADAPTER_TEST_MODE"
	testHelloEnv = "PAYCERT_ADAPTER_TEST_HELLO"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(testModeEnv); mode != "" {
		os.Exit(runTestAdapter(mode))
	}
	// No test may leave a goroutine behind: a client's reader, a server's
	// connection or an exec'd adapter's waiter.
	goleak.VerifyTestMain(m)
}

func runTestAdapter(mode string) int {
	switch mode {
	case "server":
		if err := testServer().ServeStdio(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			return 1
		}
		return 0
	case "raw":
		rawAdapter(os.Stdin, os.Stdout, os.Stderr, os.Getenv(testHelloEnv), func(code int) {
			os.Exit(code)
		})
		return 0
	case "deaf":
		// Answers hello, then ignores the end of its input: Close must kill it.
		rawAdapter(os.Stdin, os.Stdout, os.Stderr, "", func(int) {})
		time.Sleep(time.Hour)
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown test mode", mode)
	return 2
}

var testHello = HelloResult{
	Protocol:       Protocol,
	Roles:          []string{"tsp", "pinpad"},
	Capabilities:   []string{"test-clock"},
	Implementation: Implementation{Vendor: "paycert", Product: "test adapter", Version: "0.0.1"},
}

// testServer is a well-behaved adapter built on Server.
func testServer() *Server {
	return &Server{
		Hello: testHello,
		Methods: map[string]Handler{
			"echo": func(_ context.Context, p json.RawMessage) (any, error) {
				return p, nil
			},
			"add": func(_ context.Context, p json.RawMessage) (any, error) {
				var in struct{ A, B int }
				if err := DecodeParams(p, &in); err != nil {
					return nil, err
				}
				return map[string]int{"sum": in.A + in.B}, nil
			},
			"refuse": func(context.Context, json.RawMessage) (any, error) {
				return nil, fmt.Errorf("checking: %w", Errorf(CodeDeclined, "card not eligible"))
			},
			"fail": func(context.Context, json.RawMessage) (any, error) {
				return nil, errors.New("database on fire")
			},
			"panic": func(context.Context, json.RawMessage) (any, error) {
				panic("handler bug")
			},
			"sleep": func(ctx context.Context, p json.RawMessage) (any, error) {
				var in struct{ MS int }
				if err := DecodeParams(p, &in); err != nil {
					return nil, err
				}
				select {
				case <-time.After(time.Duration(in.MS) * time.Millisecond):
				case <-ctx.Done():
				}
				return struct{}{}, nil
			},
		},
	}
}

// rawAdapter is a hand-written adapter whose misbehaviour is selected by the
// method name, so that one program covers every case. helloVariant alters
// the hello result. exit ends the program.
func rawAdapter(r io.Reader, w, stderr io.Writer, helloVariant string, exit func(int)) {
	br := bufio.NewReader(r)
	bw := bufio.NewWriter(w)
	reply := func(format string, args ...any) {
		fmt.Fprintf(bw, format, args...)
		bw.WriteByte('\n')
		bw.Flush()
	}
	stalled := false
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		if stalled {
			continue
		}
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(line, &req); err != nil {
			reply(`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`)
			continue
		}
		id := string(req.ID)
		switch req.Method {
		case "hello":
			var h any = testHello
			switch helloVariant {
			case "v2":
				h2 := testHello
				h2.Protocol = "paycert-adapter/2"
				h = h2
			case "noroles":
				h = map[string]any{"protocol": Protocol, "capabilities": []string{}, "implementation": testHello.Implementation}
			case "error":
				reply(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no such method"}}`, id)
				continue
			}
			b, _ := json.Marshal(h)
			reply(`{"jsonrpc":"2.0","id":%s,"result":%s}`, id, b)
		case "echo":
			reply(`{"jsonrpc":"2.0","id":%s,"result":%s}`, id, req.Params)
		case "bad.malformed":
			reply(`{"jsonrpc":"2.0","id":%s,"result":{"x":`, id)
		case "bad.wrongid":
			n, _ := strconv.Atoi(id)
			reply(`{"jsonrpc":"2.0","id":%d,"result":{}}`, n+1000)
		case "bad.both":
			reply(`{"jsonrpc":"2.0","id":%s,"result":{},"error":{"code":1,"message":"x"}}`, id)
		case "bad.neither":
			reply(`{"jsonrpc":"2.0","id":%s}`, id)
		case "bad.version":
			reply(`{"jsonrpc":"1.0","id":%s,"result":{}}`, id)
		case "bad.errorcode":
			reply(`{"jsonrpc":"2.0","id":%s,"error":{"code":"1001","message":"x"}}`, id)
		case "bad.utf8":
			reply("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":\"\xff\"}", id)
		case "bad.missingfield":
			reply(`{"jsonrpc":"2.0","id":%s,"result":{"other":1}}`, id)
		case "bad.toolong":
			reply(`{"jsonrpc":"2.0","id":%s,"result":"%s"}`, id, strings.Repeat("a", MaxLineSize))
		case "bad.unsolicited":
			reply(`{"jsonrpc":"2.0","id":%s,"result":{}}`, id)
			reply(`{"jsonrpc":"2.0","id":%s,"result":{}}`, id)
		case "bad.die":
			fmt.Fprintln(stderr, "fatal: simulated crash in the IUT")
			bw.Flush()
			exit(3)
			return
		case "bad.partial":
			fmt.Fprintf(bw, `{"jsonrpc":"2.0","id":%s,"res`, id)
			bw.Flush()
			exit(0)
			return
		case "bad.stall":
			// Never answer again, but keep reading so that EOF ends the program.
			stalled = true
		case "bad.deaf":
			// Never answer and stop reading.
			time.Sleep(time.Hour)
		default:
			reply(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"method not found"}}`, id)
		}
	}
}

// listen starts serve on a loopback listener and returns adapter://ADDR.
func listen(t testing.TB, serve func(ctx context.Context, l net.Listener)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(ctx, l)
	}()
	t.Cleanup(func() {
		cancel()
		l.Close()
		<-done
	})
	return "adapter://" + l.Addr().String()
}

// serveTCP serves s on a loopback listener and returns its URI.
func serveTCP(t testing.TB, s *Server) string {
	return listen(t, func(ctx context.Context, l net.Listener) { s.Serve(ctx, l) })
}

// serveRawTCP serves rawAdapter on a loopback listener.
func serveRawTCP(t testing.TB) string {
	return listen(t, func(ctx context.Context, l net.Listener) {
		context.AfterFunc(ctx, func() { l.Close() })
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				context.AfterFunc(ctx, func() { conn.Close() })
				rawAdapter(conn, conn, io.Discard, "", func(int) { conn.Close() })
			}()
		}
	})
}

// execURI is the URI that runs this test binary as an adapter.
func execURI(t testing.TB) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return `adapter-exec:"` + strings.ReplaceAll(exe, `"`, `\"`) + `" -test.run=^$`
}

// dialExec starts this binary as an adapter in mode.
func dialExec(t testing.TB, ctx context.Context, mode string, opts ...Option) (*Client, error) {
	t.Helper()
	// A race-enabled child otherwise sleeps 1s at exit (GORACE atexit_sleep_ms).
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	opts = append([]Option{WithEnv(testModeEnv+"="+mode, "GORACE="+gorace)}, opts...)
	return Dial(ctx, execURI(t), opts...)
}

func mustClose(t testing.TB, c *Client) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
