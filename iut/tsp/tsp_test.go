package tsp_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/iut/tsp"
	"github.com/paycert/paycert/mask"
)

const fundingPAN = "6222021234567890128"

// rig is a reference TSP reached through the adapter protocol, as the
// suite reaches it, with every line exchanged recorded.
type rig struct {
	t     *testing.T
	c     *adapter.Client
	mu    sync.Mutex
	lines [][]byte
}

func newRig(t *testing.T, cfg tsp.Config) *rig {
	t.Helper()
	s, err := tsp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t}
	c, err := adapter.Pipe(context.Background(), s.Server(), adapter.WithTrace(func(_ string, line []byte) {
		r.mu.Lock()
		r.lines = append(r.lines, append([]byte(nil), line...))
		r.mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r.c = c
	return r
}

func (r *rig) call(method string, params, result any) error {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.c.Call(ctx, method, params, result)
}

func (r *rig) must(method string, params, result any) {
	r.t.Helper()
	if err := r.call(method, params, result); err != nil {
		r.t.Fatalf("%s: %v", method, err)
	}
}

func code(err error) int {
	c, _ := adapter.ErrorCode(err)
	return c
}

type token struct {
	Token       string `json:"token"`
	TokenRef    string `json:"token_ref"`
	TokenExpiry string `json:"token_expiry"`
	Status      string `json:"status"`
	Replaces    string `json:"replaces"`
}

func (r *rig) provision(pan, device string) token {
	r.t.Helper()
	var res token
	r.must("tsp.provision", map[string]string{"funding_pan": pan, "expiry": "3012", "device_id": device}, &res)
	return res
}

type lukRes struct {
	LUKID      string `json:"luk_id"`
	LUK        string `json:"luk"`
	KCV        string `json:"kcv"`
	TTLSeconds int64  `json:"ttl_seconds"`
	MaxUses    int    `json:"max_uses"`
	ExpiresAt  string `json:"expires_at"`
}

func (r *rig) issue(ref string, uses int) lukRes {
	r.t.Helper()
	var l lukRes
	p := map[string]any{"token_ref": ref}
	if uses > 0 {
		p["max_uses"] = uses
	}
	r.must("tsp.issue_luk", p, &l)
	return l
}

type decision struct {
	Approved bool   `json:"approved"`
	Reason   string `json:"reason"`
}

// pay authorises a genuine transaction with the given ATC and returns the
// params (for replays) and the decision.
func (r *rig) pay(tok string, l lukRes, atc uint16, un byte) (map[string]any, decision) {
	r.t.Helper()
	kb, _ := hex.DecodeString(l.LUK)
	k, err := emvcrypto.NewLUK(kb)
	if err != nil {
		r.t.Fatal(err)
	}
	tx := emvcrypto.TokenTx{Token: tok, Amount: 1234, Currency: 156, Date: "260115", UN: [4]byte{1, 2, 3, un}, ATC: atc}
	ac, err := emvcrypto.TokenCryptogram(k, tx)
	if err != nil {
		r.t.Fatal(err)
	}
	p := map[string]any{
		"token": tok, "luk_id": l.LUKID, "atc": int(atc), "un": fmt.Sprintf("%X", tx.UN[:]),
		"amount": 1234, "currency": 156, "date": "260115", "cryptogram": fmt.Sprintf("%X", ac),
	}
	var d decision
	r.must("tsp.authorize", p, &d)
	return p, d
}

func (r *rig) authorize(p map[string]any) decision {
	r.t.Helper()
	var d decision
	r.must("tsp.authorize", p, &d)
	return d
}

func (r *rig) lifecycle(method, ref string) error {
	var res struct{ Status string }
	return r.call(method, map[string]string{"token_ref": ref}, &res)
}

func TestHello(t *testing.T) {
	r := newRig(t, tsp.Config{})
	h := r.c.Hello()
	if !h.HasRole("tsp") || !h.HasCapability("test-clock") || h.Implementation.Product == "" {
		t.Errorf("hello %+v", h)
	}
	r = newRig(t, tsp.Config{NoTestClock: true})
	if r.c.HasCapability("test-clock") {
		t.Error("NoTestClock: hello declares test-clock")
	}
	if err := r.call("clock.advance", map[string]int{"seconds": 1}, nil); code(err) != adapter.CodeMethodNotFound {
		t.Errorf("NoTestClock: clock.advance answered %v, want -32601", err)
	}
}

func TestProvision(t *testing.T) {
	r := newRig(t, tsp.Config{})
	seen := map[string]bool{}
	for i := range 50 {
		tok := r.provision(fundingPAN, fmt.Sprintf("dev-%d", i))
		if len(tok.Token) != tsp.DefaultTokenLength || !strings.HasPrefix(tok.Token, tsp.DefaultTokenBIN) || !mask.Luhn(tok.Token) {
			t.Fatalf("token %s: want a Luhn-valid %d-digit token from %s", mask.PAN(tok.Token), tsp.DefaultTokenLength, tsp.DefaultTokenBIN)
		}
		if seen[tok.Token] || seen[tok.TokenRef] || tok.Status != tsp.StatusActive || tok.TokenExpiry != "3012" {
			t.Fatalf("token %+v: repeated or wrong status/expiry", tok)
		}
		seen[tok.Token], seen[tok.TokenRef] = true, true
	}
	for _, c := range []struct {
		name   string
		params map[string]any
		code   int
	}{
		{"missing PAN", map[string]any{"expiry": "3012", "device_id": "d"}, adapter.CodeInvalidParams},
		{"missing device", map[string]any{"funding_pan": fundingPAN, "expiry": "3012"}, adapter.CodeInvalidParams},
		{"letters", map[string]any{"funding_pan": "62220212345678901X", "expiry": "3012", "device_id": "d"}, adapter.CodeInvalidParams},
		{"number PAN", map[string]any{"funding_pan": 6222021234567890128, "expiry": "3012", "device_id": "d"}, adapter.CodeInvalidParams},
		{"bad month", map[string]any{"funding_pan": fundingPAN, "expiry": "3013", "device_id": "d"}, adapter.CodeInvalidParams},
		{"control char", map[string]any{"funding_pan": fundingPAN, "expiry": "3012", "device_id": "a\nb"}, adapter.CodeInvalidParams},
		{"Luhn", map[string]any{"funding_pan": "6222021234567890127", "expiry": "3012", "device_id": "d"}, adapter.CodeDeclined},
		{"expired card", map[string]any{"funding_pan": fundingPAN, "expiry": "1901", "device_id": "d"}, adapter.CodeExpired},
		{"token as PAN", map[string]any{"funding_pan": "6258881234567898", "expiry": "3012", "device_id": "d"}, adapter.CodeDeclined},
	} {
		if err := r.call("tsp.provision", c.params, nil); code(err) != c.code {
			t.Errorf("%s: %v, want code %d", c.name, err, c.code)
		}
	}
	// The funding PAN never leaves the service.
	for _, l := range r.lines {
		if bytes.Contains(l, []byte(`"token"`)) && bytes.Contains(l, []byte(fundingPAN)) {
			t.Errorf("a response carries the funding PAN: %s", mask.Text(string(l)))
		}
	}
}

func TestLUKLifecycle(t *testing.T) {
	r := newRig(t, tsp.Config{})
	tok := r.provision(fundingPAN, "dev")
	l := r.issue(tok.TokenRef, 0)
	if l.TTLSeconds != 60 || l.MaxUses != 1 || len(l.LUK) != 32 || len(l.LUKID) != 12 {
		t.Fatalf("default LUK %+v", l)
	}
	kb, _ := hex.DecodeString(l.LUK)
	k, _ := emvcrypto.NewLUK(kb)
	if kcv, _ := emvcrypto.LUKCheckValue(k); kcv != l.KCV {
		t.Errorf("kcv %s, want %s", l.KCV, kcv)
	}
	for _, b := range kb {
		ones := 0
		for v := b; v != 0; v >>= 1 {
			ones += int(v & 1)
		}
		if ones%2 != 1 {
			t.Fatalf("LUK byte %02X has even parity", b)
		}
	}
	p, d := r.pay(tok.Token, l, 1, 1)
	if !d.Approved || d.Reason != tsp.ReasonApproved {
		t.Fatalf("first use: %+v", d)
	}
	if d := r.authorize(p); d.Approved || d.Reason != tsp.ReasonReplay {
		t.Errorf("exact replay: %+v", d)
	}
	if _, d := r.pay(tok.Token, l, 2, 2); d.Approved || d.Reason != tsp.ReasonExhausted {
		t.Errorf("second use of a one-use LUK: %+v", d)
	}

	l = r.issue(tok.TokenRef, 3)
	if _, d := r.pay(tok.Token, l, 1, 9); d.Approved || d.Reason != tsp.ReasonReplay {
		t.Errorf("approved ATC under a new LUK: %+v", d)
	}
	p, _ = r.pay(tok.Token, l, 3, 3)
	p["amount"] = 1235
	if d := r.authorize(p); d.Approved || d.Reason != tsp.ReasonCryptogram {
		t.Errorf("changed amount: %+v", d)
	}
	p["luk_id"] = "000000000000"
	if d := r.authorize(p); d.Approved || d.Reason != tsp.ReasonUnknownLUK {
		t.Errorf("unknown LUK: %+v", d)
	}
	p["token"] = "6258881234567898"
	if err := r.call("tsp.authorize", p, nil); code(err) != adapter.CodeNotFound {
		t.Errorf("unknown token: %v", err)
	}

	// Time to live, on the test clock.
	l = r.issue(tok.TokenRef, 5)
	var now struct{ Now string }
	r.must("clock.advance", map[string]int{"seconds": 59}, &now)
	if _, d := r.pay(tok.Token, l, 10, 1); !d.Approved {
		t.Errorf("59 s into a 60 s LUK: %+v", d)
	}
	r.must("clock.advance", map[string]int{"seconds": 1}, &now)
	if _, d := r.pay(tok.Token, l, 11, 1); d.Approved || d.Reason != tsp.ReasonExpired {
		t.Errorf("60 s into a 60 s LUK: %+v", d)
	}
	if err := r.call("clock.advance", map[string]int{"seconds": -1}, nil); code(err) != adapter.CodeInvalidParams {
		t.Errorf("negative advance: %v", err)
	}
	if err := r.call("clock.advance", map[string]any{}, nil); code(err) != adapter.CodeInvalidParams {
		t.Errorf("advance without seconds: %v", err)
	}

	// Suspend, resume, replace, delete.
	l = r.issue(tok.TokenRef, 5)
	if err := r.lifecycle("tsp.suspend", tok.TokenRef); err != nil {
		t.Fatal(err)
	}
	if _, d := r.pay(tok.Token, l, 20, 1); d.Approved || d.Reason != tsp.ReasonSuspended {
		t.Errorf("suspended: %+v", d)
	}
	if err := r.call("tsp.issue_luk", map[string]string{"token_ref": tok.TokenRef}, nil); code(err) != adapter.CodeSuspended {
		t.Errorf("LUK for a suspended token: %v", err)
	}
	if err := r.lifecycle("tsp.resume", tok.TokenRef); err != nil {
		t.Fatal(err)
	}
	if _, d := r.pay(tok.Token, l, 21, 1); !d.Approved {
		t.Errorf("resumed: %+v", d)
	}
	var nw token
	r.must("tsp.replace", map[string]string{"token_ref": tok.TokenRef}, &nw)
	if nw.Token == tok.Token || nw.Replaces != tok.TokenRef || !mask.Luhn(nw.Token) {
		t.Errorf("replacement %+v of %+v", nw, tok)
	}
	if _, d := r.pay(tok.Token, l, 22, 1); d.Approved || d.Reason != tsp.ReasonDeleted {
		t.Errorf("replaced token: %+v", d)
	}
	for _, m := range []string{"tsp.suspend", "tsp.resume", "tsp.delete", "tsp.replace"} {
		if err := r.lifecycle(m, tok.TokenRef); code(err) != adapter.CodeNotFound {
			t.Errorf("%s of a replaced token: %v", m, err)
		}
	}
	nl := r.issue(nw.TokenRef, 2)
	if _, d := r.pay(nw.Token, nl, 1, 1); !d.Approved {
		t.Errorf("replacement token: %+v", d)
	}
	if err := r.lifecycle("tsp.delete", nw.TokenRef); err != nil {
		t.Fatal(err)
	}
	if _, d := r.pay(nw.Token, nl, 2, 1); d.Approved || d.Reason != tsp.ReasonDeleted {
		t.Errorf("deleted token: %+v", d)
	}
	if err := r.call("tsp.issue_luk", map[string]string{"token_ref": nw.TokenRef}, nil); code(err) != adapter.CodeNotFound {
		t.Errorf("LUK for a deleted token: %v", err)
	}

	// Malformed authorisations are -32602, never a decision.
	good, _ := r.pay(nw.Token, nl, 3, 1)
	for name, mutate := range map[string]func(map[string]any){
		"no cryptogram": func(p map[string]any) { delete(p, "cryptogram") },
		"short UN":      func(p map[string]any) { p["un"] = "0102" },
		"ATC range":     func(p map[string]any) { p["atc"] = 70000 },
		"ATC string":    func(p map[string]any) { p["atc"] = "1" },
		"amount":        func(p map[string]any) { p["amount"] = -1 },
		"date":          func(p map[string]any) { p["date"] = "261340" },
		"currency":      func(p map[string]any) { p["currency"] = 1000 },
	} {
		p := map[string]any{}
		for k, v := range good {
			p[k] = v
		}
		mutate(p)
		if err := r.call("tsp.authorize", p, nil); code(err) != adapter.CodeInvalidParams {
			t.Errorf("%s: %v, want -32602", name, err)
		}
	}
	// No response ever carries the funding PAN.
	for _, line := range r.lines {
		if bytes.Contains(line, []byte(fundingPAN)) && !bytes.Contains(line, []byte(`"method"`)) {
			t.Errorf("a response carries the funding PAN: %s", mask.Text(string(line)))
		}
	}
}

// TestFaults checks that each fault changes the behaviour it names.
func TestFaults(t *testing.T) {
	pan2 := "6222029876543210"
	pan2 += string(mask.LuhnDigit(pan2))
	for _, c := range []struct {
		fault string
		check func(r *rig) bool // reports whether the fault showed
	}{
		{tsp.FaultAcceptsExpired, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d")
			l := r.issue(tok.TokenRef, 2)
			r.must("clock.advance", map[string]int{"seconds": 3600}, nil)
			_, d := r.pay(tok.Token, l, 1, 1)
			return d.Approved
		}},
		{tsp.FaultAcceptsOverused, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d")
			l := r.issue(tok.TokenRef, 1)
			r.pay(tok.Token, l, 1, 1)
			_, d := r.pay(tok.Token, l, 2, 1)
			return d.Approved
		}},
		{tsp.FaultAcceptsReplay, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d")
			l := r.issue(tok.TokenRef, 3)
			p, _ := r.pay(tok.Token, l, 1, 1)
			return r.authorize(p).Approved
		}},
		{tsp.FaultTokenFromPAN, func(r *rig) bool {
			a, b := r.provision(fundingPAN, "a"), r.provision(fundingPAN, "b")
			return a.Token == b.Token && len(a.Token) == len(fundingPAN) && mask.Luhn(a.Token)
		}},
		{tsp.FaultSameTokenAllDevices, func(r *rig) bool {
			a, b := r.provision(fundingPAN, "a"), r.provision(fundingPAN, "b")
			r.lifecycle("tsp.delete", a.TokenRef)
			c := r.provision(fundingPAN, "a")
			return a.Token == b.Token && c.Token == a.Token && r.provision(pan2, "a").Token != a.Token
		}},
		{tsp.FaultSuspendIgnored, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d")
			l := r.issue(tok.TokenRef, 2)
			r.lifecycle("tsp.suspend", tok.TokenRef)
			_, d := r.pay(tok.Token, l, 1, 1)
			return d.Approved
		}},
		{tsp.FaultDeleteIgnored, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d")
			l := r.issue(tok.TokenRef, 2)
			r.lifecycle("tsp.delete", tok.TokenRef)
			_, d := r.pay(tok.Token, l, 1, 1)
			return d.Approved
		}},
		{tsp.FaultReplaceKeepsOld, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d")
			l := r.issue(tok.TokenRef, 2)
			r.must("tsp.replace", map[string]string{"token_ref": tok.TokenRef}, nil)
			_, d := r.pay(tok.Token, l, 1, 1)
			return d.Approved
		}},
		{tsp.FaultTokenOutOfRange, func(r *rig) bool {
			return strings.HasPrefix(r.provision(fundingPAN, "d").Token, fundingPAN[:6])
		}},
		{tsp.FaultNoCryptogramCheck, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d")
			l := r.issue(tok.TokenRef, 3)
			p, _ := r.pay(tok.Token, l, 1, 1)
			p["atc"], p["amount"], p["cryptogram"] = 3, 99999, "0000000000000000"
			return r.authorize(p).Approved
		}},
		{tsp.FaultLUKPolicyMismatch, func(r *rig) bool {
			l := r.issue(r.provision(fundingPAN, "d").TokenRef, 0)
			return l.TTLSeconds == 300 && l.MaxUses == 5
		}},
		{tsp.FaultSameLUKAlways, func(r *rig) bool {
			a, b := r.provision(fundingPAN, "a"), r.provision(pan2, "b")
			return r.issue(a.TokenRef, 1).KCV == r.issue(b.TokenRef, 1).KCV
		}},
		{tsp.FaultSameLUKPerToken, func(r *rig) bool {
			a, b := r.provision(fundingPAN, "a"), r.provision(pan2, "b")
			la, lb := r.issue(a.TokenRef, 1), r.issue(b.TokenRef, 1)
			return la.KCV != lb.KCV && r.issue(a.TokenRef, 1).KCV == la.KCV
		}},
		{tsp.FaultOldLUKStillValid, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d")
			old := r.issue(tok.TokenRef, 2)
			r.issue(tok.TokenRef, 2)
			_, d := r.pay(tok.Token, old, 1, 1)
			return d.Approved
		}},
		{tsp.FaultWrongKCV, func(r *rig) bool {
			var l lukRes
			err := r.call("tsp.issue_luk", map[string]any{"token_ref": r.provision(fundingPAN, "d").TokenRef}, &l)
			kb, _ := hex.DecodeString(l.LUK)
			k, _ := emvcrypto.NewLUK(kb)
			kcv, _ := emvcrypto.LUKCheckValue(k)
			return err == nil && len(l.KCV) == 6 && l.KCV != kcv
		}},
		{tsp.FaultLUKForSuspended, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d")
			r.lifecycle("tsp.suspend", tok.TokenRef)
			return r.call("tsp.issue_luk", map[string]string{"token_ref": tok.TokenRef}, nil) == nil
		}},
		{tsp.FaultProvisionsIneligible, func(r *rig) bool {
			return r.call("tsp.provision", map[string]string{"funding_pan": "6222021234567890127", "expiry": "3012", "device_id": "d"}, nil) == nil
		}},
		{tsp.FaultProvisionsExpired, func(r *rig) bool {
			return r.call("tsp.provision", map[string]string{"funding_pan": fundingPAN, "expiry": "1901", "device_id": "d"}, nil) == nil
		}},
		{tsp.FaultDeleteResumable, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d")
			r.lifecycle("tsp.delete", tok.TokenRef)
			if r.lifecycle("tsp.resume", tok.TokenRef) != nil {
				return false
			}
			_, d := r.pay(tok.Token, r.issue(tok.TokenRef, 1), 1, 1)
			return d.Approved
		}},
		{tsp.FaultEchoesFundingPAN, func(r *rig) bool {
			var raw json.RawMessage
			r.must("tsp.provision", map[string]string{"funding_pan": fundingPAN, "expiry": "3012", "device_id": "d"}, &raw)
			return strings.Contains(string(raw), fundingPAN+"F")
		}},
		{tsp.FaultTokenKeepsPANMiddle, func(r *rig) bool {
			tok := r.provision(fundingPAN, "d").Token
			return len(tok) == len(fundingPAN) && tok[6:15] == fundingPAN[6:15] && mask.Luhn(tok)
		}},
	} {
		t.Run(string(c.fault), func(t *testing.T) {
			if !c.check(newRig(t, tsp.Config{Fault: string(c.fault)})) {
				t.Errorf("fault %s did not show", c.fault)
			}
			if c.check(newRig(t, tsp.Config{})) {
				t.Errorf("the fault-free service behaves as with fault %s", c.fault)
			}
		})
	}
	if len(tsp.Faults) != 21 {
		t.Errorf("%d faults tested, %d declared", 21, len(tsp.Faults))
	}
}

