package dukpt

import (
	"fmt"
	"sync"
)

// device is the scaffolding TDESDevice and AESDevice share: the state of an
// originating device behind a function value (so that reflection-based
// printing of a struct holding a device cannot reach the key registers; see
// Key), a lock that makes the device safe for concurrent use, and the
// future key registers. P holds what the algorithm fixes at LoadInitialKey
// (the initial KSN, or the initial key ID and key type).
type device[P deviceParams] struct {
	st func() *deviceState[P]
}

// deviceParams is the part of a device's state its algorithm defines.
type deviceParams interface {
	// keyType is the type of the keys in the registers.
	keyType() KeyType
	// ksnString prints the KSN of the transaction whose counter is c.
	ksnString(c uint64) string
}

type deviceState[P deviceParams] struct {
	mu  sync.Mutex
	p   P
	fk  futureKeys
	err error // first derivation error, if any (cannot happen for valid keys)
}

func (d device[P]) state() *deviceState[P] {
	if d.st == nil {
		return nil
	}
	return d.st()
}

// set makes s the device's state.
func (d *device[P]) set(s *deviceState[P]) {
	d.st = func() *deviceState[P] { return s }
}

// load erases the registers of the device's current state, if any, fills
// those of s from the initial key and, unless a derivation failed, makes s
// the device's state.
func (d *device[P]) load(s *deviceState[P], initial []byte) error {
	if old := d.state(); old != nil {
		old.mu.Lock()
		old.fk.erase()
		old.mu.Unlock()
	}
	s.fk.load(initial)
	if s.err != nil {
		s.fk.erase()
		return s.err
	}
	d.set(s)
	return nil
}

// next advances the device and returns its parameters, the counter of the
// transaction and its key. It returns ErrNoInitialKey before load; other
// errors (ErrExhausted) are wrapped as "dukpt: what: ...".
func (d device[P]) next(what string) (p P, c uint64, key Key, err error) {
	s := d.state()
	if s == nil {
		return p, 0, Key{}, ErrNoInitialKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var k [32]byte
	defer clear(k[:])
	c, err = s.fk.next(k[:s.fk.keyLen])
	if err == nil && s.err != nil {
		err = s.err
	}
	if err != nil {
		return p, 0, Key{}, fmt.Errorf("dukpt: %s: %w", what, err)
	}
	return s.p, c, newKey(s.p.keyType(), k[:s.fk.keyLen]), nil
}

// exhausted reports whether the device has used its last counter.
func (d device[P]) exhausted() bool {
	s := d.state()
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fk.exhausted
}

// string shows the KSN of the next transaction, never key material, as
// "name(next KSN ...)", "name(empty)" or "name(exhausted)".
func (d device[P]) string(name string) string {
	s := d.state()
	if s == nil {
		return name + "(empty)"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fk.exhausted {
		return name + "(exhausted)"
	}
	return name + "(next KSN " + s.p.ksnString(s.fk.counter) + ")"
}
