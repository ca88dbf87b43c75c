package dukpt

import "fmt"

// AESDevice simulates the originating side of AES DUKPT (X9.24-3:2017):
// after LoadInitialKey it keeps 32 intermediate derivation key registers,
// never stores the initial key, and returns intermediate derivation keys
// for the counters 1, 2, 3, ... in device order, skipping counters with
// more than 16 one bits, and ErrExhausted after counter 0xFFFF0000.
//
// The zero AESDevice is ready for LoadInitialKey. An AESDevice is safe for
// concurrent use. Printing it shows only the KSN of the next transaction.
type AESDevice struct {
	dev device[aesDeviceParams]
}

// aesDeviceParams is the initial key ID of an AES device and the type of
// its initial key.
type aesDeviceParams struct {
	id InitialKeyID
	t  KeyType
}

func (p aesDeviceParams) keyType() KeyType { return p.t }

func (p aesDeviceParams) ksnString(c uint64) string { return NewAESKSN(p.id, uint32(c)).String() }

func newAESDeviceState(t KeyType, id InitialKeyID) *deviceState[aesDeviceParams] {
	s := &deviceState[aesDeviceParams]{p: aesDeviceParams{id: id, t: t}}
	s.fk = futureKeys{
		nbits:   AESCounterBits,
		maxOnes: AESMaxOneBits,
		keyLen:  t.Size(),
		derive: func(dst, parent []byte, c uint64) {
			d, err := DerivationData(KeyUsageKeyDerivation, s.p.t, s.p.id, uint32(c))
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
	if err := d.dev.load(newAESDeviceState(ik.Type(), id), ik.b()); err != nil {
		return fmt.Errorf("dukpt: AES device: %w", err)
	}
	return nil
}

// Next returns the KSN and intermediate derivation key of the next
// transaction and advances the device; ErrExhausted once the counter space
// is used up, ErrNoInitialKey before LoadInitialKey.
func (d *AESDevice) Next() (AESKSN, AESTransactionKey, error) {
	p, c, k, err := d.dev.next("AES device")
	if err != nil {
		return AESKSN{}, AESTransactionKey{}, err
	}
	ksn := NewAESKSN(p.id, uint32(c))
	return ksn, AESTransactionKey{key: k, ksn: ksn}, nil
}

// Exhausted reports whether the device has used its last counter.
func (d *AESDevice) Exhausted() bool { return d.dev.exhausted() }

// String shows the KSN of the next transaction, never key material.
func (d AESDevice) String() string { return d.dev.string("AESDevice") }

// GoString is String.
func (d AESDevice) GoString() string { return d.String() }

// Format prints the String form for every verb.
func (d AESDevice) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(d.String())) }
