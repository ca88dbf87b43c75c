package emv_test

import (
	"os"
	"strings"
	"testing"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
	_ "github.com/paycert/paycert/probes/ref"
	"github.com/paycert/paycert/suites/emv"
)

// TestEMV runs the suite against $PAYCERT_PROBE (default: the reference
// card) with the ICS in $PAYCERT_ICS (default: the reference card's own when
// the probe is ref:). Run it with `go test ./suites/emv` or `ginkgo
// ./suites/emv`.
func TestEMV(t *testing.T) {
	harness.RunGoTest(t, "emv", func(t *testing.T, s *harness.Session) {
		switch path := os.Getenv("PAYCERT_ICS"); {
		case path != "":
			c, err := ics.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			s.Config[emv.ConfigICS] = c
		case strings.HasPrefix(s.ProbeURI(), "ref:"):
			s.Config[emv.ConfigICS] = ics.Default()
		}
	})
}
