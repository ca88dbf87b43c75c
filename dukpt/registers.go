package dukpt

import (
	"fmt"
	"math/bits"
)

// futureKeys is the originating-device state machine shared by TDES DUKPT
// (X9.24-1:2009 Annex A, 21 future key registers) and AES DUKPT
// (X9.24-3:2017, 32 intermediate derivation key registers).
//
// The register for bit position b holds the key of the counter formed by
// the current counter's bits above b with bit b set. Using a counter c takes
// the key from the register of its lowest set bit p; if c has fewer than the
// maximum number of one bits, the keys of c|1<<b for every b < p are derived
// from it into their registers (X9.24-1 "New Key-1", X9.24-3 "Update
// State"). The used register is then erased and the counter advances by one,
// or, when c already has the maximum number of one bits, by 1<<p (the shift
// register value), which skips every counter with too many one bits.
type futureKeys struct {
	nbits   int
	maxOnes int
	keyLen  int
	// derive computes the key of counter c from its parent key.
	derive func(dst, parent []byte, c uint64)

	counter   uint64 // counter of the next transaction
	regs      [32][32]byte
	valid     [32]bool
	loaded    bool
	exhausted bool
}

// load erases all registers and fills them from the initial key: register b
// gets the key of counter 1<<b. The next counter is 1.
func (f *futureKeys) load(initial []byte) {
	f.erase()
	for b := 0; b < f.nbits; b++ {
		f.derive(f.regs[b][:f.keyLen], initial, 1<<b)
		f.valid[b] = true
	}
	f.counter = 1
	f.loaded = true
	f.exhausted = false
}

// erase zeroes every register.
func (f *futureKeys) erase() {
	for i := range f.regs {
		clear(f.regs[i][:])
		f.valid[i] = false
	}
	f.loaded = false
}

// next returns the counter and key of the next transaction, writing the key
// into dst, and advances the state.
func (f *futureKeys) next(dst []byte) (uint64, error) {
	if !f.loaded {
		return 0, ErrNoInitialKey
	}
	if f.exhausted {
		return 0, ErrExhausted
	}
	c := f.counter
	p := bits.TrailingZeros64(c)
	if p >= f.nbits || !f.valid[p] {
		// Cannot happen when the state was built by load/next; treat a
		// corrupted state like an exhausted device rather than
		// producing a wrong key.
		f.erase()
		return 0, fmt.Errorf("dukpt: future key register %d is empty: %w", p, ErrExhausted)
	}
	cur := f.regs[p][:f.keyLen]
	copy(dst, cur)
	if bits.OnesCount64(c) < f.maxOnes {
		for b := p - 1; b >= 0; b-- {
			f.derive(f.regs[b][:f.keyLen], cur, c|1<<b)
			f.valid[b] = true
		}
	}
	clear(f.regs[p][:])
	f.valid[p] = false
	n := nextCounter(c, f.maxOnes)
	if n >= 1<<f.nbits {
		f.exhausted = true
		f.erase()
		f.loaded = true // loaded but exhausted: report ErrExhausted
	}
	f.counter = n
	return c, nil
}
