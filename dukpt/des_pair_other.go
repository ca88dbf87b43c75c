//go:build !amd64 || purego

package dukpt

func desKeySchedulePair(k uint64, s *desSchedules) { desKeySchedulePairGo(k, s) }

func desEncryptPair(s *desSchedules, ip1, ip2 uint64) (y1, y2 uint64) {
	return desEncryptPairGo(s, ip1, ip2)
}

func tdesDeriveSteps(kl, kr, ipReg, ipKr, counter uint64) (rl, rr uint64) {
	return tdesDeriveStepsGo(kl, kr, ipReg, ipKr, counter)
}
