package bsdes

import (
	"crypto/des"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// refDES is single DES from crypto/des.
func refDES(key, block uint64) uint64 {
	var k, b [8]byte
	binary.BigEndian.PutUint64(k[:], key)
	binary.BigEndian.PutUint64(b[:], block)
	c, err := des.NewCipher(k[:])
	if err != nil {
		panic(err)
	}
	c.Encrypt(b[:], b[:])
	return binary.BigEndian.Uint64(b[:])
}

// refDerive is the X9.24-1 derivation written directly from the standard's
// description, on crypto/des.
func refDerive(kl, kr, base uint64, counter uint32) (uint64, uint64) {
	base &^= 1<<21 - 1
	counter &= 1<<21 - 1
	const m = 0xC0C0C0C000000000
	for b := 20; b >= 0; b-- {
		if counter>>b&1 == 0 {
			continue
		}
		data := base | uint64(counter&^(1<<b-1))
		nr := refDES(kl, data^kr) ^ kr
		nl := refDES(kl^m, data^kr^m) ^ kr ^ m
		kl, kr = nl, nr
	}
	return kl, kr
}

func TestDESEncrypt(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		k, b := r.Uint64(), r.Uint64()
		if got, want := desEncrypt(k, b), refDES(k, b); got != want {
			t.Fatalf("desEncrypt(%016x, %016x) = %016x, want %016x", k, b, got, want)
		}
	}
}

func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var a, b [64]uint64
	for i := range a {
		a[i] = r.Uint64()
	}
	b = a
	transpose64(&b)
	for i := 0; i < 64; i++ {
		for j := 0; j < 64; j++ {
			if a[i]>>(63-j)&1 != b[j]>>(63-i)&1 {
				t.Fatalf("transpose64 wrong at %d,%d", i, j)
			}
		}
	}
}

// validCounter returns a random 21-bit counter with 1..10 one bits, or
// exactly ones one bits if ones > 0.
func validCounter(r *rand.Rand, ones int) uint32 {
	if ones == 0 {
		ones = 1 + r.IntN(10)
	}
	var c uint32
	for bits.OnesCount32(c) < ones {
		c |= 1 << r.IntN(21)
	}
	return c
}

type lanesIn struct {
	kl, kr, base []uint64
	counter      []uint32
}

func randomLanes(r *rand.Rand, n int, counter func(i int) uint32) lanesIn {
	in := lanesIn{make([]uint64, n), make([]uint64, n), make([]uint64, n), make([]uint32, n)}
	for i := 0; i < n; i++ {
		in.kl[i], in.kr[i] = r.Uint64(), r.Uint64()
		in.base[i] = r.Uint64() &^ (1<<21 - 1)
		in.counter[i] = counter(i)
	}
	return in
}

func check(t *testing.T, name string, in lanesIn) {
	t.Helper()
	n := len(in.kl)
	dst := make([][2]uint64, n)
	DeriveTDES(dst, in.kl, in.kr, in.base, in.counter)
	dstS := dst
	if useAVX2 {
		dstS = make([][2]uint64, n)
		deriveScalar(dstS, in.kl, in.kr, in.base, in.counter)
	}
	bad := 0
	for i := 0; i < n; i++ {
		l, rr := refDerive(in.kl[i], in.kr[i], in.base[i], in.counter[i])
		if dst[i] != [2]uint64{l, rr} || dstS[i] != dst[i] {
			t.Errorf("%s: lane %d/%d (counter %06x): got %016x%016x, scalar %016x%016x, want %016x%016x",
				name, i, n, in.counter[i], dst[i][0], dst[i][1], dstS[i][0], dstS[i][1], l, rr)
			if bad++; bad > 5 {
				t.FailNow()
			}
		}
	}
}

func TestKnownAnswer(t *testing.T) {
	// ANSI X9.24-1:2009 test vector: IPEK 6AC292FAA1315B4D858AB3A3D7D5933A,
	// KSN FFFF9876543210E00001.
	kl, kr := uint64(0x6AC292FAA1315B4D), uint64(0x858AB3A3D7D5933A)
	base := uint64(0x9876543210E00000) &^ (1<<21 - 1)
	dst := make([][2]uint64, 1)
	DeriveTDES(dst, []uint64{kl}, []uint64{kr}, []uint64{base}, []uint32{1})
	// The transaction key itself; its PIN variant (XOR 00000000000000FF in
	// each half) is 042666B49184CF5C68DE9628D0397B36 and its MAC-request
	// variant (XOR 000000000000FF00) 042666B4918430A368DE9628D03984C9, the
	// values printed in the standard.
	want := [2]uint64{0x042666B49184CFA3, 0x68DE9628D0397BC9}
	if dst[0] != want {
		t.Fatalf("got %016x%016x, want %016x%016x", dst[0][0], dst[0][1], want[0], want[1])
	}
	if pin := [2]uint64{dst[0][0] ^ 0xFF, dst[0][1] ^ 0xFF}; pin != [2]uint64{0x042666B49184CF5C, 0x68DE9628D0397B36} {
		t.Fatalf("PIN variant %016x%016x", pin[0], pin[1])
	}
	if mac := [2]uint64{dst[0][0] ^ 0xFF00, dst[0][1] ^ 0xFF00}; mac != [2]uint64{0x042666B4918430A3, 0x68DE9628D03984C9} {
		t.Fatalf("MAC variant %016x%016x", mac[0], mac[1])
	}
	if l, r := DeriveOne(kl, kr, base, 1); [2]uint64{l, r} != want {
		t.Fatalf("DeriveOne: got %016x%016x", l, r)
	}
}

