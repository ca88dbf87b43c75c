package hsm_test

import (
	"testing"

	"github.com/paycert/paycert/harness"
	_ "github.com/paycert/paycert/suites/hsm"
)

// TestHSM runs the suite against $PAYCERT_PROBE (default ref:, whose
// SoftHSM2 token is provisioned for the run when SoftHSM2 is installed;
// without it the suite is skipped).
func TestHSM(t *testing.T) {
	harness.RunGoTest(t, "hsm")
}
