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

// TestRefOnly checks that ref:?only= opens just the named reference IUTs,
// so that the reference card pairs with a vendor's token service.
func TestRefOnly(t *testing.T) {
	ctx := context.Background()
	for uri, want := range map[string]string{
		"ref:?only=card":                       "card",
		"ref:?only=tsp,pinpad":                 "pinpad tsp",
		"ref:?only=card&fault=accepts-replay":  "",
		"ref:?only=tsp&fault=accepts-replay":   "tsp",
		"ref:card":                             "",
		"ref:?only=phone":                      "",
		"ref:?onyl=card":                       "",
		"ref:?only=card,tsp&fault=luk-overuse": "card tsp",
	} {
		s, err := target.Open(ctx, []string{uri})
		if want == "" {
			if err == nil {
				s.Close()
				t.Errorf("%s: opened, want a usage error", uri)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", uri, err)
			continue
		}
		if got := strings.Join(s.Kinds(), " "); got != want {
			t.Errorf("%s opened %q, want %q", uri, got, want)
		}
		s.Close()
	}
	// ref: beside another tsp is a usage error that says how to pair them.
	srv, err := target.Open(ctx, []string{"ref:?only=tsp"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := target.Open(ctx, []string{"ref:?only=tsp", "ref:"}); err == nil || !strings.Contains(err.Error(), "ref:?only=card") {
		t.Errorf("two tsp probes: %v", err)
	}
}
