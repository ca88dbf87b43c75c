package bsdes

// A small and slow single-DES encryptor (FIPS 46-3), used by the portable
// path, and the FIPS tables shared with the bitsliced wiring. Bit numbering
// follows FIPS 46-3: bit 1 is the most significant bit of a big-endian
// 64-bit block.

var desIP = [64]uint8{
	58, 50, 42, 34, 26, 18, 10, 2,
	60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6,
	64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1,
	59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5,
	63, 55, 47, 39, 31, 23, 15, 7,
}

var desE = [48]uint8{
	32, 1, 2, 3, 4, 5,
	4, 5, 6, 7, 8, 9,
	8, 9, 10, 11, 12, 13,
	12, 13, 14, 15, 16, 17,
	16, 17, 18, 19, 20, 21,
	20, 21, 22, 23, 24, 25,
	24, 25, 26, 27, 28, 29,
	28, 29, 30, 31, 32, 1,
}

var desP = [32]uint8{
	16, 7, 20, 21, 29, 12, 28, 17,
	1, 15, 23, 26, 5, 18, 31, 10,
	2, 8, 24, 14, 32, 27, 3, 9,
	19, 13, 30, 6, 22, 11, 4, 25,
}

var desPC1 = [56]uint8{
	57, 49, 41, 33, 25, 17, 9,
	1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27,
	19, 11, 3, 60, 52, 44, 36,
	63, 55, 47, 39, 31, 23, 15,
	7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29,
	21, 13, 5, 28, 20, 12, 4,
}

var desPC2 = [48]uint8{
	14, 17, 11, 24, 1, 5,
	3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8,
	16, 7, 27, 20, 13, 2,
	41, 52, 31, 37, 47, 55,
	30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53,
	46, 42, 50, 36, 29, 32,
}

var desRotations = [16]uint8{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}

var desSBoxes = [8][64]uint8{
	{
		14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
		0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
		4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
		15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
	},
	{
		15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
		3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
		0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
		13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
	},
	{
		10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
		13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
		13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
		1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
	},
	{
		7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
		13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
		10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
		3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
	},
	{
		2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
		14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
		4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
		11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
	},
	{
		12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
		10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
		9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
		4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
	},
	{
		4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
		13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
		1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
		6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
	},
	{
		13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
		1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
		7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
		2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
	},
}

// permute returns the n-bit value whose bit i (1-based from the MSB) is bit
// tab[i-1] of the inBits-bit value x. Used only to build tables.
func permute(x uint64, inBits int, tab []uint8) uint64 {
	var out uint64
	for _, p := range tab {
		out = out<<1 | x>>(inBits-int(p))&1
	}
	return out
}

// Tables of the scalar DES, built by init.
var (
	ipTab, fpTab [8][256]uint64 // IP and FP, one table per input byte
	pc1Tab       [8][256]uint64 // PC-1 (to C<<28|D), per key byte
	pc2Tab       [8][128]uint64 // PC-2 per 7-bit chunk of C<<28|D
	spTab        [8][64]uint32  // S-box j then P, indexed by the 6-bit group
)

func init() {
	var fp [64]uint8
	for i, p := range desIP {
		fp[p-1] = uint8(i + 1)
	}
	for k := 0; k < 8; k++ {
		for v := 0; v < 256; v++ {
			x := uint64(v) << (56 - 8*k)
			ipTab[k][v] = permute(x, 64, desIP[:])
			fpTab[k][v] = permute(x, 64, fp[:])
			pc1Tab[k][v] = permute(x, 64, desPC1[:])
		}
		for v := 0; v < 128; v++ {
			pc2Tab[k][v] = permute(uint64(v)<<(49-7*k), 56, desPC2[:])
		}
		for g := 0; g < 64; g++ {
			row, col := g>>4&2|g&1, g>>1&15
			s := uint64(desSBoxes[k][row*16+col]) << (28 - 4*k)
			spTab[k][g] = uint32(permute(s, 32, desP[:]))
		}
	}
}

func perm8(t *[8][256]uint64, x uint64) uint64 {
	return t[0][x>>56] | t[1][x>>48&0xff] | t[2][x>>40&0xff] | t[3][x>>32&0xff] |
		t[4][x>>24&0xff] | t[5][x>>16&0xff] | t[6][x>>8&0xff] | t[7][x&0xff]
}

// desEncrypt encrypts block with the single-DES key key (parity ignored).
// Table-driven (like crypto/des), for the portable path.
func desEncrypt(key, block uint64) uint64 {
	const m28 = 1<<28 - 1
	cd := perm8(&pc1Tab, key)
	c, d := cd>>28, cd&m28
	x := perm8(&ipTab, block)
	l, r := uint32(x>>32), uint32(x)
	for round := 0; round < 16; round++ {
		n := desRotations[round]
		c = (c<<n | c>>(28-n)) & m28
		d = (d<<n | d>>(28-n)) & m28
		cd := c<<28 | d
		var k uint64
		for j := 0; j < 8; j++ {
			k |= pc2Tab[j][cd>>(49-7*j)&127]
		}
		// E: group j is R's bits 4j..4j+5 (1-based, cyclic; bit 0 = bit 32).
		y := uint64(r)<<32 | uint64(r)
		f := spTab[0][(y>>27^k>>42)&63]
		for j := 1; j < 8; j++ {
			f |= spTab[j][(y>>(59-4*j)^k>>(42-6*j))&63]
		}
		l, r = r, l^f
	}
	return perm8(&fpTab, uint64(r)<<32|uint64(l))
}
