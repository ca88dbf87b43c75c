package dukpt

import (
	"encoding/binary"
	"fmt"
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
	if ipek.Type() != TDES2 {
		return nil, fmt.Errorf("dukpt: derive TDES working keys: IPEK must be a TDES2 key, got %v: %w", ipek.Type(), ErrInvalidKey)
	}
	pos, ok := v.mask()
	if !ok {
		return nil, fmt.Errorf("dukpt: derive TDES working keys: unknown variant %v: %w", v, ErrInvalidKey)
	}
	for i, ksn := range ksns {
		if c := ksn.Counter(); !tdesCounterOK(c) {
			return nil, fmt.Errorf("dukpt: derive TDES working keys: KSN %d (%v): %w", i, ksn, ValidTDESCounter(c))
		}
	}
	kl := binary.BigEndian.Uint64(ipek.b()[:8])
	kr := binary.BigEndian.Uint64(ipek.b()[8:])
	out := make([]key128, len(ksns))
	tdesDeriveBatch(out, kl, kr, ksns)
	keys := make([]Key, len(ksns))
	vm := uint64(0xFF) << (8 * (7 - uint(pos)))
	for i, k := range out {
		if v == VariantDataRequest || v == VariantDataResponse {
			wk, err := makeTDESTransactionKey(k.hi, k.lo, ksns[i]).WorkingKey(v)
			if err != nil {
				return nil, err
			}
			keys[i] = wk
		} else {
			keys[i] = makeTDESKey(k.hi^vm, k.lo^vm)
		}
	}
	clear(out)
	return keys, nil
}

// tdesDeriveBatch sets out[i] to the transaction key of ksns[i] (counters
// already validated) from the IPEK (kl, kr).
func tdesDeriveBatch(out []key128, kl, kr uint64, ksns []TDESKSN) {
	for i, ksn := range ksns {
		l, r := tdesDerive(kl, kr, ksn.right64Base(), ksn.Counter())
		out[i] = key128{l, r}
	}
}
