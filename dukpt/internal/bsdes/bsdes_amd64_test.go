//go:build amd64 && !purego

package bsdes

import (
	"math/rand/v2"
	"testing"
)

// TestNoAVX2Path runs DeriveTDES as on an amd64 CPU without AVX2.
func TestNoAVX2Path(t *testing.T) {
	defer func(v bool) { useAVX2 = v }(useAVX2)
	useAVX2 = false
	r := rand.New(rand.NewPCG(17, 18))
	check(t, "no AVX2", randomLanes(r, 50, func(int) uint32 { return validCounter(r, 0) }))
}
