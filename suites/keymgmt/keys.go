package keymgmt

import (
	"encoding/hex"
	"fmt"

	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
)

// keyCtx is a DUKPT initial key in the device, as the suite knows it.
type keyCtx struct {
	s       scheme
	bdk     dukpt.Key
	ik      dukpt.Key          // IPEK (TDES) or initial key (AES)
	iksn    dukpt.TDESKSN      // TDES initial KSN (counter 0)
	id      dukpt.InitialKeyID // AES initial key ID
	loaded  bool               // loaded by the suite: the counter starts at 0
	history []seen             // transactions of this key seen so far
}

// seen is one transaction the device answered.
type seen struct {
	ksn     []byte
	counter uint32
}

// ksnLen is the KSN length of the key's scheme.
func (k *keyCtx) ksnLen() int {
	if k.s.tdes() {
		return dukpt.TDESKSNSize
	}
	return dukpt.AESKSNSize
}

// useKey makes a key of scheme s current in the device: the suite's test
// key when the device declares load-initial-key (loading it, so the counter
// starts at 0), else the key the ICS declares preloaded. It returns nil and
// the reason when neither is available.
func useKey(t *harness.T, s scheme) (*keyCtx, string) {
	if t.HasCapability(Role, capLoad) {
		k, err := testKey(s)
		if err != nil {
			t.Errorf("test key for %s: %v", s.name, err)
		}
		loadKey(t, k)
		return k, ""
	}
	if conf := t.Session().ICS; conf != nil {
		if p, ok := conf.KeyMgmt.PreloadedKey(s.name); ok {
			k, err := preloadedKey(s, p)
			if err != nil {
				t.Errorf("ICS preloaded key for %s: %v", s.name, err)
			}
			return k, ""
		}
	}
	return nil, fmt.Sprintf("%s: the PIN pad does not declare %s and the ICS declares no preloaded %s key", s.name, capLoad, s.name)
}

// needKey is useKey for a test case about one scheme: no key is not
// applicable.
func needKey(t *harness.T, s scheme) *keyCtx {
	k, why := useKey(t, s)
	if k == nil {
		t.NotApplicable(why)
	}
	return k
}

// preloadedKey builds the key context of an ICS preloaded key.
func preloadedKey(s scheme, p ics.Preloaded) (*keyCtx, error) {
	k := &keyCtx{s: s, bdk: p.BDK}
	raw, err := hex.DecodeString(p.KSN)
	if err != nil {
		return nil, fmt.Errorf("ksn: %w", err)
	}
	if s.tdes() {
		ksn, err := dukpt.TDESKSNFromBytes(raw)
		if err != nil {
			return nil, err
		}
		k.iksn = ksn.InitialKSN()
		if k.ik, err = dukpt.DeriveTDESIPEK(p.BDK, k.iksn); err != nil {
			return nil, err
		}
		return k, nil
	}
	if len(raw) != dukpt.AESKSNSize {
		return nil, fmt.Errorf("ksn: %d bytes, want %d", len(raw), dukpt.AESKSNSize)
	}
	k.id = dukpt.AESKSN(raw).InitialKeyID()
	if k.ik, err = dukpt.DeriveAESInitialKey(p.BDK, k.id); err != nil {
		return nil, err
	}
	return k, nil
}

// remember adds a transaction to the key's history.
func (k *keyCtx) remember(ksn []byte, counter uint32) {
	k.history = append(k.history, seen{ksn: ksn, counter: counter})
}

// checkKSN checks a KSN the device returned for transactions of k: its
// length, the initial-key part and the counter's validity. It returns the
// counter and "" or a description of the problem.
func (k *keyCtx) checkKSN(ksn []byte) (uint32, string) {
	if len(ksn) != k.ksnLen() {
		return 0, fmt.Sprintf("KSN %X has %d bytes; a %s KSN has %d", ksn, len(ksn), k.s.name, k.ksnLen())
	}
	if k.s.tdes() {
		x, _ := dukpt.TDESKSNFromBytes(ksn)
		if x.InitialKSN() != k.iksn {
			return x.Counter(), fmt.Sprintf("KSN %X does not carry the initial KSN %X of the loaded key", ksn, k.iksn[:])
		}
		if err := dukpt.ValidTDESCounter(x.Counter()); err != nil {
			return x.Counter(), fmt.Sprintf("KSN %X: counter %06X is not one a TDES DUKPT device may use (%v)", ksn, x.Counter(), err)
		}
		return x.Counter(), ""
	}
	x := dukpt.AESKSN(ksn)
	if x.InitialKeyID() != k.id {
		return x.Counter(), fmt.Sprintf("KSN %X does not carry the initial key ID %s of the loaded key", ksn, k.id)
	}
	if err := dukpt.ValidAESCounter(x.Counter()); err != nil {
		return x.Counter(), fmt.Sprintf("KSN %X: counter %08X is not one an AES DUKPT device may use (%v)", ksn, x.Counter(), err)
	}
	return x.Counter(), ""
}

// txKey is the host-side transaction key of one KSN.
type txKey struct {
	k    *keyCtx
	tdes dukpt.TDESTransactionKey
	aes  dukpt.AESTransactionKey
}

