package ics

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/mask"
)

// SchemaVersion is the only value of paycert-ics this package reads.
const SchemaVersion = 1

// ICS is a parsed and validated implementation conformance statement.
// A nil section means the implementation does not declare it, and the
// corresponding suite is not applicable.
type ICS struct {
	// Source is the name the ICS was parsed under (a file path, or
	// "default.yaml" for the embedded default).
	Source string
	// Version is the schema version (paycert-ics), always SchemaVersion.
	Version        int
	Implementation Implementation
	EMV            *EMV          // emv: the card suite
	Token          *TokenService // token: the token service suite
	KeyMgmt        *KeyMgmt      // keymgmt: the DUKPT PIN pad suite

	// Made by Parse, so that the ICS never holds its document (with the
	// keys in clear) in a field that printing it would show.
	sha256    string // of the document as parsed
	redacted  []byte // the document redacted (Redacted)
	redactErr error
}

// Implementation identifies the implementation under test.
type Implementation struct {
	Vendor  string
	Product string
	Version string
}

// EMV is the emv section: the card's declared profile.
type EMV struct {
	// OnlineOnly is the declared profile; a cloud card must declare true.
	OnlineOnly bool
	// OfflineECash declares PBOC electronic cash; a cloud card must
	// declare false. The parser accepts true: the suite fails the card.
	OfflineECash bool
	// AIDs are the application identifiers the card offers, upper-case hex.
	AIDs []string
	// GenerateAC declares the full flow with GENERATE AC; false means a
	// GPO-only qPBOC card.
	GenerateAC bool
	Cryptogram Cryptogram
	Token      TokenCfg
	// CVMLimit is in minor units of Currency; above it the card must ask
	// for online PIN.
	CVMLimit int64
	// Currency is the ISO 4217 numeric currency code (156 for CNY).
	Currency int
}

// Cryptogram is emv.cryptogram: how the card's application cryptograms
// are computed. Exactly one of IMKAC and ICCMasterKey is set.
type Cryptogram struct {
	// Version is the declared name, e.g. "pboc" or "mc-cvn17"; CVN is the
	// emvcrypto cryptogram version it stands for.
	Version   string
	CVN       emvcrypto.CVN
	Algorithm emvcrypto.Algorithm
	// IMKAC is the issuer master key for AC (a TEST key); the ICC master
	// key is derived from it per card with Derivation.
	IMKAC emvcrypto.Key
	// ICCMasterKey is the card's AC master key, used directly.
	ICCMasterKey emvcrypto.Key
	// Derivation is the ICC master key derivation option (with IMKAC
	// only; zero otherwise).
	Derivation emvcrypto.DerivationOption
	// KeyIndex is the derivation key index expected in the IAD, when
	// HasKeyIndex is true.
	KeyIndex    byte
	HasKeyIndex bool
}

// TokenCfg is emv.token: the token the card carries.
type TokenCfg struct {
	// BINRanges are the token BIN ranges the card's PAN must fall in.
	BINRanges []BINRange
	// FundingPAN is the (test) PAN the token stands for.
	FundingPAN string
	// PSN is the PAN sequence number (tag 5F34) the card presents, two
	// digits, or "" when not declared.
	PSN string
}

// BINRange is a range of PAN prefixes. A single prefix has Low == High.
// Low and High are digit strings of equal length.
type BINRange struct {
	Low, High string
}

// TokenService is the token section: the limited-use key (LUK) policy.
type TokenService struct {
	// LUKTTL is the time to live of a limited-use key.
	LUKTTL time.Duration
	// LUKMaxUses is the most transactions one LUK may authorise (>= 1).
	LUKMaxUses int
	// WaitCap is the longest real time the suite may wait for a LUK to
	// expire when the implementation offers no test clock; zero when not
	// declared (the suite then never waits).
	WaitCap time.Duration
}

// DUKPTScheme names a DUKPT key management scheme.
type DUKPTScheme string

// The DUKPT schemes an ICS may declare.
const (
	DUKPTTDES   DUKPTScheme = "dukpt-tdes"
	DUKPTAES128 DUKPTScheme = "dukpt-aes128"
	DUKPTAES192 DUKPTScheme = "dukpt-aes192"
	DUKPTAES256 DUKPTScheme = "dukpt-aes256"
)

// DUKPTSchemes returns every scheme an ICS may declare.
func DUKPTSchemes() []DUKPTScheme {
	return []DUKPTScheme{DUKPTTDES, DUKPTAES128, DUKPTAES192, DUKPTAES256}
}

