package adapter

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

type seqParams struct {
	I int `json:"i"`
}

type seqResult struct {
	I *int `json:"i"`
}

func (r *seqResult) Validate() error {
	if r.I == nil {
		return errors.New(`missing "i"`)
	}
	return nil
}

func TestBatchOrdering(t *testing.T) {
	const n = 10000
	cases := map[string]func(t *testing.T) (*Client, error){
		"tcp":  func(t *testing.T) (*Client, error) { return Dial(context.Background(), serveTCP(t, testServer())) },
		"pipe": func(t *testing.T) (*Client, error) { return Pipe(context.Background(), testServer()) },
		"exec": func(t *testing.T) (*Client, error) { return dialExec(t, context.Background(), "server") },
		"tcp-window-1": func(t *testing.T) (*Client, error) {
			return Dial(context.Background(), serveTCP(t, testServer()), WithWindow(1))
		},
	}
	for name, dial := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := dial(t)
			if err != nil {
				t.Fatal(err)
			}
			defer mustClose(t, c)
			count := n // the full 10,000 over TCP; fewer elsewhere to keep -race fast
			switch name {
			case "pipe", "exec":
				count = 2000
			case "tcp-window-1":
				count = 500
			}
			calls := make([]Call, count)
			results := make([]seqResult, count)
			for i := range calls {
				calls[i] = Call{Method: "echo", Params: seqParams{I: i}, Result: &results[i]}
			}
			for i, err := range c.Batch(context.Background(), calls) {
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if *results[i].I != i {
					t.Fatalf("call %d got result %d", i, *results[i].I)
				}
			}
		})
	}
}

func TestGoOrdering(t *testing.T) {
	const n = 10000
	c, err := Dial(context.Background(), serveTCP(t, testServer()), WithWindow(64))
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	pending := make(chan *Pending, 128)
	go func() {
		defer close(pending)
		for i := range n {
			pending <- c.Go(context.Background(), "echo", seqParams{I: i})
		}
	}()
	i := 0
	for p := range pending {
		var r seqResult
		if err := p.Wait(&r); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if *r.I != i {
			t.Fatalf("call %d got %d", i, *r.I)
		}
		i++
	}
	if i != n {
		t.Fatalf("got %d results", i)
	}
}

func TestBatchMixedOutcomes(t *testing.T) {
	c, err := Pipe(context.Background(), testServer(), WithWindow(4))
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	var sums [3]sumResult
	calls := []Call{
		{Method: "add", Params: map[string]int{"a": 1, "b": 2}, Result: &sums[0]},
		{Method: "refuse"},
		{Method: "nope"},
		{Method: "add", Params: map[string]int{"a": 3}, Result: &sums[1]},
		{Method: "echo", Params: 42},
		{Method: "echo", Params: map[string]int{}, Result: &sums[2]},
		{Method: "add", Params: map[string]int{"a": 5, "b": 5}, Result: &sums[0]},
	}
	errs := c.Batch(context.Background(), calls)
	if errs[0] != nil || errs[3] != nil || errs[6] != nil || *sums[1].Sum != 3 || *sums[0].Sum != 10 {
		t.Errorf("successful calls: %v", errs)
	}
	if !IsRefusal(errs[1]) {
		t.Errorf("refuse: %v", errs[1])
	}
	if code, _ := ErrorCode(errs[2]); code != CodeMethodNotFound {
		t.Errorf("nope: %v", errs[2])
	}
	if errs[4] == nil || !strings.Contains(errs[4].Error(), "JSON object") {
		t.Errorf("scalar params: %v", errs[4])
	}
	if !errors.Is(errs[5], ErrProtocol) {
		t.Errorf("invalid result: %v", errs[5])
	}
	if len(c.Batch(context.Background(), nil)) != 0 {
		t.Error("empty batch")
	}
}

func TestBatchStallBreaks(t *testing.T) {
	c, err := dialExec(t, context.Background(), "raw")
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	calls := []Call{{Method: "echo"}, {Method: "bad.stall"}}
	for range 1000 {
		calls = append(calls, Call{Method: "echo"})
	}
	errs := c.Batch(ctx, calls)
	if errs[0] != nil {
		t.Errorf("first call: %v", errs[0])
	}
	if !errors.Is(errs[1], context.DeadlineExceeded) || !strings.Contains(errs[1].Error(), "bad.stall") {
		t.Errorf("stalled call: %v", errs[1])
	}
	for i, err := range errs[2:] {
		if !errors.Is(err, ErrBroken) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call %d: %v", i+2, err)
		}
	}
}

func TestGoWindowBlocksOnContext(t *testing.T) {
	c, err := dialExec(t, context.Background(), "raw", WithWindow(2))
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	p1 := c.Go(context.Background(), "bad.stall", nil)
	p2 := c.Go(context.Background(), "echo", nil)
	p3 := c.Go(ctx, "echo", nil) // window full: gives up with ctx
	if err := p3.Wait(nil); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not sent") {
		t.Errorf("p3: %v", err)
	}
	c.Close()
	if err := p1.Wait(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("p1: %v", err)
	}
	if err := p2.Wait(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("p2: %v", err)
	}
}

// Concurrent users of Batch, Go and Call share one connection.
func TestMixedConcurrentPipelining(t *testing.T) {
	c, err := Dial(context.Background(), serveTCP(t, testServer()), WithWindow(32))
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, c)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			calls := make([]Call, 1000)
			res := make([]seqResult, len(calls))
			for i := range calls {
				calls[i] = Call{Method: "echo", Params: seqParams{I: g*10000 + i}, Result: &res[i]}
			}
			for i, err := range c.Batch(context.Background(), calls) {
				if err != nil || *res[i].I != g*10000+i {
					t.Errorf("batch %d call %d: %v", g, i, err)
					return
				}
			}
		})
		wg.Go(func() {
			for i := range 300 {
				var r json.RawMessage
				if err := c.Go(context.Background(), "echo", seqParams{I: i}).Wait(&r); err != nil {
					t.Errorf("go: %v", err)
					return
				}
				var sr seqResult
				if err := c.Call(context.Background(), "echo", seqParams{I: -i}, &sr); err != nil || *sr.I != -i {
					t.Errorf("call: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
