package bsdes

import (
	"testing"

	"github.com/paycert/paycert/dukpt/internal/gentest"
)

// TestGenerated re-runs the generator and compares its output with the
// committed bsdes_amd64.s.
func TestGenerated(t *testing.T) { gentest.Check(t, "gen.go", "bsdes_amd64.s") }
