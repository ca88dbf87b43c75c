package dukpt

import (
	"errors"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestDeriveTDESWorkingKey checks the one-call host derivation against the
// two-step one (DeriveTDESTransactionKey, then WorkingKey) for every variant
// on random valid counters, the X9.24-1 PIN key of counter 1, and the
// errors.
func TestDeriveTDESWorkingKey(t *testing.T) {
	ipek := mustKey(t, TDES2, testIPEK)
	iksn := mustTDESKSN(t, testIKSN)
	ksn1, _ := iksn.WithCounter(1)
	pin, err := DeriveTDESWorkingKey(ipek, ksn1, VariantPIN)
	if err != nil {
		t.Fatal(err)
	}
	if got := keyHex(pin); got != "042666B49184CF5C68DE9628D0397B36" {
		t.Fatalf("PIN key for %v = %s, want the X9.24-1 value 042666B49184CF5C68DE9628D0397B36", ksn1, got)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	variants := []Variant{VariantPIN, VariantMACRequest, VariantMACResponse, VariantDataRequest, VariantDataResponse}
	for i := 0; i < 300; i++ {
		c := rng.Uint32N(TDESCounterMask) + 1
		if bits.OnesCount32(c) > TDESMaxOneBits {
			continue
		}
		ksn, _ := iksn.WithCounter(c)
		tk, err := DeriveTDESTransactionKey(ipek, ksn)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variants {
			want, err := tk.WorkingKey(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DeriveTDESWorkingKey(ipek, ksn, v)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(want) {
				t.Fatalf("KSN %v variant %v: %v, two-step derivation gives %v", ksn, v, got, want)
			}
		}
	}
	bad, _ := iksn.WithCounter(0x1FFC00) // 11 one bits
	if _, err := DeriveTDESWorkingKey(ipek, bad, VariantPIN); !errors.Is(err, ErrInvalidCounter) {
		t.Fatalf("counter with 11 one bits: err = %v, want ErrInvalidCounter", err)
	}
	if _, err := DeriveTDESWorkingKey(ipek, ksn1, Variant(0)); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("unknown variant: err = %v, want ErrInvalidKey", err)
	}
	if _, err := DeriveTDESWorkingKey(mustKey(t, AES128, testAESIK), ksn1, VariantPIN); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("AES key: err = %v, want ErrInvalidKey", err)
	}
}
