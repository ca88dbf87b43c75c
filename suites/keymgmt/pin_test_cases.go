package keymgmt

import (
	"fmt"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/harness"
)

// pinBlocksPerFormat is how many PIN blocks KEY-PIN-001 checks per scheme
// and format.
const pinBlocksPerFormat = 16

var _ = harness.Case(harness.TestCase{
	ID:    "KEY-PIN-001",
	Suite: "keymgmt", Needs: "pinpad",
	Title:        "Every PIN block deciphers under the PIN key derived from the BDK and its KSN",
	Requirement:  "For every declared DUKPT scheme and PIN block format, every PIN block a PIN pad returns MUST decipher, in the requested ISO 9564-1 format, to the PIN entered under the PIN key a host derives from the base derivation key and the KSN returned with it: the PIN variant for TDES, the PIN-encryption working key of the derivation key's type for AES.",
	Requirements: []string{reqPIN1, reqDSS36, reqSeedKeys},
	Exercises:    "PIN block",
}, func(t *harness.T) {
	var p problems
	if conf := t.Session().ICS; conf != nil {
		for _, s := range conf.KeyMgmt.Schemes {
			if !t.HasCapability(Role, string(s)) {
				p.add("the ICS declares %s but the PIN pad's hello does not", s)
			}
		}
	}
	tested := forEachKey(t, declaredSchemes(t), needPINFormat(t), func(s scheme, k *keyCtx) {
		for _, f := range formats(t, s) {
			for range pinBlocksPerFormat {
				pin, pan := randomPIN(t), randomPAN(t)
				ksn, block := encryptPIN(t, pin, pan, f)
				t.Exercised("PIN block")
				if msg := k.checkPINBlock(ksn, block, pin, pan, f); msg != "" {
					p.add("%s, %s: %s", s.name, f, msg)
				}
			}
			t.Note("%s, %s: %d PIN blocks checked", s.name, f, pinBlocksPerFormat)
		}
	})
	if tested == 0 && p.n == 0 {
		t.NotApplicable("no declared scheme has both a usable key and a PIN block format")
	}
	Expect(p.n).To(BeZero(), fmt.Sprintf("PIN blocks that do not decipher under the PIN key of their KSN:\n  %s", &p))
})

// uniqueTransactions is how many transactions KEY-UNQ-001 runs per scheme.
const uniqueTransactions = 64

var _ = harness.Case(harness.TestCase{
	ID:    "KEY-UNQ-001",
	Suite: "keymgmt", Needs: "pinpad",
	Title:        "A unique key per transaction: N transactions, N KSNs, N distinct keys, no repeated PIN block",
	Requirement:  "A DUKPT PIN pad MUST encrypt every transaction under a key of its own: over 64 consecutive transactions with the same PIN and PAN, the KSNs MUST all differ, each PIN block MUST be encrypted under a key of its own KSN (never a fixed key, the initial key or an earlier transaction's key), the transaction keys MUST all differ and no PIN block may repeat.",
	Requirements: []string{reqSeedKeys, reqPIN18, reqDSS37},
	Exercises:    "transaction",
}, func(t *harness.T) {
	var p problems
	tested := forEachKey(t, schemes(t), needPINFormat(t), func(s scheme, k *keyCtx) {
		fs := formats(t, s)
		const pin, pan = "1234", "4012345678909"
		calls := make([]adapter.Call, uniqueTransactions)
		res := make([]pinResult, uniqueTransactions)
		for i := range calls {
			calls[i] = adapter.Call{Method: mPIN, Params: pinParams{pin, pan, fs[0]}, Result: &res[i]}
		}
		mustBatch(t, calls)
		ksns, blocks, keys := map[string]int{}, map[string]int{}, map[string]int{}
		derived := make([]*txKey, len(res))
		for i, r := range res {
			ksn, block := unhex(r.KSN), unhex(r.PINBlock)
			if j, dup := ksns[string(ksn)]; dup {
				p.add("%s: transactions %d and %d have the same KSN %X", s.name, j+1, i+1, ksn)
			} else {
				ksns[string(ksn)] = i
			}
			if j, dup := blocks[string(block)]; dup {
				p.add("%s: transactions %d and %d turned the same PIN and PAN into the same PIN block %X (KSNs %s and %s): the same key", s.name, j+1, i+1, block, res[j].KSN, r.KSN)
			} else {
				blocks[string(block)] = i
			}
			x, _, prob := k.transaction(ksn)
			if prob != "" {
				p.add("%s: transaction %d: %s", s.name, i+1, prob)
				continue
			}
			derived[i] = &x
			t.Exercised("transaction")
			pk, _ := x.pinKey()
			own := decrypts(pk, block, pin, pan)
			for _, cand := range x.others() {
				own = own || decrypts(cand.key, block, pin, pan)
			}
			if !own {
				used := ""
				for j := i - 1; j >= 0 && used == ""; j-- {
					if derived[j] == nil {
						continue
					}
					if jk, err := derived[j].pinKey(); err == nil && decrypts(jk, block, pin, pan) {
						used = fmt.Sprintf("the key of transaction %d (KSN %s)", j+1, res[j].KSN)
					}
				}
				if used == "" && decrypts(k.ik, block, pin, pan) {
					used = "the initial key"
				}
				if used != "" {
					p.add("%s: transaction %d (KSN %X) was encrypted under %s, not a key of its own", s.name, i+1, ksn, used)
				} else {
					p.add("%s: transaction %d (KSN %X): the PIN block deciphers under none of the keys DUKPT gives its KSN, so the device does not use the transaction's own key", s.name, i+1, ksn)
				}
				continue
			}
			fp := fingerprint(x.key())
			if j, dup := keys[fp]; dup {
				p.add("%s: transactions %d and %d used the same transaction key (KSNs %s and %s)", s.name, j+1, i+1, res[j].KSN, r.KSN)
			} else {
				keys[fp] = i
			}
		}
		t.Note("%s, %s: %d transactions, %d distinct KSNs, %d distinct PIN blocks, %d distinct transaction keys proven by decipherment", s.name, fs[0], len(res), len(ksns), len(blocks), len(keys))
	})
	if tested == 0 {
		t.NotApplicable("no declared scheme has both a usable key and a PIN block format")
	}
	Expect(p.n).To(BeZero(), fmt.Sprintf("transactions without a key of their own:\n  %s", &p))
})

// needPINFormat is the usable filter of forEachKey for test cases about PIN
// blocks: a scheme without a declared PIN block format is left out.
func needPINFormat(t *harness.T) func(scheme) string {
	return func(s scheme) string {
		if len(formats(t, s)) == 0 {
			return "the PIN pad declares no PIN block format for it (pin-iso0/pin-iso3 for TDES, pin-iso4 for AES)"
		}
		return ""
	}
}