func TestRandomLanes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 2, 63, 64, 65, 255, 256, 257, 600} {
		check(t, "random", randomLanes(r, n, func(int) uint32 { return validCounter(r, 0) }))
	}
}

func TestSpecialCounters(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	c := validCounter(r, 0)
	check(t, "same counter", randomLanes(r, 300, func(int) uint32 { return c }))
	check(t, "one bit", randomLanes(r, 256, func(int) uint32 { return validCounter(r, 1) }))
	check(t, "ten bits", randomLanes(r, 256, func(int) uint32 { return validCounter(r, 10) }))
	check(t, "0x1FF800", randomLanes(r, 100, func(int) uint32 { return 0x1FF800 }))
	check(t, "bit i", randomLanes(r, 21, func(i int) uint32 { return 1 << i }))
	check(t, "mixed", randomLanes(r, 256, func(i int) uint32 {
		switch i % 4 {
		case 0:
			return 0x1FF800
		case 1:
			return 1
		case 2:
			return 0x100000
		}
		return validCounter(r, 0)
	}))
	// Zero counters give back the IPEK; out-of-range bits are ignored.
	in := randomLanes(r, 40, func(i int) uint32 {
		if i%2 == 0 {
			return 0
		}
		return validCounter(r, 0) | uint32(r.IntN(1<<11))<<21
	})
	for i := range in.base {
		in.base[i] |= r.Uint64() & (1<<21 - 1)
	}
	check(t, "masked", in)
}

func TestSameIPEKAndBase(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	kl, kr, base := r.Uint64(), r.Uint64(), r.Uint64()&^(1<<21-1)
	in := randomLanes(r, 256, func(int) uint32 { return validCounter(r, 0) })
	for i := range in.kl {
		in.kl[i], in.kr[i], in.base[i] = kl, kr, base
	}
	check(t, "same IPEK", in)
}

func TestMismatchedLengthsPanic(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	DeriveTDES(make([][2]uint64, 2), make([]uint64, 2), make([]uint64, 2), make([]uint64, 2), make([]uint32, 1))
}

func TestNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	in := randomLanes(r, 300, func(int) uint32 { return validCounter(r, 0) })
	dst := make([][2]uint64, 300)
	if a := testing.AllocsPerRun(3, func() { DeriveTDES(dst, in.kl, in.kr, in.base, in.counter) }); a != 0 {
		t.Errorf("DeriveTDES allocates %v times per call", a)
	}
}

// benchCounters returns every 97th valid counter (1..10 one bits), in
// increasing order.
func benchCounters() []uint32 {
	var out []uint32
	k := 0
	for c := uint32(1); c < 1<<21; c++ {
		if bits.OnesCount32(c) > 10 {
			continue
		}
		if k%97 == 0 {
			out = append(out, c)
		}
		k++
	}
	return out
}

func benchDerive(b *testing.B, n int, f func(dst [][2]uint64, kl, kr, base []uint64, counter []uint32)) {
	cs := benchCounters()
	if n > 0 {
		// an evenly spread subset
		sub := make([]uint32, n)
		for i := range sub {
			sub[i] = cs[i*len(cs)/n]
		}
		cs = sub
	}
	r := rand.New(rand.NewPCG(13, 14))
	in := randomLanes(r, len(cs), func(i int) uint32 { return cs[i] })
	dst := make([][2]uint64, len(cs))
	const batch = 4096
	for b.Loop() {
		for i := 0; i < len(cs); i += batch {
			j := min(i+batch, len(cs))
			f(dst[i:j], in.kl[i:j], in.kr[i:j], in.base[i:j], in.counter[i:j])
		}
	}
	keys := float64(b.N) * float64(len(cs))
	b.ReportMetric(b.Elapsed().Seconds()*1e9/keys, "ns/key")
	b.ReportMetric(keys/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkDeriveTDES derives the keys of every 97th valid counter (10811
// lanes, 8.65 one bits on average, random IPEKs and bases), in calls of
// 4096 lanes; the fallback sub-benchmark uses 256 of those counters, evenly
// spread. ns/key is the time per derived key.
func BenchmarkDeriveTDES(b *testing.B) {
	b.Run("bitsliced", func(b *testing.B) {
		if !useAVX2 {
			b.Skip("no AVX2 path")
		}
		benchDerive(b, 0, DeriveTDES)
	})
	b.Run("fallback", func(b *testing.B) { benchDerive(b, 256, deriveScalar) })
}

// TestLargeBatch checks a call spanning several chunks against calls on
// small pieces (each checked against the reference by the other tests).
func TestLargeBatch(t *testing.T) {
	if !useAVX2 {
		t.Skip("chunking is only done by the AVX2 path")
	}
	r := rand.New(rand.NewPCG(15, 16))
	n := 2*chunk + 777
	in := randomLanes(r, n, func(int) uint32 { return validCounter(r, 0) })
	dst := make([][2]uint64, n)
	DeriveTDES(dst, in.kl, in.kr, in.base, in.counter)
	want := make([][2]uint64, n)
	for i := 0; i < n; i += 100 {
		j := min(i+100, n)
		DeriveTDES(want[i:j], in.kl[i:j], in.kr[i:j], in.base[i:j], in.counter[i:j])
	}
	for i := range dst {
		if dst[i] != want[i] {
			t.Fatalf("lane %d: got %x, want %x", i, dst[i], want[i])
		}
	}
	// and a sample against the reference
	for i := 0; i < n; i += 997 {
		if l, rr := refDerive(in.kl[i], in.kr[i], in.base[i], in.counter[i]); dst[i] != [2]uint64{l, rr} {
			t.Fatalf("lane %d differs from the reference", i)
		}
	}
}
