// Package tsp is paycert's reference token service provider (TSP): the
// back end of a cloud payment wallet that provisions payment tokens for
// funding cards, issues limited-use keys (LUKs) for them and authorises the
// token cryptograms phones compute with those keys. It implements the tsp
// role of the adapter protocol (docs/adapter-protocol.md, "### tsp") on an
// adapter.Server, in-process for the embedded default ("ref:") and as
// `certify serve tsp`. Named faults each break one requirement.
//
// The PAN-token vault lives only here: a token is drawn at random
// (crypto/rand) from the token BIN, passes the Luhn check and is never
// derived from the funding PAN, which no method ever returns. A LUK is a
// random double-length TDES key with a time to live and a maximum number of
// approved uses; tsp.authorize verifies the token cryptogram
// (emvcrypto.TokenCryptogram) and declines expired, spent, replayed (same ATC or same cryptogram for the
// token), suspended and deleted ones. The service has a test clock
// (capability "test-clock"): clock.advance moves its notion of now forward.
//
// A TSP is safe for concurrent use; every connection to its Server shares
// one vault.
package tsp

import (
	"context"
	"crypto/des"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/mask"
)

// Defaults of Config, matching the token section and the card's token BIN
// range of the embedded default ICS.
const (
	DefaultTokenBIN    = "625888"
	DefaultTokenLength = 16
	DefaultLUKTTL      = 60 * time.Second
	DefaultLUKMaxUses  = 1
)

// Limits on requests.
const (
	// MaxRequestedUses is the largest max_uses tsp.issue_luk accepts.
	MaxRequestedUses = 1000
	// MaxAdvance is the largest step clock.advance accepts: ten years.
	MaxAdvance = 10 * 365 * 24 * time.Hour
)

// Config configures a reference token service. The zero value is the
// embedded default.
type Config struct {
	TokenBIN    string        // prefix of every token; default DefaultTokenBIN
	TokenLength int           // digits per token, 13 to 19; default DefaultTokenLength
	LUKTTL      time.Duration // time to live of a LUK; default DefaultLUKTTL
	LUKMaxUses  int           // approved uses per LUK; default DefaultLUKMaxUses
	Fault       string        // a fault name (see Faults), "" for none
	// Clock is the time base, default time.Now; the test clock adds the
	// offsets clock.advance accumulates.
	Clock func() time.Time
	// Rand is the source of tokens, references and keys, default
	// crypto/rand.Reader.
	Rand io.Reader
	// NoTestClock leaves out the test-clock capability and clock.advance,
	// as a production-like service would: the suite must then wait real
	// time for keys to expire.
	NoTestClock bool
	// KeepOldLUKs keeps a token's earlier keys valid when it issues a new
	// one. By default a new key replaces the token's earlier ones (the
	// reference ICS declares token.luk-replaces-previous: true).
	KeepOldLUKs bool
}

// Status values of a token.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusDeleted   = "deleted"
)

// TSP is a reference token service.
type TSP struct {
	cfg   Config
	fault string

	mu       sync.Mutex
	offset   time.Duration
	byRef    map[string]*token
	byToken  map[string]*token // token digits -> record (the latest with those digits)
	panToken map[string]string // FaultSameTokenAllDevices: funding PAN -> token digits
	fixedKey *emvcrypto.Key    // FaultSameLUKAlways: the one key
}

// token is one vault entry.
type token struct {
	ref, digits, pan, expiry, device string
	status                           string
	luks                             map[string]*luk
	atcs                             map[uint16]bool  // ATCs of approved authorisations
	acs                              map[[8]byte]bool // cryptograms of approved authorisations
	key                              *emvcrypto.Key   // FaultSameLUKPerToken: the token's one key
}

// luk is a limited-use key. The key never leaves the TSP except in the
// tsp.issue_luk result.
type luk struct {
	id       string
	key      emvcrypto.Key
	expires  time.Time
	maxUses  int
	approved int
	replaced bool // a newer key of the token replaced it
}

