package target_test

import (
	"context"
	"testing"
	"time"

	_ "github.com/paycert/paycert/iut/pinpad" // registers the reference PIN pad
	_ "github.com/paycert/paycert/iut/tsp"    // registers the reference token service
	"github.com/paycert/paycert/probes/adapter"
	"github.com/paycert/paycert/probes/target"
)

// TestReferenceServersOutliveOpenContext checks that the in-process
// reference IUTs keep serving after the context that opened them ends.
func TestReferenceServersOutliveOpenContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	s, err := target.Open(ctx, []string{"ref:"})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Hosts) != 2 {
		t.Fatalf("ref: opened host roles %v, want pinpad and tsp", s.Kinds())
	}
	for role, c := range s.Hosts {
		time.Sleep(10 * time.Millisecond) // let the cancellation reach the servers
		var h adapter.HelloResult
		if err := c.Call(context.Background(), "hello", map[string]any{"protocol": "paycert-adapter/1"}, &h); err != nil {
			t.Fatalf("%s after the opening context ended: %v", role, err)
		}
	}
}
