package dukpt

import (
	"encoding/binary"
	"fmt"

	"github.com/paycert/paycert/dukpt/internal/bsdes"
)

// DeriveTDESWorkingKeys is DeriveTDESWorkingKey for many KSNs of one
// device: keys[i] is the working key for variant v of the transaction
// whose KSN is ksns[i]. It is the host-side throughput path (verifying a
// file of PIN blocks, for example): the transaction keys are derived
// together, which is faster per key than one call per KSN where the
// platform allows it (see tdesDeriveBatch). The KSNs may come in any order
// and need not share an initial KSN. If any counter is invalid, no keys are
// returned and the error names the first such KSN and its index.
func DeriveTDESWorkingKeys(ipek Key, ksns []TDESKSN, v Variant) ([]Key, error) {
	kl, kr, vm, err := tdesWorkingKeyArgs(ipek, v)
	if err != nil {
		return nil, fmt.Errorf("dukpt: derive TDES working keys: %w", err)
	}
	for i, ksn := range ksns {
		if c := ksn.Counter(); !tdesCounterOK(c) {
			return nil, fmt.Errorf("dukpt: derive TDES working keys: KSN %d (%v): %w", i, ksn, ValidTDESCounter(c))
		}
	}
	out := make([]key128, len(ksns))
	tdesDeriveBatch(out, kl, kr, ksns)
	defer clear(out)
	keys := make([]Key, len(ksns))
	if v.oneWay() {
		for i, k := range out {
			wk, err := makeTDESTransactionKey(k.hi, k.lo, ksns[i]).WorkingKey(v)
			if err != nil {
				return nil, err
			}
			keys[i] = wk
		}
		return keys, nil
	}
	// One allocation for all the key material, one per Key for its
	// accessor.
	mats := make([]keyMaterial, len(ksns))
	for i, k := range out {
		km := &mats[i]
		km.t, km.n = TDES2, 16
		binary.BigEndian.PutUint64(km.buf[:8], k.hi^vm)
		binary.BigEndian.PutUint64(km.buf[8:16], k.lo^vm)
		keys[i] = Key{func() *keyMaterial { return km }}
	}
	return keys, nil
}

// bitslicedMin is the smallest batch worth the bitsliced derivation: a
// group of 256 lanes costs about as much however few lanes are used (some
// 30 µs), against about 1.4 µs per KSN one at a time.
const bitslicedMin = 32

// tdesDeriveBatch sets out[i] to the transaction key of ksns[i] (counters
// already validated) from the IPEK (kl, kr). On amd64 with AVX2 and for
// batches of at least bitslicedMin KSNs it uses the bitsliced derivation of
// package bsdes (256 lanes at a time), otherwise tdesDerive for each KSN.
func tdesDeriveBatch(out []key128, kl, kr uint64, ksns []TDESKSN) {
	if !bsdes.Accelerated() || len(ksns) < bitslicedMin {
		for i, ksn := range ksns {
			l, r := tdesDerive(kl, kr, ksn.right64Base(), ksn.Counter())
			out[i] = key128{l, r}
		}
		return
	}
	const group = 4096 // bsdes sorts lanes by one-bit count in chunks of 4096
	var (
		dst             [group][2]uint64
		kls, krs, bases [group]uint64
		ctrs            [group]uint32
	)
	for i := range kls {
		kls[i], krs[i] = kl, kr
	}
	for start := 0; start < len(ksns); start += group {
		n := min(group, len(ksns)-start)
		for i, ksn := range ksns[start : start+n] {
			bases[i] = ksn.right64Base()
			ctrs[i] = ksn.Counter()
		}
		bsdes.DeriveTDES(dst[:n], kls[:n], krs[:n], bases[:n], ctrs[:n])
		for i := range n {
			out[start+i] = key128{dst[i][0], dst[i][1]}
		}
	}
	clear(dst[:])
	clear(kls[:])
	clear(krs[:])
}