// New returns a reference token service.
func New(cfg Config) (*TSP, error) {
	f, err := LookupFault(cfg.Fault)
	if err != nil {
		return nil, err
	}
	if cfg.TokenBIN == "" {
		cfg.TokenBIN = DefaultTokenBIN
	}
	if cfg.TokenLength == 0 {
		cfg.TokenLength = DefaultTokenLength
	}
	if cfg.LUKTTL == 0 {
		cfg.LUKTTL = DefaultLUKTTL
	}
	if cfg.LUKMaxUses == 0 {
		cfg.LUKMaxUses = DefaultLUKMaxUses
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	switch {
	case !isDigits(cfg.TokenBIN) || len(cfg.TokenBIN) < 4 || len(cfg.TokenBIN) > 8:
		return nil, fmt.Errorf("tsp: token BIN %q must be 4 to 8 digits", cfg.TokenBIN)
	case cfg.TokenLength < 13 || cfg.TokenLength > 19 || cfg.TokenLength < len(cfg.TokenBIN)+7:
		return nil, fmt.Errorf("tsp: token length %d must be 13 to 19 and leave at least 6 random digits after the BIN", cfg.TokenLength)
	case cfg.LUKTTL < time.Second:
		return nil, fmt.Errorf("tsp: LUK time to live %v is under a second", cfg.LUKTTL)
	case cfg.LUKMaxUses < 1 || cfg.LUKMaxUses > MaxRequestedUses:
		return nil, fmt.Errorf("tsp: LUK max uses %d must be 1 to %d", cfg.LUKMaxUses, MaxRequestedUses)
	}
	if f.Name == FaultLUKPolicyMismatch {
		cfg.LUKTTL, cfg.LUKMaxUses = 300*time.Second, 5
	}
	return &TSP{
		cfg: cfg, fault: f.Name,
		byRef: map[string]*token{}, byToken: map[string]*token{}, panToken: map[string]string{},
	}, nil
}

// Server returns an adapter server for the tsp role with the "test-clock"
// capability (unless Config.NoTestClock). Its handlers share the TSP's
// state.
func (s *TSP) Server() *adapter.Server {
	version := "1"
	if s.fault != "" {
		version += " (fault " + s.fault + ")"
	}
	srv := &adapter.Server{
		Hello: adapter.HelloResult{
			Protocol:     adapter.Protocol,
			Roles:        []string{"tsp"},
			Capabilities: []string{"test-clock"},
			Implementation: adapter.Implementation{
				Vendor: "paycert", Product: "reference token service", Version: version,
			},
		},
		Methods: map[string]adapter.Handler{
			"tsp.provision": handler(s.provision),
			"tsp.issue_luk": handler(s.issueLUK),
			"tsp.authorize": handler(s.authorize),
			"tsp.suspend":   handler(s.suspend),
			"tsp.resume":    handler(s.resume),
			"tsp.delete":    handler(s.delete),
			"tsp.replace":   handler(s.replace),
			"clock.advance": handler(s.advance),
		},
	}
	if s.cfg.NoTestClock {
		srv.Hello.Capabilities = []string{}
		delete(srv.Methods, "clock.advance")
	}
	return srv
}

// handler adapts a typed method to an adapter.Handler: the params are
// decoded strictly (adapter.DecodeParams: required members, Validate) and a
// failure is answered with -32602.
func handler[P any, R any](fn func(*P) (R, error)) adapter.Handler {
	return func(_ context.Context, raw json.RawMessage) (any, error) {
		p := new(P)
		if err := adapter.DecodeParams(raw, p); err != nil {
			return nil, err
		}
		return fn(p)
	}
}

func (s *TSP) now() time.Time { return s.cfg.Clock().Add(s.offset) }

// --- tsp.provision

// ProvisionParams are the params of tsp.provision.
type ProvisionParams struct {
	FundingPAN string `json:"funding_pan"`
	Expiry     string `json:"expiry"` // YYMM
	DeviceID   string `json:"device_id"`
}

// RequiredFields implements adapter.RequiredFielder.
func (p *ProvisionParams) RequiredFields() []string {
	return []string{"funding_pan", "expiry", "device_id"}
}

// Validate implements adapter.Validator.
func (p *ProvisionParams) Validate() error {
	if err := checkPAN("funding_pan", p.FundingPAN); err != nil {
		return err
	}
	if err := checkYYMM("expiry", p.Expiry); err != nil {
		return err
	}
	return checkText("device_id", p.DeviceID)
}

// TokenResult is the result of tsp.provision and tsp.replace.
type TokenResult struct {
	Token       string `json:"token"`
	TokenRef    string `json:"token_ref"`
	TokenExpiry string `json:"token_expiry"`
	Status      string `json:"status"`
	Replaces    string `json:"replaces,omitempty"` // tsp.replace: the old token_ref
	// Funding is set only under FaultEchoesFundingPAN.
	Funding *FundingCard `json:"funding,omitempty"`
}

// FundingCard is what FaultEchoesFundingPAN leaks: the funding PAN as BCD
// padded with F, for a wallet's card art.
type FundingCard struct {
	PANBCD string `json:"pan_bcd"`
	Last4  string `json:"last4"`
}

func (s *TSP) provision(p *ProvisionParams) (TokenResult, error) {
	if !mask.Luhn(p.FundingPAN) && s.fault != FaultProvisionsIneligible {
		return TokenResult{}, adapter.Errorf(adapter.CodeDeclined, "card not eligible: the funding PAN fails the Luhn check")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Expiry < s.now().UTC().Format("0601") && s.fault != FaultProvisionsExpired {
		return TokenResult{}, adapter.Errorf(adapter.CodeExpired, "card not eligible: the funding card expired in %s", p.Expiry)
	}
	if strings.HasPrefix(p.FundingPAN, s.cfg.TokenBIN) {
		return TokenResult{}, adapter.Errorf(adapter.CodeDeclined, "card not eligible: the PAN lies in the token BIN range")
	}
	if s.fault == FaultSameTokenAllDevices {
		if digits, ok := s.panToken[p.FundingPAN]; ok {
			if t := s.byToken[digits]; t != nil && t.status != StatusDeleted {
				return s.result(t), nil // the card's existing token, whatever the device
			}
		}
	}
	var digits string
	var err error
	switch {
	case s.fault == FaultTokenFromPAN:
		digits = tokenFromPAN(s.cfg.TokenBIN, p.FundingPAN)
	case s.fault == FaultSameTokenAllDevices && s.panToken[p.FundingPAN] != "":
		digits = s.panToken[p.FundingPAN]
	case s.fault == FaultTokenOutOfRange:
		digits, err = s.newTokenDigits(p.FundingPAN[:6], p.FundingPAN)
	case s.fault == FaultTokenKeepsPANMiddle:
		digits, err = s.newTokenDigits(s.cfg.TokenBIN+p.FundingPAN[6:len(p.FundingPAN)-4], p.FundingPAN)
	default:
		digits, err = s.newTokenDigits(s.cfg.TokenBIN, p.FundingPAN)
	}
	if err != nil {
		return TokenResult{}, err
	}
	t, err := s.store(digits, p.FundingPAN, p.Expiry, p.DeviceID)
	if err != nil {
		return TokenResult{}, err
	}
	if s.fault == FaultSameTokenAllDevices {
		s.panToken[p.FundingPAN] = digits
	}
	return s.result(t), nil
}

// store adds a token to the vault under a new reference (s.mu held).
func (s *TSP) store(digits, pan, expiry, device string) (*token, error) {
	ref, err := s.newRef()
	if err != nil {
		return nil, err
	}
	t := &token{
		ref: ref, digits: digits, pan: pan, expiry: expiry, device: device, status: StatusActive,
		luks: map[string]*luk{}, atcs: map[uint16]bool{}, acs: map[[8]byte]bool{},
	}
	s.byRef[ref] = t
	s.byToken[digits] = t
	return t, nil
}

func (s *TSP) result(t *token) TokenResult {
	r := TokenResult{Token: t.digits, TokenRef: t.ref, TokenExpiry: t.expiry, Status: t.status}
	if s.fault == FaultEchoesFundingPAN {
		bcd := t.pan
		if len(bcd)%2 == 1 {
			bcd += "F"
		}
		r.Funding = &FundingCard{PANBCD: bcd, Last4: t.pan[len(t.pan)-4:]}
	}
	return r
}

// newTokenDigits draws a random Luhn-valid token with the given prefix that
// is neither pan nor a token already in the vault (s.mu held).
func (s *TSP) newTokenDigits(prefix, pan string) (string, error) {
	n := max(s.cfg.TokenLength, len(prefix)+4) - len(prefix) - 1
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	for range 100 {
		v, err := rand.Int(s.cfg.Rand, limit)
		if err != nil {
			return "", fmt.Errorf("tsp: drawing a token: %w", err)
		}
		body := prefix + fmt.Sprintf("%0*s", n, v.String())
		digits := body + string(mask.LuhnDigit(body))
		if digits != pan && s.byToken[digits] == nil {
			return digits, nil
		}
	}
	return "", errors.New("tsp: could not draw an unused token")
}

// tokenFromPAN is FaultTokenFromPAN's token: the BIN, then the PAN's digits
// after its first six (check digit excluded) each plus 3 modulo 10, then a
// Luhn check digit. Anyone who knows the rule reverses it.
func tokenFromPAN(bin, pan string) string {
	var b strings.Builder
	b.WriteString(bin)
	for i := 6; i < len(pan)-1 && b.Len() < len(pan)-1; i++ {
		b.WriteByte('0' + (pan[i]-'0'+3)%10)
	}
	body := b.String()
	return body + string(mask.LuhnDigit(body))
}

func (s *TSP) newRef() (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("tsp: drawing a token reference: %w", err)
	}
	return "TR" + strings.ToUpper(hex.EncodeToString(b)), nil
}

// lookup returns the live token with reference ref (s.mu held): a deleted
// token is gone, and every method naming it is refused with 1005.
func (s *TSP) lookup(ref string) (*token, error) {
	t := s.byRef[ref]
	if t == nil || t.status == StatusDeleted {
		return nil, adapter.Errorf(adapter.CodeNotFound, "no such token: %q", ref)
	}
	return t, nil
}

// --- tsp.issue_luk

// IssueLUKParams are the params of tsp.issue_luk.
type IssueLUKParams struct {
	TokenRef string `json:"token_ref"`
	// MaxUses, if not zero, asks for a LUK with this many uses; the
	// reference service grants it.
	MaxUses int `json:"max_uses,omitempty"`
}

// RequiredFields implements adapter.RequiredFielder.
func (p *IssueLUKParams) RequiredFields() []string { return []string{"token_ref"} }

// Validate implements adapter.Validator.
func (p *IssueLUKParams) Validate() error {
	if err := checkText("token_ref", p.TokenRef); err != nil {
		return err
	}
	if p.MaxUses < 0 || p.MaxUses > MaxRequestedUses {
		return fmt.Errorf(`"max_uses" must be 1 to %d`, MaxRequestedUses)
	}
	return nil
}

// LUKResult is the result of tsp.issue_luk. LUK is the key in hex: test
// environments only.
type LUKResult struct {
	LUKID      string `json:"luk_id"`
	LUK        string `json:"luk"`
	KCV        string `json:"kcv"`
	TTLSeconds int64  `json:"ttl_seconds"`
	MaxUses    int    `json:"max_uses"`
	ExpiresAt  string `json:"expires_at"`
}

func (s *TSP) issueLUK(p *IssueLUKParams) (LUKResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookup(p.TokenRef)
	if err != nil {
		return LUKResult{}, err
	}
	if t.status == StatusSuspended && s.fault != FaultLUKForSuspended {
		return LUKResult{}, adapter.Errorf(adapter.CodeSuspended, "token %s is suspended", t.ref)
	}
	var id string
	for id == "" || t.luks[id] != nil {
		idb := make([]byte, 6) // 12 hex digits: never taken for a PAN in evidence
		if _, err := io.ReadFull(s.cfg.Rand, idb); err != nil {
			return LUKResult{}, fmt.Errorf("tsp: drawing a LUK identifier: %w", err)
		}
		id = strings.ToUpper(hex.EncodeToString(idb))
	}
	var key emvcrypto.Key
	switch {
	case s.fault == FaultSameLUKAlways && s.fixedKey != nil:
		key = *s.fixedKey
	case s.fault == FaultSameLUKPerToken && t.key != nil:
		key = *t.key
	default:
		if key, err = s.newKey(); err != nil {
			return LUKResult{}, err
		}
		s.fixedKey, t.key = &key, &key // read only under their faults
	}
	kcv, err := emvcrypto.LUKCheckValue(key)
	if err != nil {
		return LUKResult{}, err
	}
	if s.fault == FaultWrongKCV {
		kcv = singleDESCheckValue(key)
	}
	if !s.cfg.KeepOldLUKs && s.fault != FaultOldLUKStillValid {
		for _, old := range t.luks {
			old.replaced = true
		}
	}
	uses := s.cfg.LUKMaxUses
	if p.MaxUses > 0 {
		uses = p.MaxUses
	}
	now := s.now()
	l := &luk{id: id, key: key, expires: now.Add(s.cfg.LUKTTL), maxUses: uses}
	t.luks[l.id] = l
	return LUKResult{
		LUKID: l.id, LUK: strings.ToUpper(hex.EncodeToString(key.Bytes())), KCV: kcv,
		TTLSeconds: int64(s.cfg.LUKTTL / time.Second), MaxUses: uses,
		ExpiresAt: l.expires.UTC().Format(time.RFC3339),
	}, nil
}

// newKey draws a random double-length TDES key with odd parity.
func (s *TSP) newKey() (emvcrypto.Key, error) {
	kb := make([]byte, emvcrypto.LUKLen)
	defer clear(kb)
	if _, err := io.ReadFull(s.cfg.Rand, kb); err != nil {
		return emvcrypto.Key{}, fmt.Errorf("tsp: drawing a LUK: %w", err)
	}
	oddParity(kb)
	return emvcrypto.NewLUK(kb)
}

// singleDESCheckValue is FaultWrongKCV's check value: the first 3 bytes of
// single-DES-encrypting zeros under the key's first half only.
func singleDESCheckValue(k emvcrypto.Key) string {
	b := k.Bytes()
	defer clear(b)
	c, err := des.NewCipher(b[:8])
	if err != nil {
		return "000000"
	}
	out := make([]byte, 8)
	c.Encrypt(out, out)
	return strings.ToUpper(hex.EncodeToString(out[:3]))
}

// oddParity sets the DES parity bit of every byte.
func oddParity(b []byte) {
	for i, c := range b {
		c &^= 1
		ones := 0
		for v := c; v != 0; v >>= 1 {
			ones += int(v & 1)
		}
		if ones%2 == 0 {
			c |= 1
		}
		b[i] = c
	}
}

// --- tsp.authorize

// AuthorizeParams are the params of tsp.authorize: the token cryptogram
// and its input (emvcrypto.TokenCryptogram).
type AuthorizeParams struct {
	Token      string `json:"token"`
	LUKID      string `json:"luk_id"`
	ATC        int    `json:"atc"`
	UN         string `json:"un"`
	Amount     int64  `json:"amount"`
	Currency   int    `json:"currency"`
	Date       string `json:"date"`
	Cryptogram string `json:"cryptogram"`
}

// RequiredFields implements adapter.RequiredFielder.
func (p *AuthorizeParams) RequiredFields() []string {
	return []string{"token", "luk_id", "atc", "un", "amount", "currency", "date", "cryptogram"}
}

// Validate implements adapter.Validator.
func (p *AuthorizeParams) Validate() error {
	if err := checkPAN("token", p.Token); err != nil {
		return err
	}
	if err := checkText("luk_id", p.LUKID); err != nil {
		return err
	}
	switch {
	case p.ATC < 0 || p.ATC > 0xFFFF:
		return fmt.Errorf(`"atc" %d is not 0 to 65535`, p.ATC)
	case !isHex(p.UN, 8):
		return errors.New(`"un" must be 8 hex digits`)
	case p.Amount < 0 || p.Amount > emvcrypto.MaxTokenAmount:
		return fmt.Errorf(`"amount" %d is not 0 to %d`, p.Amount, int64(emvcrypto.MaxTokenAmount))
	case p.Currency < 0 || p.Currency > 999:
		return fmt.Errorf(`"currency" %d is not an ISO 4217 numeric code`, p.Currency)
	case !isHex(p.Cryptogram, 16):
		return errors.New(`"cryptogram" must be 16 hex digits`)
	}
	if err := emvcrypto.CheckTokenDate(p.Date); err != nil {
		return fmt.Errorf(`"date": %w`, err)
	}
	return nil
}

// Decision is the result of tsp.authorize.
type Decision struct {
	Approved bool   `json:"approved"`
	Reason   string `json:"reason"`
	UsesLeft *int   `json:"uses_left,omitempty"`
}

// Decline reasons of tsp.authorize.
const (
	ReasonApproved   = "approved"
	ReasonDeleted    = "deleted"
	ReasonSuspended  = "suspended"
	ReasonUnknownLUK = "unknown-luk"
	ReasonReplaced   = "replaced"
	ReasonCryptogram = "cryptogram"
	ReasonReplay     = "replay"
	ReasonExpired    = "expired"
	ReasonExhausted  = "exhausted"
)

func (s *TSP) authorize(p *AuthorizeParams) (Decision, error) {
	un, _ := hex.DecodeString(p.UN)
	ac, _ := hex.DecodeString(p.Cryptogram)
	tx := emvcrypto.TokenTx{Token: p.Token, Amount: uint64(p.Amount), Currency: uint16(p.Currency), Date: p.Date, ATC: uint16(p.ATC)}
	copy(tx.UN[:], un)
	var acKey [8]byte
	copy(acKey[:], ac)

	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.byToken[p.Token]
	if t == nil {
		return Decision{}, adapter.Errorf(adapter.CodeNotFound, "unknown token")
	}
	decline := func(reason string) (Decision, error) { return Decision{Reason: reason}, nil }
	switch t.status {
	case StatusDeleted:
		return decline(ReasonDeleted)
	case StatusSuspended:
		return decline(ReasonSuspended)
	}
	l := t.luks[strings.ToUpper(p.LUKID)]
	if l == nil {
		return decline(ReasonUnknownLUK)
	}
	if l.replaced {
		return decline(ReasonReplaced)
	}
	if s.fault != FaultNoCryptogramCheck {
		if err := emvcrypto.VerifyTokenCryptogram(l.key, tx, ac); err != nil {
			if errors.Is(err, emvcrypto.ErrTokenMismatch) {
				return decline(ReasonCryptogram)
			}
			return Decision{}, adapter.Errorf(adapter.CodeInvalidParams, "invalid params: %v", err)
		}
	}
	if s.fault != FaultAcceptsReplay && (t.atcs[tx.ATC] || t.acs[acKey]) {
		return decline(ReasonReplay)
	}
	if s.fault != FaultAcceptsExpired && !s.now().Before(l.expires) {
		return decline(ReasonExpired)
	}
	if s.fault != FaultAcceptsOverused && l.approved >= l.maxUses {
		return decline(ReasonExhausted)
	}
	l.approved++
	t.atcs[tx.ATC] = true
	t.acs[acKey] = true
	left := max(l.maxUses-l.approved, 0)
	return Decision{Approved: true, Reason: ReasonApproved, UsesLeft: &left}, nil
}

// --- lifecycle

// LifecycleParams are the params of tsp.suspend, tsp.resume and tsp.delete.
type LifecycleParams struct {
	TokenRef string `json:"token_ref"`
	Reason   string `json:"reason,omitempty"` // free text for the TSP's audit trail
}

// RequiredFields implements adapter.RequiredFielder.
func (p *LifecycleParams) RequiredFields() []string { return []string{"token_ref"} }

// Validate implements adapter.Validator.
func (p *LifecycleParams) Validate() error { return checkText("token_ref", p.TokenRef) }

// LifecycleResult is the result of tsp.suspend, tsp.resume and tsp.delete.
type LifecycleResult struct {
	TokenRef string `json:"token_ref"`
	Status   string `json:"status"`
}

func (s *TSP) suspend(p *LifecycleParams) (LifecycleResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookup(p.TokenRef)
	if err != nil {
		return LifecycleResult{}, err
	}
	if s.fault == FaultSuspendIgnored {
		return LifecycleResult{TokenRef: t.ref, Status: StatusSuspended}, nil
	}
	t.status = StatusSuspended
	return LifecycleResult{TokenRef: t.ref, Status: t.status}, nil
}

func (s *TSP) resume(p *LifecycleParams) (LifecycleResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookup(p.TokenRef)
	if t = s.byRef[p.TokenRef]; s.fault == FaultDeleteResumable && t != nil {
		err = nil // a deleted token is only flagged, and resume clears the flag
	}
	if err != nil {
		return LifecycleResult{}, err
	}
	t.status = StatusActive
	return LifecycleResult{TokenRef: t.ref, Status: t.status}, nil
}

func (s *TSP) delete(p *LifecycleParams) (LifecycleResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookup(p.TokenRef)
	if err != nil {
		return LifecycleResult{}, err
	}
	if s.fault != FaultDeleteIgnored {
		s.retire(t)
	}
	return LifecycleResult{TokenRef: t.ref, Status: StatusDeleted}, nil
}

// retire deletes t for good: its keys are forgotten (s.mu held).
func (s *TSP) retire(t *token) {
	t.status = StatusDeleted
	clear(t.luks)
}

// ReplaceParams are the params of tsp.replace.
type ReplaceParams struct {
	TokenRef string `json:"token_ref"`
	DeviceID string `json:"device_id,omitempty"` // default: the old token's device
}

// RequiredFields implements adapter.RequiredFielder.
func (p *ReplaceParams) RequiredFields() []string { return []string{"token_ref"} }

// Validate implements adapter.Validator.
func (p *ReplaceParams) Validate() error {
	if err := checkText("token_ref", p.TokenRef); err != nil {
		return err
	}
	if p.DeviceID != "" {
		return checkText("device_id", p.DeviceID)
	}
	return nil
}

func (s *TSP) replace(p *ReplaceParams) (TokenResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.lookup(p.TokenRef)
	if err != nil {
		return TokenResult{}, err
	}
	device := old.device
	if p.DeviceID != "" {
		device = p.DeviceID
	}
	digits, err := s.newTokenDigits(s.cfg.TokenBIN, old.pan)
	if err != nil {
		return TokenResult{}, err
	}
	t, err := s.store(digits, old.pan, old.expiry, device)
	if err != nil {
		return TokenResult{}, err
	}
	if s.fault != FaultReplaceKeepsOld {
		s.retire(old)
	}
	r := s.result(t)
	r.Replaces = old.ref
	return r, nil
}

// --- clock.advance

// AdvanceParams are the params of clock.advance.
type AdvanceParams struct {
	Seconds *int64 `json:"seconds"`
}

// RequiredFields implements adapter.RequiredFielder.
func (p *AdvanceParams) RequiredFields() []string { return []string{"seconds"} }

// Validate implements adapter.Validator.
func (p *AdvanceParams) Validate() error {
	if p.Seconds == nil || *p.Seconds < 0 || *p.Seconds > int64(MaxAdvance/time.Second) {
		return fmt.Errorf(`"seconds" must be 0 to %d`, int64(MaxAdvance/time.Second))
	}
	return nil
}

// AdvanceResult is the result of clock.advance.
type AdvanceResult struct {
	Now string `json:"now"` // RFC 3339, UTC
}

func (s *TSP) advance(p *AdvanceParams) (AdvanceResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += time.Duration(*p.Seconds) * time.Second
	return AdvanceResult{Now: s.now().UTC().Format(time.RFC3339)}, nil
}

// --- validation helpers

func checkPAN(name, v string) error {
	if len(v) < 12 || len(v) > 19 || !isDigits(v) {
		return fmt.Errorf("%q must be 12 to 19 decimal digits", name)
	}
	return nil
}

func checkYYMM(name, v string) error {
	if len(v) != 4 || !isDigits(v) || v[2:] < "01" || v[2:] > "12" {
		return fmt.Errorf("%q must be YYMM", name)
	}
	return nil
}

func checkText(name, v string) error {
	if v == "" || len(v) > 128 {
		return fmt.Errorf("%q must be 1 to 128 characters", name)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7F {
			return fmt.Errorf("%q contains a control character", name)
		}
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
