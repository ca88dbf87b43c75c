// Package bsdes derives TDES DUKPT transaction keys (ANSI X9.24-1:2009,
// host side) in batches, with bitsliced DES.
//
// For every lane i, DeriveTDES starts from the double-length initial key
// (kl[i], kr[i]) and, for each set bit b of the 21-bit transaction counter
// counter[i] from the most significant down, applies the non-reversible key
// generation process
//
//	data = base[i] | counter[i] &^ (1<<b - 1)
//	newR = DES(kl, data^kr) ^ kr
//	newL = DES(kl^m, data^kr^m) ^ kr ^ m    (m = 0xC0C0C0C000000000)
//
// where DES is single DES (FIPS 46-3) with a big-endian 64-bit key whose
// parity bits are ignored. The result is the transaction key
// (dst[i][0], dst[i][1]) = (left, right), the big-endian halves of the
// 16-byte key. base[i] is the rightmost 64 bits of the 80-bit KSN with the
// counter cleared; its low 21 bits are ignored, and so are counter bits
// above bit 20. A zero counter gives back the initial key.
//
// On amd64 with AVX2 (and without the purego build tag) lanes are
// processed 256 at a time in bitsliced form by generated assembly
// (gen.go); elsewhere a slow scalar loop over a simple DES implementation
// gives the same results (table look-ups, like crypto/des). Lanes are independent: every lane may have its
// own key, base and counter. Lanes are grouped by the number of one bits
// in their counters (a group of 256 runs as many steps as its largest
// count, with the finished lanes masked), so the running time depends on
// the counters, which are public, but not on the keys.
package bsdes

import "math/bits"

//go:generate go run gen.go -out bsdes_amd64.s

const (
	counterMask = 1<<21 - 1
	dukptMask   = 0xC0C0C0C000000000
)

// DeriveTDES computes the transaction keys of len(dst) lanes, lane i from
// kl[i], kr[i], base[i] and counter[i] (see the package documentation).
// All five slices must have the same length, or DeriveTDES panics; any
// length is accepted (lanes are processed in groups of up to 256). It does
// not allocate, but uses about 30 KiB of goroutine stack.
func DeriveTDES(dst [][2]uint64, kl, kr, base []uint64, counter []uint32) {
	n := len(dst)
	if len(kl) != n || len(kr) != n || len(base) != n || len(counter) != n {
		panic("bsdes: DeriveTDES: slices of different lengths")
	}
	if !useAVX2 {
		deriveScalar(dst, kl, kr, base, counter)
		return
	}
	var b batch
	b.st.ones = [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	// A group of 256 lanes takes as many steps as the largest number of
	// one bits among its counters, so lanes are grouped by that number:
	// counting sort of each chunk of up to 4096 lanes.
	var idx [chunk]uint16
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		var pos [23]int
		for _, c := range counter[start:end] {
			pos[bits.OnesCount32(c&counterMask)+1]++
		}
		for k := 1; k < len(pos); k++ {
			pos[k] += pos[k-1]
		}
		for i, c := range counter[start:end] {
			k := bits.OnesCount32(c & counterMask)
			idx[pos[k]] = uint16(i)
			pos[k]++
		}
		m := end - start
		for g := 0; g < m; g += lanes {
			b.derive(idx[g:min(g+lanes, m)], dst[start:end], kl[start:end], kr[start:end], base[start:end], counter[start:end])
		}
	}
	wipe(&b)
}

// wipe zeroes the working set, which held key material. It is not inlined
// so that the stores cannot be dropped as dead.
//
//go:noinline
func wipe(b *batch) { *b = batch{} }

const chunk = 4096

// Accelerated reports whether DeriveTDES runs the bitsliced AVX2 code. When
// it does not, DeriveTDES is a slow scalar loop and callers with a faster
// scalar derivation of their own should use that instead.
func Accelerated() bool { return useAVX2 }

// deriveScalar is the portable path: one lane at a time.
func deriveScalar(dst [][2]uint64, kl, kr, base []uint64, counter []uint32) {
	for i := range dst {
		dst[i][0], dst[i][1] = DeriveOne(kl[i], kr[i], base[i], counter[i])
	}
}

