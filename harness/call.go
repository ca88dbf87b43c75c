package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paycert/paycert/adapter"
)

// MethodCapabilities maps the adapter methods that belong to a capability
// rather than to a role (docs/adapter-protocol.md) to that capability.
var MethodCapabilities = map[string]string{
	"clock.advance":           "test-clock",
	"pinpad.load_initial_key": "load-initial-key",
	"pinpad.mac":              "mac",
	"pinpad.encrypt_data":     "data-encryption",
	"pinpad.test_seek":        "test-seek",
}

// withheld are the members of params and results that carry secrets: they
// never reach the evidence. A PIN is shown as one '*' per digit, a key as a
// note (its key check value, where the protocol carries one, stays).
var withheld = map[string]bool{
	"pin": true, "luk": true, "initial_key": true, "key": true, "bdk": true, "ipek": true,
}

// PANCarrier may be implemented by params and result types that carry
// PANs or tokens: Call registers them with the masker before anything is
// recorded.
type PANCarrier interface {
	PANs() []string
}

// ResultCheck inspects the raw result of a successful call to a host IUT
// before it is decoded and recorded, for a rule of the role that holds for
// every result of every method, at any depth, including members the
// suite's result types leave out (docs/adapter-protocol.md: no tsp result
// carries the funding PAN). It returns what is wrong, or nil. The error is
// masked before it is shown; it must never quote the offending value.
type ResultCheck func(t *T, method string, raw json.RawMessage) error

// resultChecks holds the checks by role; suites register them at package
// initialisation, before any run.
var resultChecks = map[string][]ResultCheck{}

// CheckResults registers check for every result of a host IUT in role
// that Call, MustCall and CallInvalid receive (not Batch, whose pipelined
// runs are the PIN pad's). A result that fails it
// breaks the role's contract: the test case ends with verdict fail. Call
// it from a suite's package initialisation.
func CheckResults(role string, check ResultCheck) {
	resultChecks[role] = append(resultChecks[role], check)
}

// Call calls method on the host IUT that plays role, with a deadline of
// ExchangeTimeout, and records the exchange as evidence (secret members
// withheld, PANs masked). It applies paycert's one verdict policy for host
// IUTs (docs/adapter-protocol.md, "Verdicts"):
//
//   - the session has no IUT in that role, or the method belongs to a
//     capability the IUT did not declare: the test ends not applicable;
//   - a business refusal (codes 1000-1999): returned to the caller, which
//     judges it;
//   - method not found or invalid params for a declared method, or a result
//     that does not fit the method (missing, empty or malformed members):
//     the test ends with verdict fail, because the IUT broke the protocol
//     contract it declared;
//   - a result that fails a check registered for the role (CheckResults):
//     the test ends with verdict fail, and the result is left out of the
//     evidence;
//   - transport failure, framing violation, timeout, a closed connection or
//     an internal error of the adapter: the test ends with verdict error,
//     because the IUT could not be exercised.
//
// So Call returns either nil or a refusal.
func (t *T) Call(role, method string, params, result any) error {
	return t.call(role, method, params, result, false)
}

// CallInvalid is Call for a request the test case made invalid on purpose,
// to see it refused: an invalid-params answer (-32602) is what the protocol
// asks for, so it is returned to the caller, like a refusal, for the test
// case to judge. Every other error is judged as Call judges it.
func (t *T) CallInvalid(role, method string, params, result any) error {
	return t.call(role, method, params, result, true)
}

func (t *T) call(role, method string, params, result any, invalid bool) error {
	c := t.host(role, method)
	for _, v := range []any{params, result} {
		t.learn(v)
	}
	t.learnSecrets(params)
	ctx, cancel := context.WithTimeout(t.ctx, ExchangeTimeout)
	defer cancel()
	start := time.Now()
	var err error
	checks := resultChecks[role]
	if len(checks) == 0 {
		err = c.Call(ctx, method, params, result)
	} else {
		var raw json.RawMessage
		if err = c.Call(ctx, method, params, &raw); err == nil {
			for _, check := range checks {
				if cerr := check(t, method, raw); cerr != nil {
					t.evidence("rpc", fmt.Sprintf("%s %s -> result withheld from the evidence: %v (%s)", method, render(params), cerr, time.Since(start).Round(time.Microsecond)))
					t.Failf("%s: %v: the result breaks the %s role's contract", method, cerr, role)
				}
			}
			err = adapter.DecodeResult(method, raw, result)
		}
	}
	d := time.Since(start).Round(time.Microsecond)
	if err != nil {
		t.evidence("rpc", fmt.Sprintf("%s %s -> error: %s (%s)", method, render(params), t.quote(err.Error(), MaxQuoted), d))
		t.judge(role, method, err, invalid)
		return err
	}
	t.learn(result)
	t.learnSecrets(result)
	t.evidence("rpc", fmt.Sprintf("%s %s -> %s (%s)", method, render(params), t.quote(render(result), MaxQuotedResult), d))
	return nil
}