// KeyType returns the dukpt key type of the scheme's base derivation key,
// or 0 for an unknown scheme.
func (s DUKPTScheme) KeyType() dukpt.KeyType {
	switch s {
	case DUKPTTDES:
		return dukpt.TDES2
	case DUKPTAES128:
		return dukpt.AES128
	case DUKPTAES192:
		return dukpt.AES192
	case DUKPTAES256:
		return dukpt.AES256
	}
	return 0
}

// KSNSize returns the length in bytes of the scheme's key serial number,
// or 0 for an unknown scheme.
func (s DUKPTScheme) KSNSize() int {
	switch s {
	case DUKPTTDES:
		return dukpt.TDESKSNSize
	case DUKPTAES128, DUKPTAES192, DUKPTAES256:
		return dukpt.AESKSNSize
	}
	return 0
}

// KeyMgmt is the keymgmt section: the PIN pad's DUKPT schemes.
type KeyMgmt struct {
	Schemes []DUKPTScheme
	// Preloaded lists the test keys a device that cannot load keys holds.
	Preloaded []Preloaded
	// Exhaustive opts in to the test that runs the whole TDES DUKPT
	// transaction counter (1,048,575 transactions).
	Exhaustive bool
}

// Preloaded is a test key a device holds: the base derivation key and the
// device's key serial number (upper-case hex).
type Preloaded struct {
	Scheme DUKPTScheme
	BDK    dukpt.Key
	KSN    string
}

// Supports reports whether the scheme is declared.
func (k *KeyMgmt) Supports(s DUKPTScheme) bool {
	return k != nil && slices.Contains(k.Schemes, s)
}

// PreloadedKey returns the preloaded key of scheme s, if declared.
func (k *KeyMgmt) PreloadedKey(s DUKPTScheme) (Preloaded, bool) {
	if k == nil {
		return Preloaded{}, false
	}
	for _, p := range k.Preloaded {
		if p.Scheme == s {
			return p, true
		}
	}
	return Preloaded{}, false
}

// CVN returns the declared cryptogram version (0 for a nil EMV).
func (e *EMV) CVN() emvcrypto.CVN {
	if e == nil {
		return 0
	}
	return e.Cryptogram.CVN
}

// HasAID reports whether the card declares the application identifier aid.
func (e *EMV) HasAID(aid []byte) bool {
	if e == nil {
		return false
	}
	h := strings.ToUpper(hex.EncodeToString(aid))
	return slices.Contains(e.AIDs, h)
}

// Issuer returns the emvcrypto issuer for the card presenting pan and psn
// ("" for no PAN sequence number, read as "00"). With imk-ac the ICC
// master key is derived for pan/psn with the declared option; with
// icc-master-key that key is used as it is and pan/psn only label the
// issuer.
func (e *EMV) Issuer(pan, psn string) (*emvcrypto.Issuer, error) {
	if e == nil {
		return nil, errors.New("ics: issuer: the ICS declares no emv section")
	}
	c := e.Cryptogram
	cfg := emvcrypto.Config{PAN: pan, PSN: psn, CVN: c.CVN}
	if !c.IMKAC.IsZero() {
		cfg.IMK = c.IMKAC
		cfg.Option = c.Derivation
	} else {
		cfg.ICCMasterKey = c.ICCMasterKey
	}
	is, err := emvcrypto.NewIssuer(cfg)
	if err != nil {
		return nil, fmt.Errorf("ics: issuer: %w", err)
	}
	return is, nil
}

// InRange reports whether pan lies in one of the token BIN ranges. pan must
// be decimal digits; the comparison uses its first len(Low) digits.
func (t *TokenCfg) InRange(pan string) bool {
	if t == nil || !isDigits(pan) {
		return false
	}
	for _, r := range t.BINRanges {
		if r.Contains(pan) {
			return true
		}
	}
	return false
}

// Contains reports whether the first len(r.Low) digits of pan lie between
// r.Low and r.High inclusive. Equal-length digit strings compare
// numerically as they compare lexically.
func (r BINRange) Contains(pan string) bool {
	n := len(r.Low)
	if n == 0 || len(r.High) != n || len(pan) < n || !isDigits(pan) {
		return false
	}
	p := pan[:n]
	return p >= r.Low && p <= r.High
}

// String returns the range as written in an ICS: the prefix, or LOW-HIGH.
func (r BINRange) String() string {
	if r.Low == r.High {
		return r.Low
	}
	return r.Low + "-" + r.High
}

