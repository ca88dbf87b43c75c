package dukpt

import (
	"encoding/binary"
	"fmt"
	"sync"
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
	// The state is reachable only through a function value so that
	// reflection-based printing of a struct holding a device cannot
	// reach the key registers (see Key).
	st func() *tdesDeviceState
}

func (d TDESDevice) state() *tdesDeviceState {
	if d.st == nil {
		return nil
	}
	return d.st()
}

func wrapTDESDevice(s *tdesDeviceState) func() *tdesDeviceState {
	return func() *tdesDeviceState { return s }
}

type tdesDeviceState struct {
	mu   sync.Mutex
	ksn  TDESKSN
	base uint64
	fk   futureKeys
}

func newTDESDeviceState(ksn TDESKSN) *tdesDeviceState {
	s := &tdesDeviceState{ksn: ksn.InitialKSN(), base: ksn.right64Base()}
	s.fk = futureKeys{
		nbits:   TDESCounterBits,
		maxOnes: TDESMaxOneBits,
		keyLen:  16,
		derive: func(dst, parent []byte, c uint64) {
			kl := binary.BigEndian.Uint64(parent[:8])
			kr := binary.BigEndian.Uint64(parent[8:16])
			kl, kr = nrkgp(kl, kr, s.base|c)
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
	if old := d.state(); old != nil {
		old.mu.Lock()
		old.fk.erase()
		old.mu.Unlock()
	}
	s := newTDESDeviceState(ksn)
	s.fk.load(ipek.b())
	d.st = wrapTDESDevice(s)
	return nil
}

// Next returns the KSN and transaction key of the next transaction and
// advances the device. It returns ErrExhausted once the counter space is
// used up and ErrNoInitialKey before LoadInitialKey.
func (d *TDESDevice) Next() (TDESKSN, TDESTransactionKey, error) {
	s := d.state()
	if s == nil {
		return TDESKSN{}, TDESTransactionKey{}, ErrNoInitialKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var k [16]byte
	c, err := s.fk.next(k[:])
	if err != nil {
		return TDESKSN{}, TDESTransactionKey{}, fmt.Errorf("dukpt: TDES device: %w", err)
	}
	ksn, _ := s.ksn.WithCounter(uint32(c))
	t := TDESTransactionKey{key: newKey(TDES2, k[:]), ksn: ksn}
	clear(k[:])
	return ksn, t, nil
}

// Exhausted reports whether the device has used its last counter.
func (d *TDESDevice) Exhausted() bool {
	s := d.state()
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fk.exhausted
}

// String shows the KSN of the next transaction, never key material.
func (d TDESDevice) String() string {
	s := d.state()
	if s == nil {
		return "TDESDevice(empty)"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fk.exhausted {
		return "TDESDevice(exhausted)"
	}
	ksn, _ := s.ksn.WithCounter(uint32(s.fk.counter))
	return "TDESDevice(next KSN " + ksn.String() + ")"
}

// GoString is String.
func (d TDESDevice) GoString() string { return d.String() }

// Format prints the String form for every verb.
func (d TDESDevice) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(d.String())) }

// newTDESDeviceAt returns a device in the state it has just before using
// counter c, built from the IPEK with host-side derivation. Test helper.
func newTDESDeviceAt(ipek Key, ksn TDESKSN, c uint32) (*TDESDevice, error) {
	if err := ValidTDESCounter(c); err != nil {
		return nil, err
	}
	s := newTDESDeviceState(ksn)
	kl0 := binary.BigEndian.Uint64(ipek.b()[:8])
	kr0 := binary.BigEndian.Uint64(ipek.b()[8:])
	s.fk.loadAt(uint64(c), func(dst []byte, counter uint64) {
		kl, kr := tdesDerive(kl0, kr0, s.base, uint32(counter))
		binary.BigEndian.PutUint64(dst[:8], kl)
		binary.BigEndian.PutUint64(dst[8:16], kr)
	})
	return &TDESDevice{st: wrapTDESDevice(s)}, nil
}
