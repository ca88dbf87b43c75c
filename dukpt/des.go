package dukpt

// A table-driven single-DES encryptor specialised for the TDES DUKPT
// non-reversible key generation process, which needs a fresh key schedule for
// every step. crypto/des builds a cipher object (and allocates) per key; this
// implementation keeps the key schedules in a caller-provided array and
// builds them with table lookups.
//
// Each step encrypts under a key and under the key XORed with
// C0C0C0C000000000. The key schedule is linear over GF(2) (PC-1, the
// rotations and PC-2 only select bits), so it is kept as one table row per
// key byte (the schedule of that byte alone): a schedule is eight rows
// XORed, and the schedule of the masked key is that XOR the mask's
// schedule. The two encryptions are independent and run interleaved
// (desEncryptPair). The rounds return pre-outputs without the final
// permutation, because IP and FP cancel between chained DES operations and
// both are linear.
//
// It implements FIPS 46-3 exactly (tables from package
// dukpt/internal/fips46) and is tested bit for bit against crypto/des on
// random keys and blocks (des_test.go). It is used only inside this
// package, only for encryption, and runs in time independent of the data
// apart from table look-ups (the same property as crypto/des).
//
// Bit numbering follows FIPS 46-3: bit 1 is the most significant bit of a
// big-endian 64-bit block.

import (
	"math/bits"

	"github.com/paycert/paycert/dukpt/internal/fips46"
)

// The FIPS 46-3 tables.
var (
	desIP        = fips46.IP
	desP         = fips46.P
	desPC1       = fips46.PC1
	desPC2       = fips46.PC2
	desRotations = fips46.Rotations
	desSBoxes    = fips46.SBoxes
)

// Derived look-up tables, built once by init.
var (
	ipTab  [8][256]uint64 // initial permutation, one table per input byte
	fpTab  [8][256]uint64 // final permutation (IP^-1)
	pc1Tab [8][256]uint64 // PC-1 to C<<28|D, per key byte
	pc2Tab [8][128]uint64 // PC-2 per 7-bit chunk of C<<28|D, to the round-key layout
	// spTab[j] is S-box j followed by P, indexed by a whole byte whose two
	// high bits are ignored (every entry four times): the 6-bit group
	// needs no masking.
	spTab [8][256]uint32
	// cumulative left-rotation of C and D before round r
	cumRot [16]uint8
	// schedule of the DUKPT key mask C0C0C0C000000000, used through linearity
	maskSchedule [16]uint64
	// IP is linear too: IP of the mask, and IP of each single counter bit.
	ipOfMask uint64
	ipOfBit  [64]uint64
	// keySchedTab[j][v] is the whole key schedule of the key whose byte j
	// holds v in its seven high (non-parity) bits and which is zero
	// elsewhere. The schedule is linear, so the schedule of any key is the
	// XOR of eight rows (128 KiB in total).
	keySchedTab [8][128][16]uint64
)

// spTabp is &spTab through a variable (likewise the others): loaded once
// per call it stays in a register, whereas a direct reference to the global
// is rematerialised with an address computation before every look-up.
var (
	spTabp       = &spTab
	fpTabp       = &fpTab
	keySchedTabp = &keySchedTab
)

// Round-key layout. The expansion E gives group j (0..7) of the 48-bit
// block the right-half bits 4j..4j+5 (1-based, cyclic, bit 0 = bit 32).
// Rotating the right half right by 3 places groups 0,2,4,6 in the low six
// bits of bytes 3,2,1,0; rotating it right by 7 places groups 7,1,3,5 in
// bytes 3,2,1,0. A round key keeps the matching subkey groups in the same
// places: the "even" word in the high 32 bits, the "odd" word in the low.
var groupShift = [8]uint{56, 16, 48, 8, 40, 0, 32, 24}