// MustCall is Call for a request the IUT has to accept: a refusal ends the
// test with verdict fail.
func (t *T) MustCall(role, method string, params, result any) {
	if err := t.Call(role, method, params, result); err != nil {
		t.Failf("%s: the %s refused a valid request: %v", method, role, err)
	}
}

// Batch pipelines calls to the host IUT that plays role, with one deadline
// of ExchangeTimeout plus perCall for each call, and records one line of
// evidence for the lot. Each call's error is judged as Call judges it,
// except refusals, which are returned for the caller to judge.
func (t *T) Batch(role string, calls []adapter.Call, perCall time.Duration) []error {
	if len(calls) == 0 {
		return nil
	}
	c := t.host(role, calls[0].Method)
	ctx, cancel := context.WithTimeout(t.ctx, ExchangeTimeout+time.Duration(len(calls))*perCall)
	defer cancel()
	start := time.Now()
	errs := c.Batch(ctx, calls)
	refused := 0
	for _, err := range errs {
		if err != nil {
			refused++
		}
	}
	t.evidence("rpc", fmt.Sprintf("%d pipelined calls (%s ...) in %s, %d answered with an error", len(calls), calls[0].Method, time.Since(start).Round(time.Millisecond), refused))
	for i, err := range errs {
		if err != nil {
			t.judge(role, calls[i].Method, err, false)
		}
	}
	return errs
}

// HasCapability reports whether the host IUT in role declared capability.
func (t *T) HasCapability(role, capability string) bool {
	c := t.sess.Hosts[role]
	return c != nil && c.HasCapability(capability)
}

// host returns the IUT in role, ending the test as not applicable when
// there is none or when method needs a capability it did not declare.
func (t *T) host(role, method string) *adapter.Client {
	c := t.sess.Hosts[role]
	if c == nil {
		t.NotApplicable(fmt.Sprintf("the probe %s offers no %s IUT", t.sess.ProbeURI(), role))
	}
	if capability := MethodCapabilities[method]; capability != "" && !c.HasCapability(capability) {
		t.NotApplicable(fmt.Sprintf("%s belongs to the %s capability, which the %s IUT does not declare", method, capability, role))
	}
	return c
}

// judge ends the test for every error but a refusal (see Call) and, when
// the request was invalid on purpose, an invalid-params answer.
//
// The error's text, which quotes the IUT, is masked (known PANs and keys)
// and bounded to MaxQuoted bytes before it becomes the message.
func (t *T) judge(role, method string, err error, invalid bool) {
	if adapter.IsRefusal(err) {
		return
	}
	msg := t.quote(err.Error(), MaxQuoted)
	if code, ok := adapter.ErrorCode(err); ok {
		switch {
		case code == adapter.CodeInvalidParams && invalid:
			return
		case code == adapter.CodeMethodNotFound:
			t.Failf("%s: the %s IUT declares %s, so it must implement it", msg, role, method)
		case code == adapter.CodeInvalidParams:
			t.Failf("%s: the %s IUT rejected a valid request", msg, role)
		}
		t.Errorf("%s", msg)
	}
	if errors.Is(err, adapter.ErrProtocol) && !errors.Is(err, adapter.ErrBroken) {
		t.Failf("%s: the result does not fit the method's contract", msg)
	}
	t.Errorf("%s", msg)
}

// learn registers the PANs v carries with the masker.
func (t *T) learn(v any) {
	if p, ok := v.(PANCarrier); ok {
		for _, pan := range p.PANs() {
			t.sess.Masker.Add(pan)
		}
	}
}

// render formats params or a result for the evidence as JSON, with the
// withheld members replaced. The masker masks PANs when the line is
// recorded.
func render(v any) string {
	if v == nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("(%T: %v)", v, err)
	}
	var m any
	if json.Unmarshal(b, &m) != nil {
		return string(b)
	}
	m = redact(m)
	b, _ = json.Marshal(m)
	return string(b)
}

func redact(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch {
			case k == "pin":
				if s, ok := x.(string); ok {
					v[k] = strings.Repeat("*", len(s))
				} else {
					v[k] = "(withheld)"
				}
			case withheld[k]:
				v[k] = "(key withheld from the evidence)"
			default:
				v[k] = redact(x)
			}
		}
	case []any:
		for i := range v {
			v[i] = redact(v[i])
		}
	}
	return v
}