// derive returns the transaction key of a KSN that passed checkKSN.
func (k *keyCtx) derive(ksn []byte) (txKey, error) {
	if k.s.tdes() {
		x, _ := dukpt.TDESKSNFromBytes(ksn)
		tk, err := dukpt.DeriveTDESTransactionKey(k.ik, x)
		return txKey{k: k, tdes: tk}, err
	}
	tk, err := dukpt.DeriveAESTransactionKey(k.ik, dukpt.AESKSN(ksn))
	return txKey{k: k, aes: tk}, err
}

// keyed is one candidate key, named for messages.
type keyed struct {
	name string
	key  dukpt.Key
}

// pinKey is the key a PIN block under this transaction must be encrypted
// with: the PIN variant (TDES) or the PIN working key of the derivation
// key's type (AES).
func (x txKey) pinKey() (dukpt.Key, error) {
	if x.k.s.tdes() {
		return x.tdes.WorkingKey(dukpt.VariantPIN)
	}
	return x.aes.WorkingKey(dukpt.KeyUsagePINEncryption, x.k.s.bdkType)
}

// macKey and dataKey are the MAC and data-encryption (request) keys.
func (x txKey) macKey() (dukpt.Key, error) {
	if x.k.s.tdes() {
		return x.tdes.WorkingKey(dukpt.VariantMACRequest)
	}
	return x.aes.WorkingKey(dukpt.KeyUsageMACGeneration, x.k.s.bdkType)
}

func (x txKey) dataKey() (dukpt.Key, error) {
	if x.k.s.tdes() {
		return x.tdes.WorkingKey(dukpt.VariantDataRequest)
	}
	return x.aes.WorkingKey(dukpt.KeyUsageDataEncrypt, x.k.s.bdkType)
}

// others lists every other key of this transaction a confused device might
// use, for diagnosis: the other variants or usages, the transaction key
// itself and, for AES, working keys stronger than the derivation key.
func (x txKey) others() []keyed {
	var out []keyed
	add := func(name string, k dukpt.Key, err error) {
		if err == nil {
			out = append(out, keyed{name, k})
		}
	}
	if x.k.s.tdes() {
		for _, v := range []dukpt.Variant{dukpt.VariantPIN, dukpt.VariantMACRequest, dukpt.VariantMACResponse, dukpt.VariantDataRequest, dukpt.VariantDataResponse} {
			k, err := x.tdes.WorkingKey(v)
			add(fmt.Sprintf("the %v key", v), k, err)
		}
		for _, v := range []dukpt.Variant{dukpt.VariantDataRequest, dukpt.VariantDataResponse} {
			k, err := x.tdes.VariantKey(v)
			add(fmt.Sprintf("the %v variant without the one-way function", v), k, err)
		}
		out = append(out, keyed{"the transaction key itself (no variant)", x.tdes.Key()})
		return out
	}
	usages := []dukpt.KeyUsage{dukpt.KeyUsagePINEncryption, dukpt.KeyUsageMACGeneration, dukpt.KeyUsageMACVerification, dukpt.KeyUsageMACBoth, dukpt.KeyUsageDataEncrypt, dukpt.KeyUsageDataDecrypt, dukpt.KeyUsageDataBoth}
	for _, u := range usages {
		k, err := x.aes.WorkingKey(u, x.k.s.bdkType)
		add(fmt.Sprintf("the usage %v %v working key", u, x.k.s.bdkType), k, err)
	}
	out = append(out, keyed{"the intermediate derivation key itself", x.aes.Key()})
	for _, st := range []dukpt.KeyType{dukpt.AES192, dukpt.AES256} {
		if st.Size() <= x.k.s.bdkType.Size() {
			continue
		}
		for _, u := range usages {
			if k, err := strongerKey(x.aes, u, st); err == nil {
				out = append(out, keyed{fmt.Sprintf("a STRONGER usage %v %v working key derived from the %v intermediate key", u, st, x.k.s.bdkType), k})
			}
		}
	}
	return out
}

// strongerKey derives the working key of type wt and usage u from an AES
// intermediate key with the X9.24-3 derivation function, ignoring the rule
// that a working key may not be stronger than its derivation key (which
// dukpt enforces). Only for naming a device's defect.
func strongerKey(tk dukpt.AESTransactionKey, u dukpt.KeyUsage, wt dukpt.KeyType) (dukpt.Key, error) {
	d, err := dukpt.DerivationData(u, wt, tk.KSN().InitialKeyID(), tk.KSN().Counter())
	if err != nil {
		return dukpt.Key{}, err
	}
	c, err := tk.Key().Cipher()
	if err != nil {
		return dukpt.Key{}, err
	}
	out := make([]byte, 0, 32)
	var blk [16]byte
	for len(out) < wt.Size() {
		c.Encrypt(blk[:], d[:])
		out = append(out, blk[:]...)
		d[1]++
	}
	defer clear(out)
	return dukpt.NewKey(wt, out[:wt.Size()])
}

// fingerprint identifies a key for distinctness checks, ignoring DES
// parity bits for TDES keys. It is never shown.
func fingerprint(k dukpt.Key) string {
	b := k.Bytes()
	defer clear(b)
	if k.Type() == dukpt.TDES2 || k.Type() == dukpt.TDES3 {
		for i := range b {
			b[i] &= 0xFE
		}
	}
	return string(b)
}

// key is the transaction key itself (TDES) or the intermediate derivation
// key (AES).
func (x txKey) key() dukpt.Key {
	if x.k.s.tdes() {
		return x.tdes.Key()
	}
	return x.aes.Key()
}
