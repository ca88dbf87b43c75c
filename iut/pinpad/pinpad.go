// Package pinpad is paycert's reference DUKPT PIN pad: a compliant device
// behind the pinpad role of the adapter protocol (docs/adapter-protocol.md,
// "### pinpad"), plus named faults that each break a key-management
// requirement.
//
// The device holds one initial key at a time, loaded with
// pinpad.load_initial_key: a TDES DUKPT IPEK (ANSI X9.24-1:2009) or an AES
// DUKPT initial key (ANSI X9.24-3:2017, AES-128/192/256). It derives its
// transaction keys with dukpt.TDESDevice or dukpt.AESDevice, which keep
// future key registers and never the initial key, and answers
// pinpad.encrypt_pin (ISO 9564-1 formats 0, 3 and 4), pinpad.mac (ANSI X9.19
// retail MAC or AES-CMAC) and pinpad.encrypt_data (CBC, zero IV, zero fill).
// Each of the three is one transaction with its own counter; a request
// refused for bad parameters uses none. Once the counter space is used up
// the device answers JSON-RPC error 1003 "exhausted".
//
// The device is shared by every connection to its server and is safe for
// concurrent use. New builds it, faulted or not; init registers it as the
// "pinpad" reference IUT of the ref: probe and its faults with package iut.
//
// # Test seek
//
// In a test binary (`go test`) or a race-detector build, or with
// WithTestSeek(true), the reference PIN pad also declares the capability
// "test-seek" and answers pinpad.test_seek {"counter": N}: the next TDES
// transaction uses counter N. It exists so that the exhaustive test
// (1,048,575 transactions, 15-30 s in a normal build, minutes under the race
// detector) does not dominate the test runs, which start certify many times;
// the suite then walks from N to the end of the counter space. To honour it
// the device must keep the IPEK and derive keys the way a host does, which a
// real PIN pad must never do: a real device never declares test-seek, and
// certify built with `go build` does the full walk.
package pinpad

import (
	"context"
	"crypto/aes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/dukpt/mac"
	"github.com/paycert/paycert/dukpt/pinblock"
)

// Role is the adapter protocol role the PIN pad declares.
const Role = "pinpad"

// Methods of the pinpad role.
const (
	MethodLoadInitialKey = "pinpad.load_initial_key"
	MethodEncryptPIN     = "pinpad.encrypt_pin"
	MethodMAC            = "pinpad.mac"
	MethodEncryptData    = "pinpad.encrypt_data"
	// MethodTestSeek is the test hook; see the package documentation.
	MethodTestSeek = "pinpad.test_seek"
)

// Capabilities a PIN pad may declare in hello.
const (
	CapTDES           = "dukpt-tdes"
	CapAES128         = "dukpt-aes128"
	CapAES192         = "dukpt-aes192"
	CapAES256         = "dukpt-aes256"
	CapISO0           = "pin-iso0"
	CapISO3           = "pin-iso3"
	CapISO4           = "pin-iso4"
	CapLoadInitialKey = "load-initial-key"
	CapMAC            = "mac"
	CapDataEncryption = "data-encryption"
	// CapTestSeek is declared only by test builds of the reference PIN pad.
	CapTestSeek = "test-seek"
)

// Scheme names of pinpad.load_initial_key.
const (
	SchemeTDES   = "tdes"
	SchemeAES128 = "aes128"
	SchemeAES192 = "aes192"
	SchemeAES256 = "aes256"
)

// PIN block format names of pinpad.encrypt_pin.
const (
	FormatISO0 = "iso0"
	FormatISO3 = "iso3"
	FormatISO4 = "iso4"
)

// Option configures New.
type Option func(*pad)

// WithTestSeek enables or disables the test-seek capability (default: on
// in test binaries and race-detector builds only).
func WithTestSeek(on bool) Option { return func(p *pad) { p.seekable = on } }