func init() {
	// Inverse of IP.
	var fp [64]uint8
	for i, p := range desIP {
		fp[p-1] = uint8(i + 1)
	}
	buildByteTables(&ipTab, desIP[:])
	buildByteTables(&fpTab, fp[:])

	// PC-1: output bit i (1..56) of C<<28|D comes from key bit desPC1[i-1].
	for byteIdx := 0; byteIdx < 8; byteIdx++ {
		for v := 0; v < 256; v++ {
			var out uint64
			for i, p := range desPC1 {
				in := int(p) - 1
				if in/8 != byteIdx {
					continue
				}
				if v>>(7-in%8)&1 == 1 {
					out |= 1 << (55 - i)
				}
			}
			pc1Tab[byteIdx][v] = out
		}
	}

	// PC-2: subkey bit i (1..48) comes from bit desPC2[i-1] of C<<28|D.
	for chunk := 0; chunk < 8; chunk++ {
		for v := 0; v < 128; v++ {
			var out uint64
			for i, p := range desPC2 {
				in := int(p) - 1
				if in/7 != chunk {
					continue
				}
				if v>>(6-in%7)&1 == 1 {
					j, q := i/6, i%6
					out |= 1 << (groupShift[j] + uint(5-q))
				}
			}
			pc2Tab[chunk][v] = out
		}
	}

	// S-boxes followed by P.
	for j := 0; j < 8; j++ {
		for x := 0; x < 64; x++ {
			row := (x>>4)&2 | x&1
			col := (x >> 1) & 15
			s := uint32(desSBoxes[j][row*16+col]) << (28 - 4*uint(j))
			var out uint32
			for i, p := range desP {
				if s>>(32-uint(p))&1 == 1 {
					out |= 1 << (31 - uint(i))
				}
			}
			for hi := 0; hi < 4; hi++ {
				spTab[j][hi<<6|x] = out
			}
		}
	}

	var r uint8
	for i, s := range desRotations {
		r += s
		cumRot[i] = r
	}
	for j := range keySchedTab {
		for v := range keySchedTab[j] {
			desKeyScheduleSlow(uint64(v)<<(57-8*uint(j)), &keySchedTab[j][v])
		}
	}
	desKeyScheduleSlow(dukptMask, &maskSchedule)
	ipOfMask = permute64(&ipTab, dukptMask)
	for b := range ipOfBit {
		ipOfBit[b] = permute64(&ipTab, 1<<b)
	}
}

// buildByteTables fills t so that the 64-bit permutation perm (output bit i
// is input bit perm[i-1], 1-based) is the OR of t[k][byte k of input].
func buildByteTables(t *[8][256]uint64, perm []uint8) {
	for byteIdx := 0; byteIdx < 8; byteIdx++ {
		for v := 0; v < 256; v++ {
			var out uint64
			for i, p := range perm {
				in := int(p) - 1
				if in/8 == byteIdx && v>>(7-in%8)&1 == 1 {
					out |= 1 << (63 - i)
				}
			}
			t[byteIdx][v] = out
		}
	}
}

func permute64(t *[8][256]uint64, x uint64) uint64 {
	return t[0][x>>56] | t[1][x>>48&0xff] | t[2][x>>40&0xff] | t[3][x>>32&0xff] |
		t[4][x>>24&0xff] | t[5][x>>16&0xff] | t[6][x>>8&0xff] | t[7][x&0xff]
}

// desSchedules holds the two DES key schedules of one non-reversible key
// generation step in the round-key layout above: a for the first block of
// desEncryptPair, b for the second.
type desSchedules struct {
	a, b [16]uint64
}

// clear zeroes both schedules (they are key material).
func (s *desSchedules) clear() {
	clear(s.a[:])
	clear(s.b[:])
}

// desKeySchedulePair sets s.a to the 16 round keys of the single-DES key k
// (parity bits ignored) and s.b to those of k^C0C0C0C000000000: s.a is
// eight rows of keySchedTab XORed, s.b is s.a XOR the mask's schedule.
func desKeySchedulePair(k uint64, s *desSchedules) {
	t := keySchedTabp
	r0, r1 := &t[0][k>>57], &t[1][k>>49&127]
	r2, r3 := &t[2][k>>41&127], &t[3][k>>33&127]
	r4, r5 := &t[4][k>>25&127], &t[5][k>>17&127]
	r6, r7 := &t[6][k>>9&127], &t[7][k>>1&127]
	m := &maskSchedule
	for i := range s.a {
		v := r0[i] ^ r1[i] ^ r2[i] ^ r3[i] ^ r4[i] ^ r5[i] ^ r6[i] ^ r7[i]
		s.a[i] = v
		s.b[i] = v ^ m[i]
	}
}

// desKeyScheduleSlow computes the 16 round keys of the single-DES key k
// (parity bits ignored) into sk from PC-1, the rotations and PC-2 (byte and
// 7-bit-chunk tables); it builds keySchedTab and maskSchedule.
func desKeyScheduleSlow(k uint64, sk *[16]uint64) {
	cd := permute64(&pc1Tab, k)
	c := uint32(cd>>28) & 0x0fffffff
	d := uint32(cd) & 0x0fffffff
	for r := 0; r < 16; r++ {
		s := cumRot[r]
		cr := (c<<s | c>>(28-s)) & 0x0fffffff
		dr := (d<<s | d>>(28-s)) & 0x0fffffff
		x := uint64(cr)<<28 | uint64(dr)
		sk[r] = pc2Tab[0][x>>49&127] | pc2Tab[1][x>>42&127] | pc2Tab[2][x>>35&127] |
			pc2Tab[3][x>>28&127] | pc2Tab[4][x>>21&127] | pc2Tab[5][x>>14&127] |
			pc2Tab[6][x>>7&127] | pc2Tab[7][x&127]
	}
}

