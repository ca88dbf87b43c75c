package keymgmt_test

import (
	"testing"

	"github.com/paycert/paycert/harness"
	_ "github.com/paycert/paycert/suites/keymgmt"
)

// TestKeymgmt runs the suite against $PAYCERT_PROBE (default: the
// reference PIN pad) with the ICS in $PAYCERT_ICS (default: the reference
// IUTs' own when the probe is ref:, which opts in to the exhaustive test).
// Run it with `go test ./suites/keymgmt` or `ginkgo ./suites/keymgmt`.
//
// In a test binary the reference PIN pad declares test-seek, so the
// exhaustive test walks only the last 6,885 counters here; TestWalkFull
// (not under -race or -short) and certify built with go build walk all
// 1,048,575.
func TestKeymgmt(t *testing.T) {
	harness.RunGoTest(t, "keymgmt")
}
