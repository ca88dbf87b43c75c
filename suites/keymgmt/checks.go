package keymgmt

import (
	"fmt"
	"strings"

	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/dukpt/mac"
	"github.com/paycert/paycert/dukpt/pinblock"
)

// problems collects failures to report together, up to a bound.
type problems struct {
	list []string
	n    int
}

func (p *problems) add(format string, args ...any) {
	p.n++
	if len(p.list) < 12 {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

func (p *problems) String() string {
	s := strings.Join(p.list, "\n  ")
	if p.n > len(p.list) {
		s += fmt.Sprintf("\n  ... and %d more", p.n-len(p.list))
	}
	return s
}

// decrypts reports whether block decrypts under key to pin with pan.
func decrypts(key dukpt.Key, block []byte, pin, pan string) bool {
	c, err := key.Cipher()
	if err != nil {
		return false
	}
	got, _, err := pinblock.Decrypt(c, block, pan)
	return err == nil && got == pin
}

// computeMAC is the pinpad.mac value under key: the X9.19 retail MAC for
// a TDES key, AES-CMAC for an AES key.
func computeMAC(key dukpt.Key, data []byte) ([]byte, error) {
	if key.Type() == dukpt.TDES2 {
		kb := key.Bytes()
		defer clear(kb)
		return mac.RetailMAC(kb, data)
	}
	c, err := key.Cipher()
	if err != nil {
		return nil, err
	}
	return mac.CMAC(c, data)
}

// identify names the key under which match holds, among the other keys of
// this transaction (x may be nil), the keys of the key's earlier
// transactions and the initial key; "" when none.
func (k *keyCtx) identify(x *txKey, match func(dukpt.Key) bool) string {
	if x != nil {
		for _, cand := range x.others() {
			if match(cand.key) {
				return cand.name + " of its own KSN"
			}
		}
	}
	for i, n := len(k.history)-1, 0; i >= 0 && n < 64; i, n = i-1, n+1 {
		h := k.history[i]
		hx, err := k.derive(h.ksn)
		if err != nil {
			continue
		}
		for _, f := range []struct {
			name string
			get  func() (dukpt.Key, error)
		}{{"PIN", hx.pinKey}, {"MAC", hx.macKey}, {"data", hx.dataKey}} {
			if key, err := f.get(); err == nil && match(key) {
				return fmt.Sprintf("the %s key of an earlier transaction (KSN %X): a transaction key used twice", f.name, h.ksn)
			}
		}
	}
	if match(k.ik) {
		return "the initial key itself"
	}
	return ""
}

// transaction checks a KSN the device returned (checkKSN) and derives its
// transaction key. It returns the key, the counter and "", or the problem.
// The caller remembers the transaction once it has checked it.
func (k *keyCtx) transaction(ksn []byte) (txKey, uint32, string) {
	counter, prob := k.checkKSN(ksn)
	if prob != "" {
		return txKey{}, counter, prob
	}
	x, err := k.derive(ksn)
	if err != nil {
		return txKey{}, counter, fmt.Sprintf("KSN %X: no key derivable: %v", ksn, err)
	}
	return x, counter, ""
}

// checkPINBlock checks one PIN block: its KSN, and that it decrypts to pin
// under the PIN key the suite derives for that KSN, in the requested
// format. It returns "" or the problem.
func (k *keyCtx) checkPINBlock(ksn, block []byte, pin, pan, format string) string {
	x, counter, prob := k.transaction(ksn)
	if prob != "" {
		return prob
	}
	defer k.remember(ksn, counter)
	pk, err := x.pinKey()
	if err != nil {
		return fmt.Sprintf("KSN %X: no PIN key derivable: %v", ksn, err)
	}
	c, err := pk.Cipher()
	if err != nil {
		return fmt.Sprintf("KSN %X: %v", ksn, err)
	}
	got, f, err := pinblock.Decrypt(c, block, pan)
	want := map[string]pinblock.Format{"iso0": pinblock.Format0, "iso3": pinblock.Format3, "iso4": pinblock.Format4}[format]
	switch {
	case err == nil && got == pin && f == want:
		return ""
	case err == nil && got == pin:
		return fmt.Sprintf("KSN %X: the PIN block decrypts under the right key but is ISO format %d, not the requested %s", ksn, f, format)
	}
	what := "does not decrypt to the PIN sent"
	if err != nil {
		what = "is not a well-formed PIN block"
	}
	msg := fmt.Sprintf("KSN %X: PIN block %X, deciphered with the PIN key the host derives for this KSN, %s", ksn, block, what)
	if name := k.identify(&x, func(key dukpt.Key) bool { return decrypts(key, block, pin, pan) }); name != "" {
		msg += "; it was encrypted under " + name
	}
	return msg
}

// checkMAC checks a pinpad.mac answer against the MAC key of its KSN.
func (k *keyCtx) checkMAC(ksn, data, got []byte) string {
	return k.checkWith(ksn, data, got, "MAC", "MAC", txKey.macKey, computeMAC)
}

// checkData checks a pinpad.encrypt_data answer against the data key of
// its KSN.
func (k *keyCtx) checkData(ksn, data, got []byte) string {
	return k.checkWith(ksn, data, got, "ciphertext", "data-encryption", txKey.dataKey, dukpt.EncryptData)
}

func (k *keyCtx) checkWith(ksn, data, got []byte, what, keyName string, keyOf func(txKey) (dukpt.Key, error), compute func(dukpt.Key, []byte) ([]byte, error)) string {
	x, counter, prob := k.transaction(ksn)
	if prob != "" {
		return prob
	}
	defer k.remember(ksn, counter)
	wk, err := keyOf(x)
	if err != nil {
		return fmt.Sprintf("KSN %X: %v", ksn, err)
	}
	want, err := compute(wk, data)
	if err != nil {
		return fmt.Sprintf("KSN %X: %v", ksn, err)
	}
	if mac.Equal(got, want) {
		return ""
	}
	msg := fmt.Sprintf("KSN %X, data of %d bytes: the %s %X is not the one under the %s key the host derives for this KSN", ksn, len(data), what, got, keyName)
	if name := k.identify(&x, func(key dukpt.Key) bool {
		v, err := compute(key, data)
		return err == nil && mac.Equal(v, got)
	}); name != "" {
		msg += "; it was computed under " + name
	}
	return msg
}
