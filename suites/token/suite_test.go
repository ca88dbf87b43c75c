package token_test

import (
	"os"
	"strings"
	"testing"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
	_ "github.com/paycert/paycert/probes/ref"
	"github.com/paycert/paycert/suites/token"
)

// TestToken runs the suite against $PAYCERT_PROBE (default ref:, the
// reference token service with the reference card) with the ICS in
// $PAYCERT_ICS (default: the reference IUTs' own when the probe is ref:).
// Run it with `go test ./suites/token` or `ginkgo ./suites/token`.
func TestToken(t *testing.T) {
	harness.RunGoTest(t, "token", func(t *testing.T, s *harness.Session) {
		switch path := os.Getenv("PAYCERT_ICS"); {
		case path != "":
			c, err := ics.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			s.Config[token.ConfigICS] = c
		case strings.HasPrefix(s.ProbeURI(), "ref:"):
			s.Config[token.ConfigICS] = ics.Default()
		}
	})
}
