package keymgmt

import (
	"errors"
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
}, func(t *harness.T) {
	c := pinpadClient(t)
	var p problems
	tested := 0
	for _, s := range schemes(t, c) {
		fs := formats(c, s)
		var kinds []string
		if len(fs) > 0 {
			kinds = append(kinds, mPIN)
		}
		if c.HasCapability(capMAC) {
			kinds = append(kinds, mMAC)
		}
		if c.HasCapability(capData) {
			kinds = append(kinds, mData)
		}
		if len(kinds) == 0 {
			t.Note("%s: the PIN pad declares no transaction for it (no PIN format, mac or data-encryption); not tested", s.name)
			continue
		}
		k, why := useKey(t, c, s)
		if k == nil {
			t.Note("%s; not tested", why)
			continue
		}
		tested++
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
		mustOK(t, callRPC(t, c, kinds[0], params(kinds[0], 0), r, "a first transaction"), kinds[0])
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
		if c.HasCapability(capMAC) {
			bad = append(bad, badRequest{mMAC, dataParams{"not hex"}, "data that is not hexadecimal"})
		}
		for _, b := range bad {
			err := callRPC(t, c, b.method, b.params, result(b.method), b.what)
			var e *adapter.Error
			switch {
			case err == nil:
				p.add("%s: %s accepted %s; it must refuse it with -32602", s.name, b.method, b.what)
			case errors.As(err, &e) && e.Code == adapter.CodeInvalidParams:
			case errors.As(err, &e):
				p.add("%s: %s refused %s with code %d (%s); it must use -32602", s.name, b.method, b.what, e.Code, adapter.CodeText(e.Code))
			default:
				t.Errorf("%v", err)
			}
		}
		r = result(kinds[0])
		mustOK(t, callRPC(t, c, kinds[0], params(kinds[0], 1), r, "the transaction after the refused requests"), kinds[0])
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
		for i, err := range batch(t, c, calls) {
			mustOK(t, err, calls[i].Method)
			check(ksnOf(calls[i].Result))
		}
		t.Note("%s: %d transactions (%v in turn): counters from %X to %X", s.name, count, kinds, first, prev)
	}
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
