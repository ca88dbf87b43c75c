package token_test

import (
	"testing"

	"github.com/paycert/paycert/harness"
	_ "github.com/paycert/paycert/suites/token"
)

// TestToken runs the suite against $PAYCERT_PROBE (default ref:, the
// reference token service with the reference card) with the ICS in
// $PAYCERT_ICS (default: the reference IUTs' own when the probe is ref:).
// Run it with `go test ./suites/token` or `ginkgo ./suites/token`.
func TestToken(t *testing.T) {
	harness.RunGoTest(t, "token")
}
