package dukpt

import (
	"crypto/des"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestDESMatchesCryptoDES checks the internal DES bit for bit against
// crypto/des over random keys and blocks.
func TestDESMatchesCryptoDES(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	var key, in, want [8]byte
	var sk [16]uint64
	for i := 0; i < n; i++ {
		k, x := rng.Uint64(), rng.Uint64()
		binary.BigEndian.PutUint64(key[:], k)
		binary.BigEndian.PutUint64(in[:], x)
		c, err := des.NewCipher(key[:])
		if err != nil {
			t.Fatal(err)
		}
		c.Encrypt(want[:], in[:])
		desKeySchedule(k, &sk)
		if got := desEncryptBlock(&sk, x); got != binary.BigEndian.Uint64(want[:]) {
			t.Fatalf("key %016X block %016X: got %016X want %X", k, x, got, want)
		}
	}
}

// TestDESKnownAnswer is the classic FIPS 81 / "Now is the time for all"
// example: key 0123456789ABCDEF, plaintext "Now is t" = 4E6F772069732074,
// ciphertext 3FA40E8A984D4815.
func TestDESKnownAnswer(t *testing.T) {
	var sk [16]uint64
	desKeySchedule(0x0123456789ABCDEF, &sk)
	if got := desEncryptBlock(&sk, 0x4E6F772069732074); got != 0x3FA40E8A984D4815 {
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

// TestDESEncrypt2MatchesCryptoDES checks the interleaved two-block
// encryption in Go (desEncrypt2Pre, behind desEncryptPairGo) against crypto/des.
func TestDESEncrypt2MatchesCryptoDES(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var sk1, sk2 [16]uint64
	for i := 0; i < 5000; i++ {
		k1, k2, x1, x2 := rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()
		desKeySchedule(k1, &sk1)
		desKeySchedule(k2, &sk2)
		g1, g2 := desEncrypt2Pre(&sk1, &sk2, permute64(&ipTab, x1), permute64(&ipTab, x2))
		g1, g2 = permute64(&fpTab, g1), permute64(&fpTab, g2)
		for _, c := range []struct{ k, x, got uint64 }{{k1, x1, g1}, {k2, x2, g2}} {
			var key, in, want [8]byte
			binary.BigEndian.PutUint64(key[:], c.k)
			binary.BigEndian.PutUint64(in[:], c.x)
			b, _ := des.NewCipher(key[:])
			b.Encrypt(want[:], in[:])
			if c.got != binary.BigEndian.Uint64(want[:]) {
				t.Fatalf("key %016X block %016X: got %016X want %X", c.k, c.x, c.got, want)
			}
		}
	}
	// The schedule of k^mask is the schedule of k XOR the mask's schedule.
	for i := 0; i < 1000; i++ {
		k := rng.Uint64()
		var direct [16]uint64
		desKeySchedule2(k, &sk1, &sk2)
		desKeySchedule(k^dukptMask, &direct)
		if direct != sk2 {
			t.Fatalf("schedule linearity fails for %016X", k)
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
// sk (no interleaving), kept as a reference for the production code.
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
