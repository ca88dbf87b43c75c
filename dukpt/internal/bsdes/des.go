package bsdes

// A small and slow single-DES encryptor (FIPS 46-3), used by the portable
// path, and the FIPS tables shared with the bitsliced wiring. Bit numbering
// follows FIPS 46-3: bit 1 is the most significant bit of a big-endian
// 64-bit block.

import "github.com/paycert/paycert/dukpt/internal/fips46"

var (
	desIP        = fips46.IP
	desE         = fips46.E
	desP         = fips46.P
	desPC1       = fips46.PC1
	desPC2       = fips46.PC2
	desRotations = fips46.Rotations
	desSBoxes    = fips46.SBoxes
)

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
