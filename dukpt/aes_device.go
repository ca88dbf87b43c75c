package dukpt

import (
	"fmt"
	"sync"
)

// AESDevice simulates the originating side of AES DUKPT (X9.24-3:2017):
// after LoadInitialKey it keeps 32 intermediate derivation key registers,
// never stores the initial key, and returns intermediate derivation keys
// for the counters 1, 2, 3, ... in device order, skipping counters with
// more than 16 one bits, and ErrExhausted after counter 0xFFFF0000.
//
// The zero AESDevice is ready for LoadInitialKey. An AESDevice is safe for
// concurrent use. Printing it shows only the KSN of the next transaction.
type AESDevice struct {
	// The state is reachable only through a function value so that
	// reflection-based printing of a struct holding a device cannot
	// reach the key registers (see Key).
	st func() *aesDeviceState
}

func (d AESDevice) state() *aesDeviceState {
	if d.st == nil {
		return nil
	}
	return d.st()
}

func wrapAESDevice(s *aesDeviceState) func() *aesDeviceState {
	return func() *aesDeviceState { return s }
}

type aesDeviceState struct {
	mu  sync.Mutex
	id  InitialKeyID
	t   KeyType
	err error // first derivation error, if any (cannot happen for valid keys)
	fk  futureKeys
}

func newAESDeviceState(t KeyType, id InitialKeyID) *aesDeviceState {
	s := &aesDeviceState{id: id, t: t}
	s.fk = futureKeys{
		nbits:   AESCounterBits,
		maxOnes: AESMaxOneBits,
		keyLen:  t.Size(),
		derive: func(dst, parent []byte, c uint64) {
			d, err := DerivationData(KeyUsageKeyDerivation, s.t, s.id, uint32(c))
			if err == nil {
				err = aesDeriveKey(dst, parent, d, len(dst))
			}
			if err != nil && s.err == nil {
				s.err = err
			}
		},
	}
	return s
}

// LoadInitialKey loads the initial key ik (AES-128/192/256) and the initial
// key ID, erasing any previous state.
func (d *AESDevice) LoadInitialKey(ik Key, id InitialKeyID) error {
	if err := checkAESDerivationKey(ik, "initial key"); err != nil {
		return fmt.Errorf("dukpt: AES device: %w", err)
	}
	if old := d.state(); old != nil {
		old.mu.Lock()
		old.fk.erase()
		old.mu.Unlock()
	}
	s := newAESDeviceState(ik.Type(), id)
	s.fk.load(ik.b())
	if s.err != nil {
		s.fk.erase()
		return fmt.Errorf("dukpt: AES device: %w", s.err)
	}
	d.st = wrapAESDevice(s)
	return nil
}

// Next returns the KSN and intermediate derivation key of the next
// transaction and advances the device; ErrExhausted once the counter space
// is used up, ErrNoInitialKey before LoadInitialKey.
func (d *AESDevice) Next() (AESKSN, AESTransactionKey, error) {
	s := d.state()
	if s == nil {
		return AESKSN{}, AESTransactionKey{}, ErrNoInitialKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var k [32]byte
	defer clear(k[:])
	c, err := s.fk.next(k[:s.fk.keyLen])
	if err == nil && s.err != nil {
		err = s.err
	}
	if err != nil {
		return AESKSN{}, AESTransactionKey{}, fmt.Errorf("dukpt: AES device: %w", err)
	}
	ksn := NewAESKSN(s.id, uint32(c))
	return ksn, AESTransactionKey{key: newKey(s.t, k[:s.fk.keyLen]), ksn: ksn}, nil
}

// Exhausted reports whether the device has used its last counter.
func (d *AESDevice) Exhausted() bool {
	s := d.state()
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fk.exhausted
}

// String shows the KSN of the next transaction, never key material.
func (d AESDevice) String() string {
	s := d.state()
	if s == nil {
		return "AESDevice(empty)"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fk.exhausted {
		return "AESDevice(exhausted)"
	}
	return "AESDevice(next KSN " + NewAESKSN(s.id, uint32(s.fk.counter)).String() + ")"
}

// GoString is String.
func (d AESDevice) GoString() string { return d.String() }

// Format prints the String form for every verb.
func (d AESDevice) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(d.String())) }

// newAESDeviceAt returns a device in the state it has just before using
// counter c, built from the initial key with host-side derivation. Test
// helper.
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
	return &AESDevice{st: wrapAESDevice(s)}, nil
}