// New returns the reference PIN pad as an adapter server, with the named
// fault ("" for none). It fails for an unknown fault name.
func New(fault string, opts ...Option) (*adapter.Server, error) {
	if _, err := LookupFault(fault); err != nil {
		return nil, err
	}
	p := &pad{fault: fault, seekable: raceEnabled || testing.Testing()}
	for _, o := range opts {
		o(p)
	}
	caps := []string{CapTDES, CapAES128, CapAES192, CapAES256, CapISO0, CapISO3, CapISO4, CapLoadInitialKey, CapMAC, CapDataEncryption}
	methods := map[string]adapter.Handler{
		MethodLoadInitialKey: p.loadInitialKey,
		MethodEncryptPIN:     p.encryptPIN,
		MethodMAC:            p.mac,
		MethodEncryptData:    p.encryptData,
	}
	if p.seekable {
		caps = append(caps, CapTestSeek)
		methods[MethodTestSeek] = p.testSeek
	}
	version := "1"
	if fault != "" {
		version += " (fault " + fault + ")"
	}
	return &adapter.Server{
		Hello: adapter.HelloResult{
			Roles:          []string{Role},
			Capabilities:   caps,
			Implementation: adapter.Implementation{Vendor: "paycert", Product: "reference DUKPT PIN pad", Version: version},
		},
		Methods: methods,
	}, nil
}

// txKey is the key material of one transaction as the device uses it.
type txKey struct {
	counter uint32
	tdes    dukpt.TDESTransactionKey
	aes     dukpt.AESTransactionKey
}

// pad is the device state, shared by every connection.
type pad struct {
	fault    string
	seekable bool

	mu      sync.Mutex
	scheme  string // "" until a key is loaded
	aesType dukpt.KeyType
	tdesDev *dukpt.TDESDevice
	aesDev  *dukpt.AESDevice
	tdesKSN dukpt.TDESKSN      // initial KSN (counter 0)
	aesID   dukpt.InitialKeyID // initial key ID
	// test-seek state: the IPEK (kept only when seekable) and, after a
	// seek, the next counter to derive host-style.
	ipek     dukpt.Key
	seeking  bool
	seekNext uint32
	seekDone bool
	// fault state, reset by every load
	first    *txKey
	prev     *txKey
	repeated bool
	plain    uint32
}

func invalid(format string, args ...any) error {
	return adapter.Errorf(adapter.CodeInvalidParams, format, args...)
}

// decodeHex parses a hex member, reporting its name on error.
func decodeHex(name, s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, invalid("%s: not hexadecimal", name)
	}
	return b, nil
}

type loadParams struct {
	Scheme     string `json:"scheme"`
	InitialKey string `json:"initial_key"`
	KSN        string `json:"ksn"`
}

