package keymgmt

import (
	"fmt"
	"time"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/harness"
)

// Transactions KEY-KSN-001 runs per scheme. 2,100 TDES transactions take
// a plain binary counter past 0x7FF, the first 21-bit value with 11 one
// bits.
const (
	ksnTransactionsTDES = 2100
	ksnTransactionsAES  = 64
)

var _ = harness.Case(harness.TestCase{
	ID:    "KEY-KSN-001",
	Suite: "keymgmt", Needs: "pinpad",
	Title:        "KSNs strictly increase, carry valid counters, and refused requests use no counter",
	Requirement:  "Over consecutive PIN, MAC and data-encryption transactions a DUKPT PIN pad MUST return KSNs that carry the initial KSN (TDES) or initial key ID (AES) of its key and counters that strictly increase, never repeat and are valid: never 0, at most 10 one bits in 21 bits (TDES) or 16 in 32 (AES). After a key is loaded the first counter MUST be 1, and a request refused for bad parameters (-32602) MUST NOT use a counter.",
	Requirements: []string{reqX924_1A, reqPIN18, reqSeedKeys},
	Timeout:      10 * time.Minute, // 2,100 TDES transactions, for slow devices
	Exercises:    "KSN",
}, func(t *harness.T) {
	var p problems
	kindsOf := func(s scheme) []string {
		var kinds []string
		if len(formats(t, s)) > 0 {
			kinds = append(kinds, mPIN)
		}
		if t.HasCapability(Role, capMAC) {
			kinds = append(kinds, mMAC)
		}
		if t.HasCapability(Role, capData) {
			kinds = append(kinds, mData)
		}
		return kinds
	}
	usable := func(s scheme) string {
		if len(kindsOf(s)) == 0 {
			return "the PIN pad declares no transaction for it (no PIN format, mac or data-encryption)"
		}
		return ""
	}
	tested := forEachKey(t, schemes(t), usable, func(s scheme, k *keyCtx) {
		fs, kinds := formats(t, s), kindsOf(s)
		before := p.n
		n := ksnTransactionsAES
		if s.tdes() {
			n = ksnTransactionsTDES
		}
		var prev uint32
		count := 0
		check := func(ksn []byte) {
			counter, prob := k.checkKSN(ksn)
			count++
			t.Exercised("KSN")
			switch {
			case prob != "":
				p.add("%s: transaction %d: %s", s.name, count, prob)
			case count == 1 && k.loaded && counter != 1:
				p.add("%s: the first transaction after loading the key used counter %X; it must be 1", s.name, counter)
			case count > 1 && counter == prev:
				p.add("%s: transaction %d repeats KSN %X", s.name, count, ksn)
			case count > 1 && counter < prev:
				p.add("%s: transaction %d: the counter went back from %X to %X (KSN %X)", s.name, count, prev, counter, ksn)
			}
			prev = counter
		}
		params := func(kind string, i int) any {
			if kind == mPIN {
				return pinParams{"1234", "4012345678909", fs[0]}
			}
			return dataParams{fmt.Sprintf("%016X", i)}
		}
		result := func(kind string) any {
			switch kind {
			case mPIN:
				return &pinResult{}
			case mMAC:
				return &macResult{}
			}
			return &dataResult{}
		}
		ksnOf := func(r any) []byte {
			switch r := r.(type) {
			case *pinResult:
				return unhex(r.KSN)
			case *macResult:
				return unhex(r.KSN)
			case *dataResult:
				return unhex(r.KSN)
			}
			return nil
		}

		// One transaction, then requests with bad parameters, then one
		// more: it must take the counter right after the first.
		r := result(kinds[0])
		t.MustCall(Role, kinds[0], params(kinds[0], 0), r)
		check(ksnOf(r))
		first := prev
		var bad []badRequest
		if len(fs) > 0 {
			wrong := "iso4"
			if !s.tdes() {
				wrong = "iso0"
			}
			bad = append(bad,
				badRequest{mPIN, pinParams{"12", "4012345678909", fs[0]}, "a 2-digit PIN"},
				badRequest{mPIN, pinParams{"1234", "4012345678909", wrong}, "format " + wrong + " for a " + s.wire + " key"})
		}
		if t.HasCapability(Role, capMAC) {
			bad = append(bad, badRequest{mMAC, dataParams{"not hex"}, "data that is not hexadecimal"})
		}
		for _, b := range bad {
			// A refusal comes back here; any other error but -32602
			// ends the test (harness.T.CallInvalid).
			err := t.CallInvalid(Role, b.method, b.params, result(b.method))
			code, _ := adapter.ErrorCode(err)
			switch {
			case err == nil:
				p.add("%s: %s accepted %s; it must refuse it with -32602", s.name, b.method, b.what)
			case code != adapter.CodeInvalidParams:
				p.add("%s: %s refused %s with code %d (%s); it must use -32602", s.name, b.method, b.what, code, adapter.CodeText(code))
			}
		}
		r = result(kinds[0])
		t.MustCall(Role, kinds[0], params(kinds[0], 1), r)
		check(ksnOf(r))
		if len(bad) > 0 && p.n == before {
			next, err := nextCounter(s, first)
			if err == nil && prev != next {
				p.add("%s: after requests refused for bad parameters the counter went from %X to %X, not to %X: a refused request used a counter", s.name, first, prev, next)
			}
		}

		// Many transactions, pipelined, all kinds in turn.
		calls := make([]adapter.Call, n)
		for i := range calls {
			kind := kinds[i%len(kinds)]
			calls[i] = adapter.Call{Method: kind, Params: params(kind, i), Result: result(kind)}
		}
		mustBatch(t, calls)
		for _, call := range calls {
			check(ksnOf(call.Result))
		}
		t.Note("%s: %d transactions (%v in turn): counters from %X to %X", s.name, count, kinds, first, prev)
	})
	if tested == 0 {
		t.NotApplicable("no declared scheme has both a usable key and a transaction method")
	}
	Expect(p.n).To(BeZero(), fmt.Sprintf("KSN and counter problems:\n  %s", &p))
})

// nextCounter is the counter a device uses after c.
func nextCounter(s scheme, c uint32) (uint32, error) {
	if s.tdes() {
		return dukpt.NextTDESCounter(c)
	}
	return dukpt.NextAESCounter(c)
}

// badRequest is a request a PIN pad must refuse with -32602.
type badRequest struct {
	method string
	params any
	what   string
}
