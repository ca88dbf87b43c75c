package dukpt

import (
	"encoding/binary"
	"math/bits"
)

// loadAt builds the register state a device has just before using counter
// c, computing each needed register with keyOf, so that tests can start a
// device near the end of its counter space.
func (f *futureKeys) loadAt(c uint64, keyOf func(dst []byte, counter uint64)) {
	f.erase()
	p := bits.TrailingZeros64(c)
	for b := p; b < f.nbits; b++ {
		if b != p && c&(1<<b) != 0 {
			continue
		}
		high := c &^ (1<<(b+1) - 1)
		keyOf(f.regs[b][:f.keyLen], high|1<<b)
		f.valid[b] = true
	}
	f.counter = c
	f.loaded = true
	f.exhausted = false
}

// newTDESDeviceAt returns a device in the state it has just before using
// counter c, built from the IPEK with host-side derivation.
func newTDESDeviceAt(ipek Key, ksn TDESKSN, c uint32) (*TDESDevice, error) {
	if err := ValidTDESCounter(c); err != nil {
		return nil, err
	}
	s := newTDESDeviceState(ksn)
	kl0 := binary.BigEndian.Uint64(ipek.b()[:8])
	kr0 := binary.BigEndian.Uint64(ipek.b()[8:])
	s.fk.loadAt(uint64(c), func(dst []byte, counter uint64) {
		kl, kr := tdesDerive(kl0, kr0, s.p.base, uint32(counter))
		binary.BigEndian.PutUint64(dst[:8], kl)
		binary.BigEndian.PutUint64(dst[8:16], kr)
	})
	d := &TDESDevice{}
	d.dev.set(s)
	return d, nil
}

// newAESDeviceAt returns a device in the state it has just before using
// counter c, built from the initial key with host-side derivation.
func newAESDeviceAt(ik Key, id InitialKeyID, c uint32) (*AESDevice, error) {
	if err := ValidAESCounter(c); err != nil {
		return nil, err
	}
	s := newAESDeviceState(ik.Type(), id)
	var ferr error
	s.fk.loadAt(uint64(c), func(dst []byte, counter uint64) {
		k, err := aesIntermediate(ik, id, uint32(counter))
		if err != nil {
			ferr = err
			return
		}
		copy(dst, k.b())
	})
	if ferr != nil {
		return nil, ferr
	}
	d := &AESDevice{}
	d.dev.set(s)
	return d, nil
}
