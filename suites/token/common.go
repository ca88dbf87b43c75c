// Package token is paycert's token service suite: what a token service
// provider (TSP) behind a cloud payment wallet must do with tokens and
// limited-use keys (LUKs). It reaches the TSP through the tsp role of the
// adapter protocol (docs/adapter-protocol.md, "### tsp") and plays the
// phone: it provisions tokens, asks for LUKs and computes the token
// cryptograms (emvcrypto.TokenCryptogram) that it submits to
// tsp.authorize. One test case plays the card side: paycert's in-process
// reference card, or a card probe with the card app's wallet adapter.
//
// Test cases are declared with harness.Case and run through certify or
// `go test`.
package token

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/mask"
)

// Requirement IDs used by this suite; docs/requirements.md paraphrases each.
const (
	reqDSS35       = "PCI DSS v4.0.1 3.5.1"
	reqDSS6        = "PCI DSS v4.0.1 6.2.4"
	reqSSF         = "PCI SSF SSS 6.1"
	reqSeedToken   = "SEED-Q5 tokens not PANs"
	reqSeedLUK     = "SEED-Q6 limited-use keys"
	reqSeedDyn     = "SEED-Q6 dynamic data"
	reqEMVCoToken  = "EMVCo Payment Tokenisation 1.0"
	reqEMVCoDomain = "EMVCo Payment Tokenisation 1.0 domain"
	reqEMVCoLife   = "EMVCo Payment Tokenisation 1.0 lifecycle"
	reqSeedKeys    = "SEED-Q7 unique keys"
	reqDSS371      = "PCI DSS v4.0.1 3.7.1"
	reqDSS374      = "PCI DSS v4.0.1 3.7.4"
	reqDSS361      = "PCI DSS v4.0.1 3.6.1"
	reqEMVCoElig   = "EMVCo Payment Tokenisation 1.0 eligibility"
)

func init() { harness.CheckResults(role, noFundingPAN) }

// fundingPANsKey is where a test case keeps (in harness.T.Values) every
// funding PAN it has sent, for noFundingPAN.
const fundingPANsKey = "token.funding-pans"

// noFundingPAN is the tsp role's rule that no result carries the funding
// PAN (docs/adapter-protocol.md, tsp conventions), checked on the raw
// result of every call before the suite's result types reduce it to the
// members they know: every string (and number) at any depth, in any
// encoding mask.Find knows. The message names the member and the masked
// PAN, never its digits.
func noFundingPAN(t *harness.T, method string, raw json.RawMessage) error {
	pans, _ := t.Values[fundingPANsKey].([]string)
	if len(pans) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil // the result's own decoding reports it
	}
	var found error
	walkJSON(v, "result", func(path, s string) {
		for _, pan := range pans {
			if how := mask.Find(s, pan); how != "" && found == nil {
				found = fmt.Errorf("%s carries the funding PAN %s (%s)", path, mask.PAN(pan), how)
			}
		}
	})
	return found
}

