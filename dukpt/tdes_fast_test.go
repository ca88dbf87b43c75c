package dukpt

import (
	"crypto/des"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// referenceTDESIPEK is the X9.24-1:2009 IPEK derivation written directly
// with crypto/des TDEA ciphers.
func referenceTDESIPEK(t testing.TB, bdk [16]byte, ksn TDESKSN) [16]byte {
	var data [8]byte
	copy(data[:], ksn[:8])
	data[7] &= 0xE0
	var out [16]byte
	for half := 0; half < 2; half++ {
		var k3 [24]byte
		copy(k3[:16], bdk[:])
		if half == 1 {
			for i := range ipekMask {
				k3[i] ^= ipekMask[i]
			}
		}
		copy(k3[16:], k3[:8])
		c, err := des.NewTripleDESCipher(k3[:])
		if err != nil {
			t.Fatal(err)
		}
		c.Encrypt(out[8*half:8*half+8], data[:])
	}
	return out
}

// referenceTDESPINKey is the host-side PIN key derivation written directly
// from X9.24-1:2009 with crypto/des: one referenceNRKGP per counter bit,
// most significant first, then the PIN variant.
func referenceTDESPINKey(t testing.TB, ipek [16]byte, ksn TDESKSN) [16]byte {
	reg := binary.BigEndian.Uint64(ksn[2:]) &^ TDESCounterMask
	c := ksn.Counter()
	key := ipek
	for b := TDESCounterBits - 1; b >= 0; b-- {
		if c&(1<<b) == 0 {
			continue
		}
		reg |= 1 << b
		var data [8]byte
		binary.BigEndian.PutUint64(data[:], reg)
		key = referenceNRKGP(t, key, data)
	}
	key[7] ^= 0xFF
	key[15] ^= 0xFF
	return key
}

// randomTDESKSN returns a random KSN with a random valid counter: a random
// number of one bits (1..10) at random positions.
func randomTDESKSN(rng *rand.Rand) TDESKSN {
	var k TDESKSN
	binary.BigEndian.PutUint64(k[:8], rng.Uint64())
	binary.BigEndian.PutUint16(k[8:], uint16(rng.Uint32()))
	var c uint32
	for n := 1 + rng.IntN(TDESMaxOneBits); n > 0; {
		b := uint32(1) << rng.IntN(TDESCounterBits)
		if c&b == 0 {
			c |= b
			n--
		}
	}
	k, _ = k.WithCounter(c)
	return k
}

// TestTDESFastPathMatchesCryptoDES compares the host-side derivations
// (package DES, key schedule tables, permutations moved out of the step
// loop) with the straightforward crypto/des derivation over random IPEKs,
// BDKs and KSNs with random valid counters.
func TestTDESFastPathMatchesCryptoDES(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 9))
	n := 3000
	if raceEnabled || testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		var raw [16]byte
		binary.BigEndian.PutUint64(raw[:8], rng.Uint64())
		binary.BigEndian.PutUint64(raw[8:], rng.Uint64())
		k := mustNewKey(t, raw[:])
		ksn := randomTDESKSN(rng)

		// raw as the IPEK.
		tk, err := DeriveTDESTransactionKey(k, ksn)
		if err != nil {
			t.Fatalf("pair %d: %v", i, err)
		}
		pin, err := tk.WorkingKey(VariantPIN)
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceTDESPINKey(t, raw, ksn); !pin.Equal(mustNewKey(t, want[:])) {
			t.Fatalf("pair %d (KSN %v): PIN key from IPEK differs from crypto/des (got %v, want %v)", i, ksn, pin, mustNewKey(t, want[:]))
		}

		// raw as the BDK.
		ipek, err := DeriveTDESIPEK(k, ksn)
		if err != nil {
			t.Fatal(err)
		}
		wantIPEK := referenceTDESIPEK(t, raw, ksn)
		if !ipek.Equal(mustNewKey(t, wantIPEK[:])) {
			t.Fatalf("pair %d (KSN %v): IPEK differs from crypto/des (got %v, want %v)", i, ksn, ipek, mustNewKey(t, wantIPEK[:]))
		}
		tk2, err := DeriveTDESTransactionKeyFromBDK(k, ksn)
		if err != nil {
			t.Fatal(err)
		}
		pin2, err := tk2.WorkingKey(VariantPIN)
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceTDESPINKey(t, wantIPEK, ksn); !pin2.Equal(mustNewKey(t, want[:])) {
			t.Fatalf("pair %d (KSN %v): PIN key from BDK differs from crypto/des", i, ksn)
		}
		if tk2.KSN() != ksn {
			t.Fatalf("pair %d: KSN not kept", i)
		}
	}
}

func mustNewKey(t testing.TB, b []byte) Key {
	t.Helper()
	k, err := NewKey(TDES2, b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestTDESDeriveNoAllocsPerStep checks that the step loop allocates
// nothing: a derivation with ten counter bits allocates no more than one
// with one bit.
func TestTDESDeriveNoAllocsPerStep(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	ipek := mustKey(t, TDES2, testIPEK)
	iksn := mustTDESKSN(t, testIKSN)
	one, _ := iksn.WithCounter(1)
	ten, _ := iksn.WithCounter(0x1FF800)
	allocs := func(k TDESKSN) float64 {
		return testing.AllocsPerRun(200, func() {
			if _, err := DeriveTDESTransactionKey(ipek, k); err != nil {
				t.Fatal(err)
			}
		})
	}
	a1, a10 := allocs(one), allocs(ten)
	if a10 > a1 || a1 > 2 {
		t.Fatalf("allocations: %v for 1 step, %v for 10 steps; want the same, at most 2", a1, a10)
	}
}
