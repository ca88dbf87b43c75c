package dukpt

import (
	"encoding/binary"
	"fmt"
)

// TDESDevice simulates the originating side of TDES DUKPT (a PIN pad)
// exactly as ANSI X9.24-1:2009 Annex A describes it: after LoadInitialKey it
// keeps 21 future key registers, never stores the IPEK, and derives each
// transaction key from a register with one non-reversible key generation
// step per new future key. Next returns transaction keys for the counters
// 1, 2, 3, ... in device order, skipping counters with more than 10 one
// bits, and ErrExhausted after counter 0x1FF800.
//
// The zero TDESDevice is ready for LoadInitialKey. A TDESDevice is safe for
// concurrent use. Printing it shows only the KSN of the next transaction.
type TDESDevice struct {
	dev device[tdesDeviceParams]
}

// tdesDeviceParams is the initial KSN of a TDES device and its KSN
// register (the rightmost 64 bits, counter cleared).
type tdesDeviceParams struct {
	ksn  TDESKSN
	base uint64
}

func (tdesDeviceParams) keyType() KeyType { return TDES2 }

func (p tdesDeviceParams) ksnAt(c uint64) TDESKSN {
	k, _ := p.ksn.WithCounter(uint32(c))
	return k
}

func (p tdesDeviceParams) ksnString(c uint64) string { return p.ksnAt(c).String() }

func newTDESDeviceState(ksn TDESKSN) *deviceState[tdesDeviceParams] {
	s := &deviceState[tdesDeviceParams]{p: tdesDeviceParams{ksn: ksn.InitialKSN(), base: ksn.right64Base()}}
	s.fk = futureKeys{
		nbits:   TDESCounterBits,
		maxOnes: TDESMaxOneBits,
		keyLen:  16,
		derive: func(dst, parent []byte, c uint64) {
			kl := binary.BigEndian.Uint64(parent[:8])
			kr := binary.BigEndian.Uint64(parent[8:16])
			kl, kr = nrkgp(kl, kr, s.p.base|c)
			binary.BigEndian.PutUint64(dst[:8], kl)
			binary.BigEndian.PutUint64(dst[8:16], kr)
		},
	}
	return s
}

// LoadInitialKey loads the IPEK and the initial KSN (its counter bits are
// ignored), erasing any previous state. The device derives its 21 future
// keys at once and keeps no copy of the IPEK.
func (d *TDESDevice) LoadInitialKey(ipek Key, ksn TDESKSN) error {
	if ipek.Type() != TDES2 {
		return fmt.Errorf("dukpt: TDES device: IPEK must be a TDES2 key, got %v: %w", ipek.Type(), ErrInvalidKey)
	}
	return d.dev.load(newTDESDeviceState(ksn), ipek.b())
}

// Next returns the KSN and transaction key of the next transaction and
// advances the device. It returns ErrExhausted once the counter space is
// used up and ErrNoInitialKey before LoadInitialKey.
func (d *TDESDevice) Next() (TDESKSN, TDESTransactionKey, error) {
	p, c, k, err := d.dev.next("TDES device")
	if err != nil {
		return TDESKSN{}, TDESTransactionKey{}, err
	}
	ksn := p.ksnAt(c)
	return ksn, TDESTransactionKey{key: k, ksn: ksn}, nil
}

// Exhausted reports whether the device has used its last counter.
func (d *TDESDevice) Exhausted() bool { return d.dev.exhausted() }

// String shows the KSN of the next transaction, never key material.
func (d TDESDevice) String() string { return d.dev.string("TDESDevice") }

// GoString is String.
func (d TDESDevice) GoString() string { return d.String() }

// Format prints the String form for every verb.
func (d TDESDevice) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(d.String())) }
