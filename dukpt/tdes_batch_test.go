package dukpt

import (
	"errors"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestDeriveTDESWorkingKeys checks the batch derivation against
// DeriveTDESWorkingKey for every variant, on KSNs in random order with
// random initial KSNs, including the X9.24-1 PIN key of counter 1, and the
// error for an invalid counter.
func TestDeriveTDESWorkingKeys(t *testing.T) {
	ipek := mustKey(t, TDES2, testIPEK)
	iksn := mustTDESKSN(t, testIKSN)
	rng := rand.New(rand.NewPCG(13, 14))
	n := 1000
	if testing.Short() {
		n = 300
	}
	ksn1, _ := iksn.WithCounter(1)
	last, _ := iksn.WithCounter(TDESLastCounter)
	ksns := []TDESKSN{ksn1, last}
	for len(ksns) < n {
		c := rng.Uint32N(TDESCounterMask) + 1
		if bits.OnesCount32(c) > TDESMaxOneBits {
			continue
		}
		k := iksn
		if rng.IntN(4) == 0 {
			for i := range 8 {
				k[i] = byte(rng.Uint32())
			}
		}
		k, _ = k.WithCounter(c)
		ksns = append(ksns, k)
	}
	for _, v := range []Variant{VariantPIN, VariantMACRequest, VariantMACResponse, VariantDataRequest, VariantDataResponse} {
		keys, err := DeriveTDESWorkingKeys(ipek, ksns, v)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != len(ksns) {
			t.Fatalf("%d keys for %d KSNs", len(keys), len(ksns))
		}
		for i, ksn := range ksns {
			want, err := DeriveTDESWorkingKey(ipek, ksn, v)
			if err != nil {
				t.Fatal(err)
			}
			if !keys[i].Equal(want) {
				t.Fatalf("variant %v KSN %d (%v): batch %v, single %v", v, i, ksn, keys[i], want)
			}
		}
		if v == VariantPIN && keyHex(keys[0]) != "042666B49184CF5C68DE9628D0397B36" {
			t.Fatalf("PIN key for %v = %s", ksn1, keyHex(keys[0]))
		}
	}
	for _, m := range []int{0, 1, 255, 256, 257} {
		if m > len(ksns) {
			continue
		}
		keys, err := DeriveTDESWorkingKeys(ipek, ksns[:m], VariantPIN)
		if err != nil || len(keys) != m {
			t.Fatalf("%d KSNs: %d keys, %v", m, len(keys), err)
		}
	}
	bad := append([]TDESKSN(nil), ksns[:5]...)
	bad[3], _ = iksn.WithCounter(0)
	if _, err := DeriveTDESWorkingKeys(ipek, bad, VariantPIN); !errors.Is(err, ErrInvalidCounter) {
		t.Fatalf("counter 0 in the batch: err = %v, want ErrInvalidCounter", err)
	}
}

// BenchmarkTDESPINKeyDeriveBatch is BenchmarkTDESPINKeyDerive through
// DeriveTDESWorkingKeys, 4096 KSNs per call.
func BenchmarkTDESPINKeyDeriveBatch(b *testing.B) {
	ipek := mustKey(b, TDES2, testIPEK)
	ksns := benchKSNs(b)[:4096]
	for b.Loop() {
		if _, err := DeriveTDESWorkingKeys(ipek, ksns, VariantPIN); err != nil {
			b.Fatal(err)
		}
	}
	reportKeysPerSecond(b, len(ksns))
}
