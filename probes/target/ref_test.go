package target_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paycert/paycert/adapter"
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

// TestFaultCatalogue checks that every reference fault has a unique name,
// names its IUT kind, suites and test cases (none when it is hostile), and that ref:?fault=NAME
// faults the IUT that owns it.
func TestFaultCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range target.Faults() {
		if seen[f.Name] {
			t.Errorf("fault name %q is used twice", f.Name)
		}
		seen[f.Name] = true
		if f.IUT == "" || len(f.Suites) == 0 || (len(f.MustFail) == 0) != f.Hostile || f.Breaks == "" {
			t.Errorf("fault %+v is incomplete", f)
		}
	}
	for _, name := range []string{"accepts-replay", "fixed-key"} {
		set, err := target.Open(context.Background(), []string{"ref:?fault=" + name})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range set.Hosts {
			found = found || strings.Contains(c.Hello().Implementation.Version, name)
		}
		set.Close()
		if !found {
			t.Errorf("ref:?fault=%s opened no host IUT with that fault", name)
		}
	}
	if _, err := target.Open(context.Background(), []string{"ref:?fault=nope"}); err == nil || !strings.Contains(err.Error(), "offline-tc") {
		t.Errorf("ref:?fault=nope: %v", err)
	}
}