// dukptMask is the X9.24-1 key register mask C0C0C0C000000000 applied to
// each half of the key in the non-reversible key generation process.
const dukptMask = 0xC0C0C0C000000000

// nrkgp is the X9.24-1 non-reversible key generation process for a
// double-length key (kl, kr) and the 64-bit KSN register data: the right half
// of the result is E(kl, data^kr)^kr, the left half the same under the key
// XORed with C0C0C0C000000000 in each half.
func nrkgp(kl, kr, data uint64) (nl, nr uint64) {
	var sk desSchedules
	desKeySchedulePair(kl, &sk)
	ip := permute64(&ipTab, data^kr)
	yr, yl := desEncryptPair(&sk, ip, ip^ipOfMask)
	sk.clear()
	return permute64(fpTabp, yl) ^ kr ^ dukptMask, permute64(fpTabp, yr) ^ kr
}

// desEncryptPair encrypts two blocks, ip1 under s.a and ip2 under s.b, with
// the rounds interleaved (two independent dependency chains keep more of
// the CPU's execution units busy). The inputs are already passed through
// the initial permutation, and it returns the pre-outputs R16||L16, without
// the final permutation. IP(FP(y)) = y, so a pre-output is directly the
// permuted input of a following DES operation, and FP is linear, so callers
// may XOR pre-outputs before applying it. Decryption is encryption with the
// schedules reversed.
func desEncryptPair(s *desSchedules, ip1, ip2 uint64) (y1, y2 uint64) {
	sk1, sk2 := &s.a, &s.b
	l1, r1 := uint32(ip1>>32), uint32(ip1)
	l2, r2 := uint32(ip2>>32), uint32(ip2)
	sp := spTabp
	for i := 0; i < 16; i += 2 {
		k1, k2 := sk1[i], sk2[i]
		w1 := bits.RotateLeft32(r1, -3) ^ uint32(k1>>32)
		w2 := bits.RotateLeft32(r2, -3) ^ uint32(k2>>32)
		l1 ^= sp[0][w1>>24] ^ sp[2][uint8(w1>>16)] ^ sp[4][uint8(w1>>8)] ^ sp[6][uint8(w1)]
		l2 ^= sp[0][w2>>24] ^ sp[2][uint8(w2>>16)] ^ sp[4][uint8(w2>>8)] ^ sp[6][uint8(w2)]
		w1 = bits.RotateLeft32(r1, -7) ^ uint32(k1)
		w2 = bits.RotateLeft32(r2, -7) ^ uint32(k2)
		l1 ^= sp[7][w1>>24] ^ sp[1][uint8(w1>>16)] ^ sp[3][uint8(w1>>8)] ^ sp[5][uint8(w1)]
		l2 ^= sp[7][w2>>24] ^ sp[1][uint8(w2>>16)] ^ sp[3][uint8(w2>>8)] ^ sp[5][uint8(w2)]

		k1, k2 = sk1[i+1], sk2[i+1]
		w1 = bits.RotateLeft32(l1, -3) ^ uint32(k1>>32)
		w2 = bits.RotateLeft32(l2, -3) ^ uint32(k2>>32)
		r1 ^= sp[0][w1>>24] ^ sp[2][uint8(w1>>16)] ^ sp[4][uint8(w1>>8)] ^ sp[6][uint8(w1)]
		r2 ^= sp[0][w2>>24] ^ sp[2][uint8(w2>>16)] ^ sp[4][uint8(w2>>8)] ^ sp[6][uint8(w2)]
		w1 = bits.RotateLeft32(l1, -7) ^ uint32(k1)
		w2 = bits.RotateLeft32(l2, -7) ^ uint32(k2)
		r1 ^= sp[7][w1>>24] ^ sp[1][uint8(w1>>16)] ^ sp[3][uint8(w1>>8)] ^ sp[5][uint8(w1)]
		r2 ^= sp[7][w2>>24] ^ sp[1][uint8(w2>>16)] ^ sp[3][uint8(w2>>8)] ^ sp[5][uint8(w2)]
	}
	return uint64(r1)<<32 | uint64(l1), uint64(r2)<<32 | uint64(l2)
}
