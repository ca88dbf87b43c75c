package dukpt

import (
	"crypto/des"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// cryptoDES encrypts block under the single-DES key k with crypto/des, the
// oracle of the tests.
func cryptoDES(t testing.TB, k, block uint64) uint64 {
	var key, b [8]byte
	binary.BigEndian.PutUint64(key[:], k)
	binary.BigEndian.PutUint64(b[:], block)
	c, err := des.NewCipher(key[:])
	if err != nil {
		t.Fatal(err)
	}
	c.Encrypt(b[:], b[:])
	return binary.BigEndian.Uint64(b[:])
}

// TestDESMatchesCryptoDES checks the key schedules of desKeySchedulePair
// (of k and of k^C0C0C0C000000000) bit for bit against crypto/des over
// random keys and blocks.
func TestDESMatchesCryptoDES(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	var s desSchedules
	for i := 0; i < n; i++ {
		k, x := rng.Uint64(), rng.Uint64()
		desKeySchedulePair(k, &s)
		if got, want := desEncryptBlock(&s.a, x), cryptoDES(t, k, x); got != want {
			t.Fatalf("key %016X block %016X: got %016X want %016X", k, x, got, want)
		}
		if got, want := desEncryptBlock(&s.b, x), cryptoDES(t, k^dukptMask, x); got != want {
			t.Fatalf("masked key %016X block %016X: got %016X want %016X", k^dukptMask, x, got, want)
		}
	}
}

// TestDESKnownAnswer is the classic FIPS 81 / "Now is the time for all"
// example: key 0123456789ABCDEF, plaintext "Now is t" = 4E6F772069732074,
// ciphertext 3FA40E8A984D4815.
func TestDESKnownAnswer(t *testing.T) {
	var s desSchedules
	desKeySchedulePair(0x0123456789ABCDEF, &s)
	if got := desEncryptBlock(&s.a, 0x4E6F772069732074); got != 0x3FA40E8A984D4815 {
		t.Fatalf("got %016X", got)
	}
}

// referenceNRKGP is the non-reversible key generation process written
// directly from X9.24-1 with crypto/des, used to check nrkgp.
func referenceNRKGP(t testing.TB, key [16]byte, data [8]byte) [16]byte {
	step := func(k [16]byte) [8]byte {
		var r [8]byte
		for i := range r {
			r[i] = data[i] ^ k[8+i]
		}
		c, err := des.NewCipher(k[:8])
		if err != nil {
			t.Fatal(err)
		}
		c.Encrypt(r[:], r[:])
		for i := range r {
			r[i] ^= k[8+i]
		}
		return r
	}
	right := step(key)
	for _, i := range []int{0, 1, 2, 3, 8, 9, 10, 11} {
		key[i] ^= 0xC0
	}
	left := step(key)
	var out [16]byte
	copy(out[:8], left[:])
	copy(out[8:], right[:])
	return out
}

// TestDESPairMatchesCryptoDES checks the interleaved two-block encryption
// desEncryptPair against crypto/des, with unrelated keys in the two
// schedules so that a mix-up of the two cannot pass, and the row-table key
// schedule against the one computed from PC-1, the rotations and PC-2.
func TestDESPairMatchesCryptoDES(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s, s2 desSchedules
	for i := 0; i < 5000; i++ {
		k1, k2, x1, x2 := rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()
		desKeySchedulePair(k1, &s)
		desKeySchedulePair(k2, &s2)
		s.b = s2.a
		g1, g2 := desEncryptPair(&s, permute64(&ipTab, x1), permute64(&ipTab, x2))
		g1, g2 = permute64(&fpTab, g1), permute64(&fpTab, g2)
		for _, c := range []struct{ k, x, got uint64 }{{k1, x1, g1}, {k2, x2, g2}} {
			if want := cryptoDES(t, c.k, c.x); c.got != want {
				t.Fatalf("key %016X block %016X: got %016X want %016X", c.k, c.x, c.got, want)
			}
		}
	}
	for i := 0; i < 1000; i++ {
		k := rng.Uint64()
		var direct, masked [16]uint64
		desKeySchedulePair(k, &s)
		desKeyScheduleSlow(k, &direct)
		desKeyScheduleSlow(k^dukptMask, &masked)
		if s.a != direct || s.b != masked {
			t.Fatalf("key %016X: row-table schedules differ from PC-1/PC-2", k)
		}
	}
}

// TestTDESDeriveMatchesNRKGP checks tdesDerive against its definition: one
// nrkgp per set bit of the counter, most significant first, with the KSN
// register gaining that bit.
func TestTDESDeriveMatchesNRKGP(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n := 5000
	if testing.Short() {
		n = 500
	}
	for i := 0; i < n; i++ {
		kl, kr, base := rng.Uint64(), rng.Uint64(), rng.Uint64()&^TDESCounterMask
		c := rng.Uint32() & TDESCounterMask
		if i%7 == 0 {
			c = 0
		}
		gl, gr := tdesDerive(kl, kr, base, c)
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

func TestNRKGPMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		var key [16]byte
		var data [8]byte
		kl, kr, d := rng.Uint64(), rng.Uint64(), rng.Uint64()
		binary.BigEndian.PutUint64(key[:8], kl)
		binary.BigEndian.PutUint64(key[8:], kr)
		binary.BigEndian.PutUint64(data[:], d)
		want := referenceNRKGP(t, key, data)
		nl, nr := nrkgp(kl, kr, d)
		if nl != binary.BigEndian.Uint64(want[:8]) || nr != binary.BigEndian.Uint64(want[8:]) {
			t.Fatalf("nrkgp mismatch for key %X data %X", key, data)
		}
	}
}

// desEncryptBlock is a plain one-block DES encryption with the round keys
// sk (no interleaving, with IP and FP), a reference for desEncryptPair.
func desEncryptBlock(sk *[16]uint64, block uint64) uint64 {
	b := permute64(&ipTab, block)
	l, r := uint32(b>>32), uint32(b)
	for i := 0; i < 16; i += 2 {
		k := sk[i]
		w := bits.RotateLeft32(r, -3) ^ uint32(k>>32)
		f := spTab[0][w>>24&63] ^ spTab[2][w>>16&63] ^ spTab[4][w>>8&63] ^ spTab[6][w&63]
		w = bits.RotateLeft32(r, -7) ^ uint32(k)
		f ^= spTab[7][w>>24&63] ^ spTab[1][w>>16&63] ^ spTab[3][w>>8&63] ^ spTab[5][w&63]
		l ^= f

		k = sk[i+1]
		w = bits.RotateLeft32(l, -3) ^ uint32(k>>32)
		f = spTab[0][w>>24&63] ^ spTab[2][w>>16&63] ^ spTab[4][w>>8&63] ^ spTab[6][w&63]
		w = bits.RotateLeft32(l, -7) ^ uint32(k)
		f ^= spTab[7][w>>24&63] ^ spTab[1][w>>16&63] ^ spTab[3][w>>8&63] ^ spTab[5][w&63]
		r ^= f
	}
	// The last round does not swap: output is R16 || L16.
	return permute64(&fpTab, uint64(r)<<32|uint64(l))
}

// BenchmarkDESPair is the two primitives of one derivation step: the pair
// of key schedules and the pair of interleaved encryptions.
func BenchmarkDESPair(b *testing.B) {
	var s desSchedules
	k, y1, y2 := uint64(0x0123456789ABCDEF), uint64(1), uint64(2)
	b.Run("KeySchedule", func(b *testing.B) {
		for b.Loop() {
			desKeySchedulePair(k, &s)
			k += s.a[3]
		}
	})
	b.Run("Encrypt", func(b *testing.B) {
		for b.Loop() {
			y1, y2 = desEncryptPair(&s, y1, y2)
		}
	})
}