// walkJSON calls fn with the path and text of every string, number and
// member name in v.
func walkJSON(v any, path string, fn func(path, s string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			fn(path+" member name", k)
			walkJSON(x, path+"."+k, fn)
		}
	case []any:
		for i, x := range v {
			walkJSON(x, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case string:
		fn(path, v)
	case json.Number:
		fn(path, v.String())
	}
}

// DefaultFundingPAN is the test funding PAN the suite provisions when the
// run's ICS declares none (emv.token.funding-pan); it is also the base of
// the test PANs the suite generates. It is a Luhn-valid test number, never
// a real account.
const DefaultFundingPAN = "6222021234567890128"

// maxWait bounds the real time a test case waits for a LUK to expire,
// whatever the ICS's wait-cap says; the expiry test case's spec timeout
// leaves room for it.
const maxWait = 10 * time.Minute

// maxUsesTested is the largest LUK use count the N-use test case spends.
const maxUsesTested = 1000

// role is the adapter role of the IUT the suite tests.
const role = "tsp"

// svc is a test case's handle on the token service under test, which it
// reaches through harness.T.Call and its verdict policy.
type svc struct {
	t     *harness.T
	ics   *ics.ICS // nil when the run has no ICS
	clock bool     // the adapter declared the test-clock capability
}

// needTSP returns the session's token service (every test case of the
// suite needs one, so the harness has made sure there is), ending the test
// as not applicable when the ICS has no token section.
func needTSP(t *harness.T) *svc {
	conf := t.Session().ICS
	if conf != nil {
		if why := conf.NotApplicable("token"); why != "" {
			t.NotApplicable(why)
		}
	}
	s := &svc{t: t, ics: conf, clock: t.HasCapability(role, "test-clock")}
	s.sent(s.fundingPAN())
	return s
}

// sent records a funding PAN the test case sends (or will send) to the
// token service: the masker masks it everywhere, and noFundingPAN looks
// for it in every result.
func (s *svc) sent(pan string) {
	s.t.Session().Masker.Add(pan)
	pans, _ := s.t.Values[fundingPANsKey].([]string)
	if !slices.Contains(pans, pan) {
		s.t.Values[fundingPANsKey] = append(pans, pan)
	}
}

// fundingPAN is the card the ICS declares (token.funding-pan, else
// emv.token.funding-pan), or DefaultFundingPAN.
func (s *svc) fundingPAN() string {
	if pan := s.ics.TestFundingPAN(); pan != "" {
		return pan
	}
	return DefaultFundingPAN
}

// tokenRanges are the declared token BIN ranges (token.bin-ranges, else
// emv.token.bin-ranges; none without them).
func (s *svc) tokenRanges() []ics.BINRange { return s.ics.TokenRanges() }

// currency is the ISO 4217 numeric code the suite's transactions use.
func (s *svc) currency() uint16 {
	if s.ics != nil && s.ics.EMV != nil && s.ics.EMV.Currency > 0 && s.ics.EMV.Currency <= 999 {
		return uint16(s.ics.EMV.Currency)
	}
	return 156
}

// testPAN returns a fresh Luhn-valid test PAN with the funding PAN's first
// six digits and length (random middle digits from the session's seeded
// source). Test cases use their own PANs so that no two share a token.
func (s *svc) testPAN() string {
	base := s.fundingPAN()
	for {
		b := []byte(base[:6])
		for range len(base) - 7 {
			b = append(b, byte('0'+s.t.Session().IntN(10)))
		}
		pan := string(b) + string(mask.LuhnDigit(string(b)))
		if pan != base {
			s.sent(pan)
			return pan
		}
	}
}

// device returns a new device identifier; label says what the device is
// for in the test case.
func (s *svc) device(label string) string {
	return fmt.Sprintf("paycert-%s-%X", label, s.t.Session().Rand(4))
}

// expiry is the funding card expiry the suite provisions: December, four
// years ahead.
func expiry() string {
	return fmt.Sprintf("%02d12", (time.Now().UTC().Year()+4)%100)
}

// advance moves the TSP's test clock forward: the adapter declared the
// test-clock capability, so it must not refuse.
func (s *svc) advance(seconds int64) {
	var r struct {
		Now string `json:"now"`
	}
	s.t.MustCall(role, "clock.advance", map[string]int64{"seconds": seconds}, &r)
}

// tokenResult is the result of tsp.provision and tsp.replace.
type tokenResult struct {
	Token       string `json:"token"`
	TokenRef    string `json:"token_ref"`
	TokenExpiry string `json:"token_expiry,omitempty"`
	Status      string `json:"status,omitempty"`
}

func (r *tokenResult) RequiredFields() []string { return []string{"token", "token_ref"} }

func (r *tokenResult) Validate() error {
	if r.Token == "" || strings.Trim(r.Token, "0123456789") != "" {
		return errors.New(`"token" must be a string of decimal digits`)
	}
	if r.TokenRef == "" {
		return errors.New(`"token_ref" is empty`)
	}
	return nil
}

// PANs lets the harness mask the token in the evidence.
func (r *tokenResult) PANs() []string { return []string{r.Token} }

// lukResult is the result of tsp.issue_luk.
type lukResult struct {
	LUKID      string `json:"luk_id"`
	LUK        string `json:"luk"`
	KCV        string `json:"kcv"`
	TTLSeconds int64  `json:"ttl_seconds"`
	MaxUses    int    `json:"max_uses"`
	ExpiresAt  string `json:"expires_at,omitempty"`

	key emvcrypto.Key
}

func (r *lukResult) RequiredFields() []string {
	return []string{"luk_id", "luk", "kcv", "ttl_seconds", "max_uses"}
}

// Validate checks the key and its check value; its messages never quote
// the key.
func (r *lukResult) Validate() error {
	b, err := hex.DecodeString(r.LUK)
	if err != nil || len(b) != emvcrypto.LUKLen {
		return fmt.Errorf(`"luk" must be %d hex digits (a double-length TDES key)`, 2*emvcrypto.LUKLen)
	}
	k, err := emvcrypto.NewLUK(b)
	clear(b)
	if err != nil {
		return err
	}
	kcv, err := emvcrypto.LUKCheckValue(k)
	if err != nil {
		return err
	}
	switch {
	case !strings.EqualFold(r.KCV, kcv):
		return fmt.Errorf(`"kcv" %q is not the check value of "luk"`, r.KCV)
	case r.LUKID == "":
		return errors.New(`"luk_id" is empty`)
	case r.TTLSeconds < 1:
		return fmt.Errorf(`"ttl_seconds" %d is not positive`, r.TTLSeconds)
	case r.MaxUses < 1:
		return fmt.Errorf(`"max_uses" %d is not positive`, r.MaxUses)
	}
	r.key = k
	return nil
}

// decisionResult is the result of tsp.authorize.
type decisionResult struct {
	Approved bool   `json:"approved"`
	Reason   string `json:"reason,omitempty"`
}

func (r *decisionResult) RequiredFields() []string { return []string{"approved"} }

// statusResult is the result of tsp.suspend, tsp.resume and tsp.delete.
type statusResult struct {
	TokenRef string `json:"token_ref,omitempty"`
	Status   string `json:"status"`
}

func (r *statusResult) RequiredFields() []string { return []string{"status"} }

// authorizeParams are the params of tsp.authorize.
type authorizeParams struct {
	Token      string `json:"token"`
	LUKID      string `json:"luk_id"`
	ATC        int    `json:"atc"`
	UN         string `json:"un"`
	Amount     int64  `json:"amount"`
	Currency   int    `json:"currency"`
	Date       string `json:"date"`
	Cryptogram string `json:"cryptogram"`
}

// PANs lets the harness mask the token in the evidence.
func (a authorizeParams) PANs() []string { return []string{a.Token} }

// decision is the TSP's answer to one authorisation: a result or a
// refusal, both of which decline.
type decision struct {
	approved bool
	reason   string
}

func (d decision) String() string {
	if d.approved {
		return "approved"
	}
	if d.reason == "" {
		return "declined"
	}
	return "declined (" + d.reason + ")"
}

// authorize submits one authorisation.
func (s *svc) authorize(a authorizeParams) decision {
	var r decisionResult
	if err := s.t.Call(role, "tsp.authorize", a, &r); err != nil {
		return decision{reason: err.Error()}
	}
	return decision{approved: r.Approved, reason: r.Reason}
}

// phone plays a wallet holding one token: it keeps the token's ATC and its
// current LUK and computes token cryptograms with it.
type phone struct {
	s      *svc
	pan    string
	device string
	tok    tokenResult
	luk    *lukResult
	atc    uint16
}

// tryProvision asks for a token for pan on device.
func (s *svc) tryProvision(pan, device string) (*phone, error) {
	return s.tryProvisionExpiring(pan, expiry(), device)
}

// tryProvisionExpiring is tryProvision for a card with the given expiry
// (YYMM).
func (s *svc) tryProvisionExpiring(pan, exp, device string) (*phone, error) {
	s.sent(pan)
	p := &phone{s: s, pan: pan, device: device, atc: uint16(1 + s.t.Session().IntN(0x7FFF))}
	err := s.t.Call(role, "tsp.provision", map[string]string{"funding_pan": pan, "expiry": exp, "device_id": device}, &p.tok)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// provision is tryProvision for test cases that cannot go on without the
// token: a refusal ends the test with verdict error.
func (s *svc) provision(pan, device string) *phone {
	p, err := s.tryProvision(pan, device)
	if err != nil {
		s.t.Errorf("%v: the token service refused to provision the test PAN %s, so the test case cannot be exercised (paycert provisions the ICS's funding PAN and Luhn-valid test PANs in its BIN)", err, mask.PAN(pan))
	}
	return p
}

// tryIssueLUK asks for a LUK for the phone's token; maxUses, if not zero,
// asks for that many uses (the TSP decides; the result says what applies).
// The phone uses the new LUK from then on: paycert never uses a LUK after
// asking for a newer one for the same token.
func (p *phone) tryIssueLUK(maxUses int) (*lukResult, error) {
	params := map[string]any{"token_ref": p.tok.TokenRef}
	if maxUses > 0 {
		params["max_uses"] = maxUses
	}
	var r lukResult
	if err := p.s.t.Call(role, "tsp.issue_luk", params, &r); err != nil {
		return nil, err
	}
	p.luk = &r
	// The LUK came over the wire: no file of the run may contain it, and
	// an IUT that quotes it shows its KCV.
	p.s.t.AddSecret(r.LUK, r.KCV)
	p.s.t.Note("token %s: LUK %s (KCV %s), %d s, %d uses", mask.PAN(p.tok.Token), r.LUKID, strings.ToUpper(r.KCV), r.TTLSeconds, r.MaxUses)
	return &r, nil
}

// issueLUK is tryIssueLUK ending the test with verdict error on a refusal.
func (p *phone) issueLUK(maxUses int) *lukResult {
	r, err := p.tryIssueLUK(maxUses)
	if err != nil {
		p.s.t.Errorf("%v: the token service refused a LUK for an active token, so the test case cannot be exercised", err)
	}
	return r
}

// lifecycle calls tsp.suspend, tsp.resume or tsp.delete on the phone's
// token, returning a refusal.
func (p *phone) lifecycle(method string) error {
	var r statusResult
	return p.s.t.Call(role, method, map[string]string{"token_ref": p.tok.TokenRef, "reason": "paycert conformance test"}, &r)
}

// mustLifecycle is lifecycle ending the test with verdict error on a
// refusal.
func (p *phone) mustLifecycle(method string) {
	if err := p.lifecycle(method); err != nil {
		p.s.t.Errorf("%v: the token service refused %s for token %s, so the test case cannot be exercised", err, method, mask.PAN(p.tok.Token))
	}
}

// nextTx is the phone's next transaction: the next ATC, a fresh
// unpredictable number and amount from the session's seeded source.
func (p *phone) nextTx() emvcrypto.TokenTx {
	p.atc++
	tx := emvcrypto.TokenTx{
		Token:    p.tok.Token,
		Amount:   uint64(100 + p.s.t.Session().IntN(50000)),
		Currency: p.s.currency(),
		Date:     time.Now().UTC().Format("060102"),
		ATC:      p.atc,
	}
	copy(tx.UN[:], p.s.t.Session().Rand(4))
	return tx
}

// sign computes the token cryptogram of tx with the phone's current LUK
// and returns the tsp.authorize params.
func (p *phone) sign(tx emvcrypto.TokenTx) authorizeParams {
	return p.signWith(p.luk, tx)
}

func (p *phone) signWith(l *lukResult, tx emvcrypto.TokenTx) authorizeParams {
	if l == nil {
		p.s.t.Errorf("test case bug: no LUK issued for token %s", mask.PAN(tx.Token))
	}
	ac, err := emvcrypto.TokenCryptogram(l.key, tx)
	if err != nil {
		p.s.t.Errorf("computing the token cryptogram for token %s: %v", mask.PAN(tx.Token), err)
	}
	return paramsOf(tx, l.LUKID, ac)
}

func paramsOf(tx emvcrypto.TokenTx, lukID string, ac []byte) authorizeParams {
	return authorizeParams{
		Token: tx.Token, LUKID: lukID, ATC: int(tx.ATC), UN: fmt.Sprintf("%X", tx.UN[:]),
		Amount: int64(tx.Amount), Currency: int(tx.Currency), Date: tx.Date, Cryptogram: fmt.Sprintf("%X", ac),
	}
}

// pay runs one genuine transaction with the phone's current LUK.
func (p *phone) pay() (authorizeParams, decision) {
	a := p.sign(p.nextTx())
	d := p.s.authorize(a)
	p.s.t.Note("token %s ATC %d amount %d: %s", mask.PAN(a.Token), a.ATC, a.Amount, d)
	return a, d
}

// waitCap is how long the suite may wait in real time for a LUK to expire:
// the ICS's token.wait-cap (zero when undeclared or without an ICS), at most
// maxWait.
func (s *svc) waitCap() time.Duration {
	if s.ics == nil || s.ics.Token == nil {
		return 0
	}
	return min(s.ics.Token.WaitCap, maxWait)
}

// sleepUntil waits until deadline or the end of the test's context.
func (s *svc) sleepUntil(deadline time.Time) {
	d := time.Until(deadline)
	if d <= 0 {
		return
	}
	s.t.Note("waiting %s of real time (no test-clock capability)", d.Round(time.Millisecond))
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-s.t.Context().Done():
		s.t.Errorf("the test case ran out of time while waiting for a LUK to expire: %v", s.t.Context().Err())
	}
}