func TestConfig(t *testing.T) {
	for _, cfg := range []tsp.Config{
		{Fault: "nope"},
		{TokenBIN: "62A888"},
		{TokenLength: 12},
		{TokenBIN: "62588812", TokenLength: 14},
		{LUKTTL: time.Millisecond},
		{LUKMaxUses: tsp.MaxRequestedUses + 1},
	} {
		if _, err := tsp.New(cfg); err == nil || !strings.HasPrefix(err.Error(), "tsp:") {
			t.Errorf("New(%+v) = %v", cfg, err)
		}
	}
	if _, err := tsp.LookupFault("nope"); err == nil || !strings.Contains(err.Error(), "accepts-expired") {
		t.Errorf("LookupFault(nope) = %v", err)
	}
}

// TestConcurrent shares one service between connections under the race
// detector.
func TestConcurrent(t *testing.T) {
	s, err := tsp.New(tsp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			c, err := adapter.Pipe(context.Background(), s.Server())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			r := &rig{t: t, c: c}
			for i := range 20 {
				tok := r.provision(fundingPAN, fmt.Sprintf("g%d-%d", g, i))
				l := r.issue(tok.TokenRef, 2)
				if _, d := r.pay(tok.Token, l, uint16(i+1), byte(g)); !d.Approved {
					t.Errorf("goroutine %d: %+v", g, d)
				}
				if i%5 == 0 {
					r.must("clock.advance", map[string]int{"seconds": 0}, nil)
				}
			}
		})
	}
	wg.Wait()
}

// TestParamsNeverPanic throws junk at every method.
func TestParamsNeverPanic(t *testing.T) {
	r := newRig(t, tsp.Config{})
	junk := []string{`{}`, `{"token_ref":7}`, `{"funding_pan":"","expiry":"","device_id":""}`,
		`{"token":"x","luk_id":"","atc":1.5,"un":"zz","amount":1e30,"currency":-1,"date":"","cryptogram":""}`,
		`{"seconds":1e300}`, `{"max_uses":-3,"token_ref":"TR"}`}
	for _, m := range []string{"tsp.provision", "tsp.issue_luk", "tsp.authorize", "tsp.suspend", "tsp.resume", "tsp.delete", "tsp.replace", "clock.advance"} {
		for _, j := range junk {
			err := r.call(m, json.RawMessage(j), nil)
			if c := code(err); err == nil || (c != adapter.CodeInvalidParams && c != adapter.CodeNotFound) {
				t.Errorf("%s %s: %v", m, j, err)
			}
		}
	}
}