// DeriveOne is the scalar derivation of one lane, with the simple DES of
// this package (slow; used by the portable path).
func DeriveOne(kl, kr, base uint64, counter uint32) (l, r uint64) {
	base &^= counterMask
	c := uint64(counter & counterMask)
	for c2 := c; c2 != 0; {
		b := 63 - bits.LeadingZeros64(c2)
		c2 &^= 1 << b
		data := base | c&^(1<<b-1)
		nr := desEncrypt(kl, data^kr) ^ kr
		nl := desEncrypt(kl^dukptMask, data^kr^dukptMask) ^ kr ^ dukptMask
		kl, kr = nl, nr
	}
	return kl, kr
}

const lanes = 256

// word is one bitsliced bit of 256 lanes: lane i is bit 63-i/4 of
// element i%4.
type word = [4]uint64

// keyBuf is the doubled key schedule buffer read by the DES rounds of
// stepAVX2: the PC-1 halves C and D of the key as C|C|D|D (28 words each),
// so that every rotated schedule is a window at a fixed offset and each
// subkey bit a fixed displacement from the round's window.
type keyBuf [112]word

// state is the block being encrypted in place by the DES rounds of
// stepAVX2 (b, one word per FIPS bit on input: b[i] is bit i+1, i.e. bit
// 63-i of the big-endian value; IP and FP are wiring, so the halves live in
// the slots given by IP), followed by an all-ones word and the register
// spill area.
type state struct {
	b     [64]word
	ones  word
	spill [32]word
}

// batch is the working set of up to 256 lanes. The assembly (gen.go)
// hard-codes this layout; TestLayout checks it.
type batch struct {
	kl, kr [64]word // the current key, FIPS bit order
	// base words, FIPS bit order; the low 21 bits (words 43..63) hold the
	// counter bits already used, i.e. the data of the current step
	base [64]word
	rem  [21]word // counter bits still to do (index = bit number)
	newR [64]word // right half of the new key (between the two DES)
	kb   keyBuf
	act  word // lanes doing a step
	pass word // zero for the first DES of a step, all ones for the second
	st   state
}

// derive computes the up to 256 lanes idx[0], idx[1], ... of the slices.
// Lane i of the batch is bit 63-i/4 of element i%4 of the bitsliced
// words, which makes the 256 input values, four to a row, the matrix that
// transposeWords turns into bitsliced words.
func (b *batch) derive(idx []uint16, dst [][2]uint64, kl, kr, base []uint64, counter []uint32) {
	load := func(w *[64]word, src []uint64) {
		*w = [64]word{}
		for i, k := range idx {
			w[i/4][i%4] = src[k]
		}
		transposeWords(w)
	}
	load(&b.kl, kl)
	load(&b.kr, kr)
	load(&b.base, base)
	// The counter goes through newR, which is free until the first step.
	c := &b.newR
	*c = [64]word{}
	for i, k := range idx {
		c[i/4][i%4] = uint64(counter[k] & counterMask)
	}
	transposeWords(c)
	for q := 0; q < 21; q++ {
		b.rem[q] = c[63-q]
		b.base[63-q] = word{}
	}
	for stepAVX2(b) {
	}
	transposeWords(&b.kl)
	transposeWords(&b.kr)
	for i, k := range idx {
		dst[k] = [2]uint64{b.kl[i/4][i%4], b.kr[i/4][i%4]}
	}
}

// transpose64 transposes the 64x64 bit matrix a in place: bit 63-j of
// a[i] and bit 63-i of a[j] are exchanged.
func transpose64(a *[64]uint64) {
	m := uint64(0x00000000FFFFFFFF)
	for j := 32; j != 0; j, m = j>>1, m^(m<<(j>>1)) {
		for k := 0; k < 64; k = (k + j + 1) &^ j {
			t := (a[k] ^ (a[k+j] >> j)) & m
			a[k] ^= t
			a[k+j] ^= t << j
		}
	}
}

// transposeWordsGo is transposeAVX2 in Go: a 64x64 bit-matrix transpose of
// each of the four columns of a.
func transposeWordsGo(a *[64]word) {
	var col [64]uint64
	for g := 0; g < 4; g++ {
		for i := range col {
			col[i] = a[i][g]
		}
		transpose64(&col)
		for i := range col {
			a[i][g] = col[i]
		}
	}
}
