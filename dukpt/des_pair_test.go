package dukpt

import (
	"crypto/des"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/paycert/paycert/dukpt/internal/gentest"
)

// TestDESPairMatchesGo checks desKeySchedulePair and desEncryptPair (in
// assembly on amd64) against their Go definitions, and the pair's first
// block against crypto/des, on random keys and blocks.
func TestDESPairMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	var got, want desSchedules
	for i := 0; i < n; i++ {
		k, x1, x2 := rng.Uint64(), rng.Uint64(), rng.Uint64()
		desKeySchedulePair(k, &got)
		desKeySchedulePairGo(k, &want)
		if got != want {
			t.Fatalf("key %016X: desKeySchedulePair differs from desKeySchedulePairGo", k)
		}
		// Independent schedules in a and b, so that a mix-up of the two
		// halves cannot pass.
		desKeySchedule(rng.Uint64(), &got.b)
		want.b = got.b
		ip1, ip2 := permute64(&ipTab, x1), permute64(&ipTab, x2)
		g1, g2 := desEncryptPair(&got, ip1, ip2)
		w1, w2 := desEncryptPairGo(&want, ip1, ip2)
		if g1 != w1 || g2 != w2 {
			t.Fatalf("key %016X blocks %016X %016X: desEncryptPair %016X %016X, Go %016X %016X", k, x1, x2, g1, g2, w1, w2)
		}
		var key, in, ct [8]byte
		binary.BigEndian.PutUint64(key[:], k)
		binary.BigEndian.PutUint64(in[:], x1)
		c, err := des.NewCipher(key[:])
		if err != nil {
			t.Fatal(err)
		}
		c.Encrypt(ct[:], in[:])
		if permute64(&fpTab, g1) != binary.BigEndian.Uint64(ct[:]) {
			t.Fatalf("key %016X block %016X: pair gives %016X, crypto/des %X", k, x1, permute64(&fpTab, g1), ct)
		}
	}
}

// TestDESPairGenerated checks that des_pair_amd64.s is what des_pair_gen.go
// writes now.
func TestDESPairGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	gentest.Check(t, "des_pair_gen.go", "des_pair_amd64.s")
}

func BenchmarkDESPair(b *testing.B) {
	var s desSchedules
	k, y1, y2 := uint64(0x0123456789ABCDEF), uint64(1), uint64(2)
	b.Run("KeySchedule", func(b *testing.B) {
		for b.Loop() {
			desKeySchedulePair(k, &s)
			k += s.a[3]
		}
	})
	b.Run("KeyScheduleGo", func(b *testing.B) {
		for b.Loop() {
			desKeySchedulePairGo(k, &s)
			k += s.a[3]
		}
	})
	b.Run("Encrypt", func(b *testing.B) {
		for b.Loop() {
			y1, y2 = desEncryptPair(&s, y1, y2)
		}
	})
	b.Run("EncryptGo", func(b *testing.B) {
		for b.Loop() {
			y1, y2 = desEncryptPairGo(&s, y1, y2)
		}
	})
}

// TestTDESDeriveStepsMatchesGo checks tdesDeriveSteps (in assembly on
// amd64) against tdesDeriveStepsGo and against nrkgp step by step.
func TestTDESDeriveStepsMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n := 5000
	if testing.Short() {
		n = 500
	}
	for i := 0; i < n; i++ {
		kl, kr, base := rng.Uint64(), rng.Uint64(), rng.Uint64()&^TDESCounterMask
		c := rng.Uint64() & TDESCounterMask
		if i%7 == 0 {
			c = 0
		}
		gl, gr := tdesDeriveSteps(kl, kr, permute64(&ipTab, base), permute64(&ipTab, kr), c)
		wl, wr := tdesDeriveStepsGo(kl, kr, permute64(&ipTab, base), permute64(&ipTab, kr), c)
		if gl != wl || gr != wr {
			t.Fatalf("key %016X%016X base %016X counter %06X: %016X%016X, Go %016X%016X", kl, kr, base, c, gl, gr, wl, wr)
		}
		// The definition: one nrkgp per set bit, most significant first.
		rl, rr, reg := kl, kr, base
		for b := TDESCounterBits - 1; b >= 0; b-- {
			if c>>b&1 == 1 {
				reg |= 1 << b
				rl, rr = nrkgp(rl, rr, reg)
			}
		}
		if gl != rl || gr != rr {
			t.Fatalf("key %016X%016X base %016X counter %06X: %016X%016X, nrkgp steps %016X%016X", kl, kr, base, c, gl, gr, rl, rr)
		}
	}
}