func (p *pad) loadInitialKey(_ context.Context, raw json.RawMessage) (any, error) {
	var in loadParams
	if err := adapter.DecodeParams(raw, &in); err != nil {
		return nil, err
	}
	if in.Scheme == "" || in.InitialKey == "" || in.KSN == "" {
		return nil, invalid("scheme, initial_key and ksn are required")
	}
	kb, err := decodeHex("initial_key", in.InitialKey)
	if err != nil {
		return nil, err
	}
	defer clear(kb)
	ksn, err := decodeHex("ksn", in.KSN)
	if err != nil {
		return nil, err
	}
	switch in.Scheme {
	case SchemeTDES:
		ipek, err := dukpt.NewKey(dukpt.TDES2, kb)
		if err != nil {
			return nil, invalid("initial_key: a TDES IPEK is 16 bytes, got %d", len(kb))
		}
		k, err := dukpt.TDESKSNFromBytes(ksn)
		if err != nil {
			return nil, invalid("ksn: a TDES KSN is 10 bytes, got %d", len(ksn))
		}
		if k.Counter() != 0 {
			return nil, invalid("ksn: the transaction counter of an initial KSN must be 0, got %06X", k.Counter())
		}
		dev := &dukpt.TDESDevice{}
		if err := dev.LoadInitialKey(ipek, k); err != nil {
			return nil, invalid("initial_key: %v", err)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.reset()
		p.scheme, p.tdesDev, p.tdesKSN = SchemeTDES, dev, k
		if p.seekable {
			p.ipek = ipek
		}
	case SchemeAES128, SchemeAES192, SchemeAES256:
		t := map[string]dukpt.KeyType{SchemeAES128: dukpt.AES128, SchemeAES192: dukpt.AES192, SchemeAES256: dukpt.AES256}[in.Scheme]
		ik, err := dukpt.NewKey(t, kb)
		if err != nil {
			return nil, invalid("initial_key: an %s initial key is %d bytes, got %d", t, t.Size(), len(kb))
		}
		if len(ksn) != dukpt.AESKSNSize {
			return nil, invalid("ksn: an AES KSN is %d bytes, got %d", dukpt.AESKSNSize, len(ksn))
		}
		k := dukpt.AESKSN(ksn)
		if k.Counter() != 0 {
			return nil, invalid("ksn: the transaction counter of an initial KSN must be 0, got %08X", k.Counter())
		}
		dev := &dukpt.AESDevice{}
		if err := dev.LoadInitialKey(ik, k.InitialKeyID()); err != nil {
			return nil, invalid("initial_key: %v", err)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.reset()
		p.scheme, p.aesDev, p.aesID, p.aesType = in.Scheme, dev, k.InitialKeyID(), t
	default:
		return nil, invalid("scheme: want tdes, aes128, aes192 or aes256, got %q", in.Scheme)
	}
	return struct{}{}, nil
}

// reset forgets the loaded key and every fault's memory. p.mu is held.
func (p *pad) reset() {
	p.scheme, p.tdesDev, p.aesDev, p.ipek = "", nil, nil, dukpt.Key{}
	p.seeking, p.seekNext, p.seekDone = false, 0, false
	p.first, p.prev, p.repeated, p.plain = nil, nil, false, 0
}

type seekParams struct {
	Counter *uint32 `json:"counter"`
}

func (p *pad) testSeek(_ context.Context, raw json.RawMessage) (any, error) {
	var in seekParams
	if err := adapter.DecodeParams(raw, &in); err != nil {
		return nil, err
	}
	if in.Counter == nil {
		return nil, invalid("counter is required")
	}
	if err := dukpt.ValidTDESCounter(*in.Counter); err != nil {
		return nil, invalid("counter: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.scheme != SchemeTDES {
		return nil, invalid("test_seek needs a TDES key loaded")
	}
	p.seeking, p.seekNext, p.seekDone = true, *in.Counter, false
	return struct{}{}, nil
}

// rawNext is the next transaction key of the loaded key, without faults.
// p.mu is held.
func (p *pad) rawNext() (txKey, error) {
	switch {
	case p.seeking:
		if p.seekDone {
			return txKey{}, dukpt.ErrExhausted
		}
		c := p.seekNext
		ksn, _ := p.tdesKSN.WithCounter(c)
		k, err := dukpt.DeriveTDESTransactionKey(p.ipek, ksn)
		if err != nil {
			return txKey{}, err
		}
		if n, err := dukpt.NextTDESCounter(c); err != nil {
			p.seekDone = true
		} else {
			p.seekNext = n
		}
		return txKey{counter: c, tdes: k}, nil
	case p.tdesDev != nil:
		ksn, k, err := p.tdesDev.Next()
		if err != nil {
			return txKey{}, err
		}
		return txKey{counter: ksn.Counter(), tdes: k}, nil
	default:
		ksn, k, err := p.aesDev.Next()
		if err != nil {
			return txKey{}, err
		}
		return txKey{counter: ksn.Counter(), aes: k}, nil
	}
}

// next is the key of the next transaction as the (possibly faulty) device
// uses it. p.mu is held and a key is loaded.
func (p *pad) next() (txKey, error) {
	tdes := p.scheme == SchemeTDES
	var k txKey
	var err error
	switch {
	case p.fault == FaultKSNRepeat && p.prev != nil && p.prev.counter == ksnRepeatAt && !p.repeated:
		// The counter is not advanced once: same KSN, same key.
		p.repeated = true
		return *p.prev, nil
	case p.fault == FaultCounterInvalid && tdes:
		// A plain binary counter: counters with more than 10 one bits are
		// emitted, with the previous transaction's key.
		p.plain++
		if onesCount(p.plain) > dukpt.TDESMaxOneBits && p.prev != nil {
			k = *p.prev
			k.counter = p.plain
			p.prev = &k
			return k, nil
		}
		k, err = p.rawNext()
	default:
		k, err = p.rawNext()
	}
	if err != nil {
		if p.fault == FaultNoExhaustion && errors.Is(err, dukpt.ErrExhausted) && p.prev != nil {
			return *p.prev, nil
		}
		return txKey{}, err
	}
	switch {
	case p.fault == FaultFixedKey:
		if p.first == nil {
			f := k
			p.first = &f
		}
		k.tdes, k.aes = p.first.tdes, p.first.aes
	case p.fault == FaultKeyReuse && k.counter == keyReuseAt && p.prev != nil:
		k.tdes, k.aes = p.prev.tdes, p.prev.aes
	case p.fault == FaultCounterZero && tdes && k.counter == 1:
		k.counter = 0
	}
	p.prev = &k
	return k, nil
}

func onesCount(c uint32) int {
	n := 0
	for ; c != 0; c &= c - 1 {
		n++
	}
	return n
}

// ksnHex renders the KSN of k under the loaded key. p.mu is held.
func (p *pad) ksnHex(k txKey) string {
	if p.scheme == SchemeTDES {
		ksn, _ := p.tdesKSN.WithCounter(k.counter & dukpt.TDESCounterMask)
		return ksn.String()
	}
	return dukpt.NewAESKSN(p.aesID, k.counter).String()
}

// transact runs one transaction: it draws the next key and hands it to fn.
// p.mu is held by transact itself.
func (p *pad) transact(check func(scheme string) error, fn func(k txKey) (any, error)) (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.scheme == "" {
		return nil, adapter.Errorf(adapter.CodeNotFound, "no initial key loaded")
	}
	if check != nil {
		if err := check(p.scheme); err != nil {
			return nil, err
		}
	}
	k, err := p.next()
	if errors.Is(err, dukpt.ErrExhausted) {
		return nil, adapter.Errorf(adapter.CodeExhausted, "exhausted")
	}
	if err != nil {
		return nil, fmt.Errorf("pinpad: deriving the transaction key: %w", err)
	}
	return fn(k)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

type pinParams struct {
	PIN    string `json:"pin"`
	PAN    string `json:"pan"`
	Format string `json:"format"`
}

// PINResult is the result of pinpad.encrypt_pin.
type PINResult struct {
	KSN      string `json:"ksn"`
	PINBlock string `json:"pin_block"`
}

func (p *pad) encryptPIN(_ context.Context, raw json.RawMessage) (any, error) {
	var in pinParams
	if err := adapter.DecodeParams(raw, &in); err != nil {
		return nil, err
	}
	if len(in.PIN) < 4 || len(in.PIN) > 12 || !allDigits(in.PIN) {
		return nil, invalid("pin: want 4 to 12 decimal digits")
	}
	if len(in.PAN) < 1 || len(in.PAN) > 19 || !allDigits(in.PAN) {
		return nil, invalid("pan: want 1 to 19 decimal digits")
	}
	switch in.Format {
	case FormatISO0, FormatISO3, FormatISO4:
	default:
		return nil, invalid("format: want iso0, iso3 or iso4, got %q", in.Format)
	}
	check := func(scheme string) error {
		if (scheme == SchemeTDES) != (in.Format != FormatISO4) {
			return invalid("format: %s does not go with the loaded %s key (iso0 and iso3 go with tdes, iso4 with aes)", in.Format, scheme)
		}
		return nil
	}
	return p.transact(check, func(k txKey) (any, error) {
		var block []byte
		if p.scheme == SchemeTDES {
			v := dukpt.VariantPIN
			if p.fault == FaultWrongVariant {
				v = dukpt.VariantDataRequest
			}
			wk, err := k.tdes.WorkingKey(v)
			if err != nil {
				return nil, err
			}
			c, err := wk.Cipher()
			if err != nil {
				return nil, err
			}
			if in.Format == FormatISO0 {
				block, err = pinblock.EncryptFormat0(c, in.PIN, in.PAN)
			} else {
				block, err = pinblock.EncryptFormat3(c, in.PIN, in.PAN, rand.Reader)
			}
			if err != nil {
				return nil, err
			}
		} else {
			wk, err := k.aes.WorkingKey(dukpt.KeyUsagePINEncryption, p.aesType)
			if err != nil {
				return nil, err
			}
			c, err := wk.Cipher()
			if err != nil {
				return nil, err
			}
			if block, err = pinblock.EncryptFormat4(c, in.PIN, in.PAN, rand.Reader); err != nil {
				return nil, err
			}
		}
		return PINResult{KSN: p.ksnHex(k), PINBlock: upperHex(block)}, nil
	})
}

type dataParams struct {
	Data *string `json:"data"`
}

// data returns the decoded data member of a pinpad.mac or
// pinpad.encrypt_data request.
func decodeData(raw json.RawMessage) ([]byte, error) {
	var in dataParams
	if err := adapter.DecodeParams(raw, &in); err != nil {
		return nil, err
	}
	if in.Data == nil {
		return nil, invalid("data is required (\"\" for none)")
	}
	return decodeHex("data", *in.Data)
}

// MACResult is the result of pinpad.mac.
type MACResult struct {
	KSN string `json:"ksn"`
	MAC string `json:"mac"`
}

// DataResult is the result of pinpad.encrypt_data.
type DataResult struct {
	KSN        string `json:"ksn"`
	Ciphertext string `json:"ciphertext"`
}

func (p *pad) mac(_ context.Context, raw json.RawMessage) (any, error) {
	data, err := decodeData(raw)
	if err != nil {
		return nil, err
	}
	return p.transact(nil, func(k txKey) (any, error) {
		var m []byte
		if p.scheme == SchemeTDES {
			wk, err := k.tdes.WorkingKey(dukpt.VariantMACRequest)
			if err != nil {
				return nil, err
			}
			kb := wk.Bytes()
			defer clear(kb)
			if m, err = mac.RetailMAC(kb, data); err != nil {
				return nil, err
			}
		} else {
			wk, err := p.aesWorkingKey(k, dukpt.KeyUsageMACGeneration)
			if err != nil {
				return nil, err
			}
			c, err := wk.Cipher()
			if err != nil {
				return nil, err
			}
			if m, err = mac.CMAC(c, data); err != nil {
				return nil, err
			}
		}
		return MACResult{KSN: p.ksnHex(k), MAC: upperHex(m)}, nil
	})
}

func (p *pad) encryptData(_ context.Context, raw json.RawMessage) (any, error) {
	data, err := decodeData(raw)
	if err != nil {
		return nil, err
	}
	return p.transact(nil, func(k txKey) (any, error) {
		var out []byte
		if p.scheme == SchemeTDES {
			wk, err := k.tdes.WorkingKey(dukpt.VariantDataRequest)
			if err != nil {
				return nil, err
			}
			if out, err = dukpt.EncryptData(wk, data); err != nil {
				return nil, err
			}
		} else {
			wk, err := p.aesWorkingKey(k, dukpt.KeyUsageDataEncrypt)
			if err != nil {
				return nil, err
			}
			if out, err = dukpt.EncryptData(wk, data); err != nil {
				return nil, err
			}
		}
		return DataResult{KSN: p.ksnHex(k), Ciphertext: upperHex(out)}, nil
	})
}

// aesWorkingKey returns the AES working key of usage u for the
// transaction: of the initial key's type, or, under the
// aes-stronger-working-key fault, AES-256 whatever the derivation key.
func (p *pad) aesWorkingKey(k txKey, u dukpt.KeyUsage) (dukpt.Key, error) {
	if p.fault == FaultAESStrongerKey && p.aesType != dukpt.AES256 {
		ib := k.aes.Key().Bytes()
		defer clear(ib)
		kb, err := StrongerWorkingKey(ib, u, dukpt.AES256, k.aes.KSN().InitialKeyID(), k.aes.KSN().Counter())
		if err != nil {
			return dukpt.Key{}, err
		}
		defer clear(kb)
		return dukpt.NewKey(dukpt.AES256, kb)
	}
	return k.aes.WorkingKey(u, p.aesType)
}

// StrongerWorkingKey derives, from the intermediate derivation key ik, the
// working key of type wt and usage u with the X9.24-3:2017 derivation
// function, without the rule that a working key may not be stronger than
// its derivation key. It is what a device with the aes-stronger-working-key
// fault does; the suite uses it to name that defect. The caller owns and
// should clear the returned bytes.
func StrongerWorkingKey(ik []byte, u dukpt.KeyUsage, wt dukpt.KeyType, id dukpt.InitialKeyID, counter uint32) ([]byte, error) {
	d, err := dukpt.DerivationData(u, wt, id, counter)
	if err != nil {
		return nil, err
	}
	c, err := aes.NewCipher(ik)
	if err != nil {
		return nil, fmt.Errorf("pinpad: derivation key: %w", err)
	}
	out := make([]byte, 0, wt.Size()+16)
	var blk [16]byte
	for len(out) < wt.Size() {
		c.Encrypt(blk[:], d[:])
		out = append(out, blk[:]...)
		d[1]++
	}
	clear(blk[:])
	return out[:wt.Size()], nil
}

// upperHex is hex encoding in upper case.
func upperHex(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 2*len(b))
	for i, v := range b {
		out[2*i], out[2*i+1] = digits[v>>4], digits[v&0x0F]
	}
	return string(out)
}
