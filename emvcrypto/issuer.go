package emvcrypto

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// ErrACMismatch is returned (possibly wrapped) by VerifyAC when the
// cryptogram does not verify. It is used for ARQC, TC and AAC alike and
// deliberately carries no expected value or key information.
var ErrACMismatch = errors.New("emvcrypto: ARQC mismatch")

// ErrARPCMismatch is returned by VerifyARPC when the ARPC does not verify.
var ErrARPCMismatch = errors.New("emvcrypto: ARPC mismatch")

// Config configures an Issuer. Exactly one of IMK and ICCMasterKey must
// be set.
type Config struct {
	// IMK is the issuer master key for application cryptograms (IMK-AC).
	// The ICC master key is derived from it with Option, PAN and PSN.
	IMK Key
	// ICCMasterKey is the card's own AC master key, for the card side or
	// when the derivation is done elsewhere (an HSM). Option is then
	// ignored and PAN/PSN are used only as labels.
	ICCMasterKey Key
	// Option is the ICC master key derivation option (OptionA or OptionB).
	Option DerivationOption
	// PAN is the primary account number (decimal digits); PSN the
	// two-digit PAN sequence number ("" means "00").
	PAN, PSN string
	// CVN is the cryptogram version; its registry entry fixes the session
	// key method, padding, AC input and ARPC method.
	CVN CVN
}

// Issuer computes and verifies application cryptograms and ARPCs for one
// card (one PAN/PSN) and one cryptogram version. The issuer host and the
// conformance suite use VerifyAC and ARPC; a reference card uses ComputeAC
// and VerifyARPC with the same definitions. An Issuer is immutable and
// safe for concurrent use. It prints without key material and with the
// PAN masked.
type Issuer struct {
	cvn    CVN
	info   CVNInfo
	mk     Key
	panTag string // masked PAN for printing
}

// Verifier is the name the conformance suite uses for an Issuer.
type Verifier = Issuer

// NewIssuer validates cfg and derives the ICC master key.
func NewIssuer(cfg Config) (*Issuer, error) {
	info, ok := cfg.CVN.Info()
	if !ok {
		return nil, fmt.Errorf("emvcrypto: new issuer: unknown CVN %v", cfg.CVN)
	}
	var mk Key
	switch {
	case !cfg.IMK.IsZero() && !cfg.ICCMasterKey.IsZero():
		return nil, errors.New("emvcrypto: new issuer: set IMK or ICCMasterKey, not both")
	case !cfg.IMK.IsZero():
		var err error
		mk, err = DeriveICCMasterKey(cfg.IMK, cfg.Option, cfg.PAN, cfg.PSN)
		if err != nil {
			return nil, fmt.Errorf("emvcrypto: new issuer: %w", err)
		}
	case !cfg.ICCMasterKey.IsZero():
		mk = cfg.ICCMasterKey
	default:
		return nil, errors.New("emvcrypto: new issuer: no key configured")
	}
	if !slices.Contains(info.Algorithms, mk.Algorithm()) {
		return nil, fmt.Errorf("emvcrypto: new issuer: %v is not defined for %v keys", cfg.CVN, mk.Algorithm())
	}
	if mk.Algorithm() == AlgTDES && mk.Len() != 16 {
		return nil, fmt.Errorf("emvcrypto: new issuer: ICC master key must be 16 bytes, got %d", mk.Len())
	}
	return &Issuer{cvn: cfg.CVN, info: info, mk: mk, panTag: maskPAN(cfg.PAN)}, nil
}

// CVN returns the issuer's cryptogram version.
func (is *Issuer) CVN() CVN { return is.cvn }

// Algorithm returns the block cipher of the issuer's keys.
func (is *Issuer) Algorithm() Algorithm { return is.mk.Algorithm() }

// ICCMasterKey returns the ICC AC master key (for card personalisation).
func (is *Issuer) ICCMasterKey() Key { return is.mk }

// SessionKey returns the AC session key for the transaction (the ICC
// master key itself when the CVN uses none). Only tx.ATC and, for
// Mastercard SKD, tx.UnpredictableNumber are used.
func (is *Issuer) SessionKey(tx TxData) (Key, error) {
	sk, err := DeriveSessionKey(is.mk, is.info.SessionKey, tx.ATC, tx.UnpredictableNumber)
	if err != nil {
		return Key{}, fmt.Errorf("emvcrypto: %v: %w", is.cvn, err)
	}
	return sk, nil
}

// checkIAD parses tx.IAD and checks it belongs to the issuer's version and
// algorithm.
func (is *Issuer) checkIAD(tx *TxData) (IAD, error) {
	iad, err := ParseIAD(is.cvn, tx.IAD)
	if err != nil {
		return IAD{}, fmt.Errorf("emvcrypto: %v: %w", is.cvn, err)
	}
	if iad.CVN != is.cvn {
		return IAD{}, fmt.Errorf("emvcrypto: %v: IAD carries cryptogram version %02X (%v)", is.cvn, iad.CVNNumber, iad.CVN)
	}
	if iad.Algorithm != is.mk.Algorithm() {
		return IAD{}, fmt.Errorf("emvcrypto: %v: IAD algorithm %v does not match the %v key", is.cvn, iad.Algorithm, is.mk.Algorithm())
	}
	return iad, nil
}

