//go:build amd64 && !purego

package dukpt

//go:generate go run des_pair_gen.go -out des_pair_amd64.s

// desKeySchedulePair is desKeySchedulePairGo in assembly.
//
//go:noescape
func desKeySchedulePair(k uint64, s *desSchedules)

// desEncryptPair is desEncryptPairGo in assembly.
//
//go:noescape
func desEncryptPair(s *desSchedules, ip1, ip2 uint64) (y1, y2 uint64)

// tdesDeriveSteps is tdesDeriveStepsGo in assembly.
//
//go:noescape
func tdesDeriveSteps(kl, kr, ipReg, ipKr, counter uint64) (rl, rr uint64)
