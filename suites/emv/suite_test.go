package emv_test

import (
	"testing"

	"github.com/paycert/paycert/harness"
	_ "github.com/paycert/paycert/suites/emv"
)

// TestEMV runs the suite against $PAYCERT_PROBE (default: the reference
// card) with the ICS in $PAYCERT_ICS (default: the reference card's own when
// the probe is ref:). Run it with `go test ./suites/emv` or `ginkgo
// ./suites/emv`.
func TestEMV(t *testing.T) {
	harness.RunGoTest(t, "emv")
}
