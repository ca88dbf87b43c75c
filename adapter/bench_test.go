package adapter

import (
	"context"
	"testing"
)

// benchClients returns the transports benchmarked: loopback TCP and Pipe.
func benchClients(b *testing.B) map[string]func() *Client {
	uri := serveTCP(b, testServer())
	return map[string]func() *Client{
		"tcp": func() *Client {
			c, err := Dial(context.Background(), uri)
			if err != nil {
				b.Fatal(err)
			}
			return c
		},
		"exec": func() *Client {
			c, err := dialExec(b, context.Background(), "server")
			if err != nil {
				b.Fatal(err)
			}
			return c
		},
		"pipe": func() *Client {
			c, err := Pipe(context.Background(), testServer())
			if err != nil {
				b.Fatal(err)
			}
			return c
		},
	}
}

type pinParams struct {
	KSN      string `json:"ksn"`
	PINBlock string `json:"pin_block"`
}

var benchParams = pinParams{KSN: "FFFF9876543210E00001", PINBlock: "1A2B3C4D5E6F7081"}

// BenchmarkPipelinedCalls measures round trips per second with Batch
// (chunks of 4096 calls, default window).
func BenchmarkPipelinedCalls(b *testing.B) {
	for _, name := range []string{"tcp", "pipe", "exec"} {
		b.Run(name, func(b *testing.B) {
			c := benchClients(b)[name]()
			defer c.Close()
			const chunk = 4096
			calls := make([]Call, chunk)
			results := make([]pinParams, chunk)
			for i := range calls {
				calls[i] = Call{Method: "echo", Params: benchParams, Result: &results[i]}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += chunk {
				n := min(chunk, b.N-done)
				for i, err := range c.Batch(context.Background(), calls[:n]) {
					if err != nil {
						b.Fatalf("call %d: %v", i, err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// BenchmarkPipelinedGo measures round trips per second with Go/Wait.
func BenchmarkPipelinedGo(b *testing.B) {
	for _, name := range []string{"tcp", "pipe"} {
		b.Run(name, func(b *testing.B) {
			c := benchClients(b)[name]()
			defer c.Close()
			pending := make(chan *Pending, DefaultWindow)
			b.ReportAllocs()
			b.ResetTimer()
			go func() {
				defer close(pending)
				for range b.N {
					pending <- c.Go(context.Background(), "echo", benchParams)
				}
			}()
			for p := range pending {
				var r pinParams
				if err := p.Wait(&r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// BenchmarkSequentialCall measures one call at a time.
func BenchmarkSequentialCall(b *testing.B) {
	for _, name := range []string{"tcp", "pipe"} {
		b.Run(name, func(b *testing.B) {
			c := benchClients(b)[name]()
			defer c.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				var r pinParams
				if err := c.Call(context.Background(), "echo", benchParams, &r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