// ComputeAC returns the 8-byte application cryptogram (ARQC, TC or AAC:
// the computation is the same) for tx: MAC(session key, ACInput(CVN, tx))
// with the version's padding. tx.IAD must carry the issuer's CVN and, for
// PBOC, the algorithm id of the issuer's key.
func (is *Issuer) ComputeAC(tx TxData) ([]byte, error) {
	iad, err := is.checkIAD(&tx)
	if err != nil {
		return nil, err
	}
	data, err := acInput(is.info, &tx, iad)
	if err != nil {
		return nil, fmt.Errorf("emvcrypto: %v: %w", is.cvn, err)
	}
	sk, err := is.SessionKey(tx)
	if err != nil {
		return nil, err
	}
	ac, err := MAC(sk, data, is.info.Padding)
	if err != nil {
		return nil, fmt.Errorf("emvcrypto: %v: %w", is.cvn, err)
	}
	return ac, nil
}

// VerifyAC checks the card's cryptogram ac against tx in constant time.
// It returns nil if it verifies, an error wrapping ErrACMismatch if it
// does not, and another error if tx or ac is malformed. No error reveals
// the expected value or any key.
func (is *Issuer) VerifyAC(tx TxData, ac []byte) error {
	if len(ac) != 8 {
		return fmt.Errorf("emvcrypto: %v: application cryptogram must be 8 bytes, got %d", is.cvn, len(ac))
	}
	want, err := is.ComputeAC(tx)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(want, ac) != 1 {
		return fmt.Errorf("%w (%v)", ErrACMismatch, is.cvn)
	}
	return nil
}

// ARPCParams carries the issuer response data for an ARPC.
type ARPCParams struct {
	// ARC is the 2-byte authorisation response code (method 1).
	ARC []byte
	// CSU is the 4-byte card status update (method 2).
	CSU []byte
	// ProprietaryAuthData is 0 to 8 bytes of proprietary authentication
	// data (method 2).
	ProprietaryAuthData []byte
}

// ARPC computes the authorisation response cryptogram for arqc with the
// version's ARPC method and key (CVNInfo.ARPC, CVNInfo.ARPCSessionKey).
// It does not verify arqc; call VerifyAC first. Only tx.ATC and
// tx.UnpredictableNumber are used (for the session key).
func (is *Issuer) ARPC(tx TxData, arqc []byte, p ARPCParams) ([]byte, error) {
	k := is.mk
	if is.info.ARPCSessionKey {
		var err error
		if k, err = is.SessionKey(tx); err != nil {
			return nil, err
		}
	}
	var (
		out []byte
		err error
	)
	switch is.info.ARPC {
	case ARPCMethod1:
		out, err = ARPC1(k, arqc, p.ARC)
	case ARPCMethod2:
		out, err = ARPC2(k, arqc, p.CSU, p.ProprietaryAuthData)
	default:
		err = fmt.Errorf("unknown ARPC method %v", is.info.ARPC)
	}
	if err != nil {
		return nil, fmt.Errorf("emvcrypto: %v: %w", is.cvn, err)
	}
	return out, nil
}

// VerifyARPC is the card-side check of an issuer's ARPC, in constant time.
// It returns an error wrapping ErrARPCMismatch if arpc does not verify.
func (is *Issuer) VerifyARPC(tx TxData, arqc []byte, p ARPCParams, arpc []byte) error {
	want, err := is.ARPC(tx, arqc, p)
	if err != nil {
		return err
	}
	if len(arpc) != len(want) {
		return fmt.Errorf("emvcrypto: %v: ARPC must be %d bytes, got %d", is.cvn, len(want), len(arpc))
	}
	if subtle.ConstantTimeCompare(want, arpc) != 1 {
		return fmt.Errorf("%w (%v)", ErrARPCMismatch, is.cvn)
	}
	return nil
}

// String returns e.g. "Issuer(Visa CVN 18, TDES, PAN ************3456)"
// without key material.
func (is Issuer) String() string {
	s := "Issuer(" + is.cvn.String() + ", " + is.mk.Algorithm().String()
	if is.panTag != "" {
		s += ", PAN " + is.panTag
	}
	return s + ")"
}

// GoString implements fmt.GoStringer without key material.
func (is Issuer) GoString() string { return "emvcrypto." + is.String() }

// Format prints the redacted form for every verb.
func (is Issuer) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, is.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(is.String()))
	default:
		io.WriteString(f, is.String())
	}
}

// maskPAN keeps only the last four digits.
func maskPAN(pan string) string {
	if pan == "" {
		return ""
	}
	if len(pan) <= 4 {
		return "****"
	}
	b := []byte(pan)
	for i := 0; i < len(b)-4; i++ {
		b[i] = '*'
	}
	return string(b)
}
