package harness

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/probes/target"
)

// RunGoTest runs one suite under `go test` or the ginkgo CLI. The probes
// come from $PAYCERT_PROBE (space-separated URIs, default "ref:": every
// reference IUT linked into the test binary), the seed from
// $PAYCERT_SEED (default the time), and the reports go to
// $PAYCERT_REPORT_DIR (default a temporary directory). Ginkgo's own flags
// (--ginkgo.label-filter, --ginkgo.v, ...) apply on top of the suite
// selection. The ICS comes from the file $PAYCERT_ICS; without it the
// reference IUTs' own (ics.Profile of the ref: probe's profile, ics.Default
// without one) when the probe is ref:, none otherwise.
func RunGoTest(t *testing.T, suite string) {
	t.Helper()
	uri := os.Getenv("PAYCERT_PROBE")
	if uri == "" {
		uri = "ref:"
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv("PAYCERT_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatalf("PAYCERT_SEED=%q: %v", v, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	set, err := target.Open(ctx, strings.Fields(uri))
	if err != nil {
		t.Fatalf("probe %s: %v", uri, err)
	}
	defer set.Close()
	s := NewSession(uri, set.Card, seed)
	maps.Copy(s.Hosts, set.Hosts)
	s.HSM, s.Notes = set.HSM, set.Notes
	s.Refresh = RefreshFrom(s, set)
	if path := os.Getenv("PAYCERT_ICS"); path != "" {
		if s.ICS, err = ics.Load(path); err != nil {
			t.Fatal(err)
		}
	} else if strings.HasPrefix(uri, "ref:") && !strings.Contains(uri, " ") {
		profile := ""
		if u, err := url.Parse(uri); err == nil {
			profile = u.Query().Get("profile")
		}
		if s.ICS, err = ics.Profile(profile); err != nil {
			t.Fatal(err)
		}
	}
	set.AmendICS(s.ICS)
	sc, rc := ginkgo.GinkgoConfiguration()
	extra := sc.LabelFilter
	dir := os.Getenv("PAYCERT_REPORT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	rep, err := execute(t, s, Config{Suites: []string{suite}, LabelFilter: extra, OutDir: dir, ToolVersion: "go-test"}, sc, rc, time.Now())
	if errors.Is(err, ErrNoIUT) {
		t.Skipf("probe %s: %v", uri, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seed %d: %d passed, %d failed, %d errors, %d not applicable; reports in %s",
		seed, rep.Summary.Pass, rep.Summary.Fail, rep.Summary.Error, rep.Summary.NotApplicable, dir)
}

// RefreshFrom returns a Refresh for session s that reconnects the set's
// broken host IUT connections (target.Set.Reconnect) and updates s.Hosts.
func RefreshFrom(s *Session, set *target.Set) func(ctx context.Context, kind string) []string {
	return func(ctx context.Context, kind string) []string {
		if kind == "card" || kind == "hsm" {
			return nil
		}
		notes := set.Reconnect(ctx, kind)
		maps.Copy(s.Hosts, set.Hosts)
		return notes
	}
}
