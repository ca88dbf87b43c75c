package target

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeTSP serves a minimal tsp adapter on a loopback port: hello, "ping"
// (answers {}), "boom" (closes the connection without answering, like a
// crashing adapter) and "stall" (never answers). It counts connections.
func fakeTSP(t *testing.T) (uri string, conns *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	conns = new(atomic.Int32)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					var req struct {
						ID     json.RawMessage `json:"id"`
						Method string          `json:"method"`
					}
					if json.Unmarshal(sc.Bytes(), &req) != nil {
						return
					}
					var result string
					switch req.Method {
					case "hello":
						result = `{"protocol":"paycert-adapter/1","roles":["tsp"],"capabilities":[],"implementation":{"vendor":"test","product":"fake tsp","version":"1"}}`
					case "ping":
						result = `{}`
					case "boom":
						return
					case "stall":
						continue
					}
					fmt.Fprintf(c, `{"jsonrpc":"2.0","id":%s,"result":%s}`+"\n", req.ID, result)
				}
			}()
		}
	}()
	return "adapter://" + l.Addr().String(), conns
}

func call(ctx context.Context, s *Set, method string) error {
	return s.Hosts["tsp"].Call(ctx, method, nil, nil)
}

func TestReconnectAfterBrokenConnection(t *testing.T) {
	ctx := context.Background()
	uri, conns := fakeTSP(t)
	s, err := Open(ctx, []string{uri})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if notes := s.Reconnect(ctx, "tsp"); len(notes) != 0 {
		t.Fatalf("healthy connection: Reconnect says %q", notes)
	}
	old := s.Hosts["tsp"]
	if err := call(ctx, s, "boom"); err == nil {
		t.Fatal("boom: no error")
	}
	if old.Err() == nil {
		t.Fatal("the connection should be broken after boom")
	}
	if notes := s.Reconnect(ctx, "pinpad"); len(notes) != 0 {
		t.Fatalf("Reconnect of another role: %q", notes)
	}
	notes := s.Reconnect(ctx, "tsp")
	if len(notes) != 1 || !strings.Contains(notes[0], "reconnected (1 of 3)") || !strings.Contains(notes[0], "no response") {
		t.Fatalf("Reconnect notes %q", notes)
	}
	if s.Hosts["tsp"] == old || conns.Load() != 2 {
		t.Fatalf("no new connection (connections: %d)", conns.Load())
	}
	if err := call(ctx, s, "ping"); err != nil {
		t.Fatalf("ping on the new connection: %v", err)
	}
	// The budget: three reconnections per host and run.
	for i := 2; i <= MaxReconnects+1; i++ {
		if err := call(ctx, s, "boom"); err == nil {
			t.Fatal("boom: no error")
		}
		notes := s.Reconnect(ctx, "tsp")
		if i <= MaxReconnects && (len(notes) != 1 || !strings.Contains(notes[0], fmt.Sprintf("reconnected (%d of 3)", i))) {
			t.Fatalf("reconnection %d: notes %q", i, notes)
		}
		if i > MaxReconnects && len(notes) != 0 {
			t.Fatalf("beyond the budget: notes %q", notes)
		}
	}
	if err := call(ctx, s, "ping"); err == nil || !strings.Contains(err.Error(), "connection unusable") {
		t.Fatalf("after the budget the connection stays broken: %v", err)
	}
}

func TestNoReconnectAfterTimeout(t *testing.T) {
	ctx := context.Background()
	uri, conns := fakeTSP(t)
	s, err := Open(ctx, []string{uri})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	err = call(cctx, s, "stall")
	cancel()
	if err == nil {
		t.Fatal("stall: no error")
	}
	if notes := s.Reconnect(ctx, "tsp"); len(notes) != 0 || conns.Load() != 1 {
		t.Fatalf("a stalled adapter must not be reconnected: notes %q, connections %d", notes, conns.Load())
	}
}