// NotApplicable returns why test cases that need feature do not apply to
// the implementation, or "" when they do. Features are the suite sections
// "emv", "token" and "keymgmt", and "emv.generate-ac", "keymgmt.exhaustive"
// and "keymgmt.<scheme>" (e.g. "keymgmt.dukpt-aes128").
func (c *ICS) NotApplicable(feature string) string {
	if c == nil {
		return "no ICS"
	}
	section, _, _ := strings.Cut(feature, ".")
	switch section {
	case "emv":
		if c.EMV == nil {
			return "the ICS declares no emv section"
		}
	case "token":
		if c.Token == nil {
			return "the ICS declares no token section"
		}
	case "keymgmt":
		if c.KeyMgmt == nil {
			return "the ICS declares no keymgmt section"
		}
	default:
		return fmt.Sprintf("unknown ICS feature %q", feature)
	}
	switch feature {
	case "emv", "token", "keymgmt":
		return ""
	case "emv.generate-ac":
		if !c.EMV.GenerateAC {
			return "the ICS declares emv.generate-ac: false (GPO-only qPBOC card)"
		}
		return ""
	case "keymgmt.exhaustive":
		if !c.KeyMgmt.Exhaustive {
			return "the ICS does not opt in to keymgmt.exhaustive"
		}
		return ""
	}
	if s, ok := strings.CutPrefix(feature, "keymgmt."); ok && DUKPTScheme(s).KeyType() != 0 {
		if !c.KeyMgmt.Supports(DUKPTScheme(s)) {
			return fmt.Sprintf("the ICS does not declare %s in keymgmt.schemes", s)
		}
		return ""
	}
	return fmt.Sprintf("unknown ICS feature %q", feature)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// kcvEMV returns "KCV XXXXXX" for an emvcrypto key.
func kcvEMV(k emvcrypto.Key) string {
	v, err := k.KCV(3)
	if err != nil {
		return "invalid key"
	}
	return "KCV " + strings.ToUpper(hex.EncodeToString(v))
}

// kcvDUKPT returns "KCV ..." for a dukpt key (3 bytes for TDES, 5 for AES).
func kcvDUKPT(k dukpt.Key) string {
	v := k.KCV()
	if len(v) == 0 {
		return "invalid key"
	}
	return "KCV " + strings.ToUpper(hex.EncodeToString(v))
}

// String returns the token configuration with the funding PAN masked to
// its first six and last four digits.
func (t TokenCfg) String() string {
	r := make([]string, len(t.BINRanges))
	for i, b := range t.BINRanges {
		r[i] = b.String()
	}
	return fmt.Sprintf("TokenCfg{BINRanges:[%s] FundingPAN:%s PSN:%s}", strings.Join(r, " "), mask.PAN(t.FundingPAN), t.PSN)
}

// Format prints the String form for every verb, so that logging an EMV
// section never shows the funding PAN in full.
func (t TokenCfg) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// CheckIAD compares the issuer application data (tag 9F10) a card sent with
// the declarations: the cryptogram version byte, for PBOC the algorithm
// identifier, and the derivation key index when key-index is declared. It
// returns nil when they agree and otherwise an error naming each mismatch.
func (e *EMV) CheckIAD(raw []byte) error {
	if e == nil {
		return errors.New("ics: IAD: the ICS declares no emv section")
	}
	c := e.Cryptogram
	info, ok := c.CVN.Info()
	if !ok {
		return fmt.Errorf("ics: IAD: no cryptogram version declared")
	}
	iad, err := emvcrypto.ParseIAD(c.CVN, raw)
	if err != nil {
		return fmt.Errorf("ics: IAD: %w", err)
	}
	var errs []error
	if iad.CVNNumber != info.Number {
		errs = append(errs, fmt.Errorf("ics: IAD carries cryptogram version %02X; the ICS declares %s (%02X)", iad.CVNNumber, c.Version, info.Number))
	}
	if info.Scheme == emvcrypto.SchemePBOC {
		if want, err := c.Algorithm.PBOCID(); err == nil && iad.AlgorithmID != want {
			errs = append(errs, fmt.Errorf("ics: IAD carries algorithm id %02X; the ICS declares %s (%02X)", iad.AlgorithmID, strings.ToLower(c.Algorithm.String()), want))
		}
	}
	if c.HasKeyIndex && iad.DKI != c.KeyIndex {
		errs = append(errs, fmt.Errorf("ics: IAD carries derivation key index %02X; the ICS declares key-index %d", iad.DKI, c.KeyIndex))
	}
	return errors.Join(errs...)
}
