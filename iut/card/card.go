// Package card is paycert's reference cloud card: a compliant, online-only
// UnionPay QuickPass (qPBOC) application as a phone would emulate it over
// host card emulation, plus named faults that each break one requirement.
//
// A Card is a state machine driven by command APDUs. Its persistent state
// (the application transaction counter, keys) survives power cycles; its
// session state (selected application, transaction in progress) does not.
// A Card is safe for concurrent use.
//
// By default the card computes PBOC cryptograms under the ICC master key
// derived from its personalisation. In LUK mode (LoadLUK) it plays a cloud
// wallet provisioned by a token service instead: it presents the service's
// token and pays with the service's limited-use key until the key is spent.
package card

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/iso7816"
	"github.com/paycert/paycert/mask"
	"github.com/paycert/paycert/tlv"
)

// UnionPay application identifiers the card offers.
var (
	AIDDebit  = []byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01}
	AIDCredit = []byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02}
	PPSE      = []byte("2PAY.SYS.DDF01")
)

// ATRBytes is the reference card's answer to reset (ISO/IEC 7816-3): direct
// convention, TD1 and TD2 indicating T=0 and T=1, ten historical bytes (a
// "paycert" marker and a version), and the check byte TCK that T=1 makes
// mandatory.
var ATRBytes = []byte{0x3B, 0x8A, 0x80, 0x01, 'p', 'a', 'y', 'c', 'e', 'r', 't', 0x00, 0x01, 0x02, 0x60}

// PDOL is the processing options data object list the card asks for.
var PDOL = tlv.DOL{
	{Tag: 0x9F66, Len: 4}, {Tag: 0x9F02, Len: 6}, {Tag: 0x9F03, Len: 6}, {Tag: 0x9F1A, Len: 2},
	{Tag: 0x95, Len: 5}, {Tag: 0x5F2A, Len: 2}, {Tag: 0x9A, Len: 3}, {Tag: 0x9C, Len: 1},
	{Tag: 0x9F37, Len: 4}, {Tag: 0x9F7A, Len: 1},
}

// CDOL1 is the data object list for the first GENERATE AC.
var CDOL1 = tlv.DOL{
	{Tag: 0x9F02, Len: 6}, {Tag: 0x9F03, Len: 6}, {Tag: 0x9F1A, Len: 2}, {Tag: 0x95, Len: 5},
	{Tag: 0x5F2A, Len: 2}, {Tag: 0x9A, Len: 3}, {Tag: 0x9C, Len: 1}, {Tag: 0x9F37, Len: 4},
	{Tag: 0x9F35, Len: 1}, {Tag: 0x9F34, Len: 3},
}

// Profile is the card's personalisation.
type Profile struct {
	Token      string // the PAN the card carries: a token, never the funding PAN
	FundingPAN string // the PAN the token stands for; the card never shows it
	Expiry     string // YYMMDD
	PSN        byte
	CVMLimit   uint64 // in minor units; above it the card asks for online PIN
	KeyIndex   byte   // derivation key index in the IAD
	Algorithm  emvcrypto.Algorithm
	IMK        []byte // issuer master key for AC (a TEST key): the card holds the ICC master key derived from it
	Country    uint16 // 0156 China
	Currency   uint16 // 0156 CNY
	StartATC   uint16
	Label      string
}

// TestIMK is the reference card's issuer master key for application
// cryptograms. It is a published test value (EMV test vectors), never a
// production key; the embedded default ICS declares it.
var TestIMK = []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10}

// DefaultProfile is the embedded default personalisation: a UnionPay debit
// token from a test token BIN range (625888), PBOC cryptogram version 01
// with TDES keys derived by EMV option A.
func DefaultProfile() Profile {
	return Profile{
		Token:      "6258887305196426",
		FundingPAN: DefaultFundingPAN,
		Expiry:     "301231",
		PSN:        0x01,
		CVMLimit:   30000, // CNY 300.00
		KeyIndex:   0x01,
		Algorithm:  emvcrypto.AlgTDES,
		IMK:        TestIMK,
		Country:    0x0156,
		Currency:   0x0156,
		StartATC:   0x0010,
		Label:      "PAYCERT CLOUD",
	}
}

// DefaultFundingPAN is the test funding PAN behind the default token.
const DefaultFundingPAN = "6222021234567890128"

// Card is one reference cloud card.
type Card struct {
	mu      sync.Mutex
	p       Profile
	fault   string
	atc     uint16
	powered bool
	sess    session
	pan     string            // the PAN it presents
	issuer  *emvcrypto.Issuer // holds the ICC master key for that PAN
	luk     *lukState         // non-nil in LUK mode (see LoadLUK)
	now     func() time.Time
}

// lukState is a limited-use key loaded by LoadLUK.
type lukState struct {
	token    string
	key      emvcrypto.Key
	uses     int // cryptograms it may still compute
	notAfter time.Time
}

type session struct {
	selected  []byte
	gpo       bool
	pdolData  map[tlv.Tag][]byte
	genacDone bool
}

// New returns a card with profile p and the named fault ("" for none).
func New(p Profile, fault string) (*Card, error) {
	f, err := LookupFault(fault)
	if err != nil {
		return nil, err
	}
	c := &Card{p: p, fault: f.Name, atc: p.StartATC, powered: true, now: time.Now}
	c.pan = c.profilePAN()
	imk := p.IMK
	if f.Name == FaultWrongKey {
		imk = bytes.Repeat([]byte{0x4B}, len(p.IMK)) // not the key the issuer holds
	}
	key, err := emvcrypto.NewKey(p.Algorithm, imk)
	if err != nil {
		return nil, fmt.Errorf("card: IMK: %w", err)
	}
	if c.issuer, err = emvcrypto.NewIssuer(emvcrypto.Config{
		IMK: key, Option: emvcrypto.OptionA, PAN: c.pan, PSN: fmt.Sprintf("%02X", p.PSN), CVN: emvcrypto.CVNPBOC,
	}); err != nil {
		return nil, fmt.Errorf("card: %w", err)
	}
	return c, nil
}

// profilePAN is the PAN the card presents outside LUK mode.
func (c *Card) profilePAN() string {
	if c.fault == FaultFundingPAN {
		return c.p.FundingPAN
	}
	return c.p.Token
}

// LoadLUK switches the card to LUK mode, as a cloud payment wallet does when
// its token service provisions a token and replenishes its limited-use key:
// from then on the card presents token (in 57 and 5A) and computes every
// cryptogram with key as the token cryptogram (emvcrypto.TokenCryptogram),
// at most uses times and only before notAfter. Once the key is spent or its validity has
// ended the card refuses GET PROCESSING OPTIONS and GENERATE AC with status
// 6985 (conditions of use not satisfied: the wallet must replenish the key)
// and never computes another cryptogram with it. Loading again replaces the
// key; ClearLUK returns to the card's personalised behaviour. The ATC is the
// card's own and keeps counting across modes.
//
// token must be a Luhn-valid 12 to 19 digit token, key a double-length TDES
// key and uses at least 1. The card keeps no copy of key's bytes outside
// the emvcrypto.Key.
func (c *Card) LoadLUK(token string, key emvcrypto.Key, uses int, notAfter time.Time) error {
	if len(token) < 12 || len(token) > 19 || !mask.Luhn(token) {
		return errors.New("card: LoadLUK: the token must be a Luhn-valid PAN of 12 to 19 digits")
	}
	if key.Algorithm() != emvcrypto.AlgTDES || key.Len() != emvcrypto.LUKLen {
		return errors.New("card: LoadLUK: the LUK must be a double-length TDES key")
	}
	if uses < 1 {
		return fmt.Errorf("card: LoadLUK: uses must be at least 1, got %d", uses)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.luk = &lukState{token: token, key: key, uses: uses, notAfter: notAfter}
	c.pan = token
	c.sess = session{}
	return nil
}

// ClearLUK leaves LUK mode (if the card is in it) and forgets the key.
func (c *Card) ClearLUK() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.luk = nil
	c.pan = c.profilePAN()
	c.sess = session{}
}

// lukSpent reports whether the card is in LUK mode with a key it must no
// longer use.
func (c *Card) lukSpent() bool {
	if c.luk == nil || c.fault == FaultLUKOveruse {
		return false
	}
	return c.luk.uses <= 0 || !c.now().Before(c.luk.notAfter)
}

// ATR returns the answer to reset.
func (c *Card) ATR() []byte { return append([]byte(nil), ATRBytes...) }

// Power switches the card on (or resets it) and off; either ends the session.
func (c *Card) Power(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.powered = on
	c.sess = session{}
	if !on && c.fault == FaultATCResetOnPower {
		c.atc = c.p.StartATC
	}
}

// ATC returns the current application transaction counter.
func (c *Card) ATC() uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.atc
}

// Process answers one command APDU. Malformed commands get an error status
// word, never a panic.
func (c *Card) Process(capdu []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd, err := iso7816.ParseCommand(capdu)
	if err != nil {
		return sw(iso7816.SWWrongLength)
	}
	data, s := c.dispatch(cmd)
	return iso7816.Response{Data: data, SW: s}.Bytes()
}

func sw(s iso7816.SW) []byte { return iso7816.Response{SW: s}.Bytes() }

func (c *Card) dispatch(cmd iso7816.Command) ([]byte, iso7816.SW) {
	switch {
	case cmd.CLA == 0x00 && cmd.INS == iso7816.InsSelect:
		return c.selectFile(cmd)
	case cmd.CLA == 0x80 && cmd.INS == iso7816.InsGPO:
		return c.gpo(cmd)
	case cmd.CLA == 0x00 && cmd.INS == iso7816.InsReadRecord:
		return c.readRecord(cmd)
	case cmd.CLA == 0x80 && cmd.INS == iso7816.InsGenerateAC:
		return c.generateAC(cmd)
	case cmd.CLA == 0x80 && cmd.INS == iso7816.InsGetData:
		return c.getData(cmd)
	case cmd.CLA != 0x00 && cmd.CLA != 0x80:
		return nil, iso7816.SWCLANotSupported
	}
	return nil, iso7816.SWINSNotSupported
}

func (c *Card) selectFile(cmd iso7816.Command) ([]byte, iso7816.SW) {
	if cmd.P1 != 0x04 {
		return nil, iso7816.SWIncorrectP1P2
	}
	c.sess = session{}
	switch {
	case bytes.Equal(cmd.Data, PPSE):
		var entries []byte
		for i, aid := range [][]byte{AIDDebit, AIDCredit} {
			entries = append(entries, tlv.Encode(0x61, tlv.Concat(
				tlv.Encode(0x4F, aid),
				tlv.Encode(0x50, []byte(c.p.Label)),
				tlv.Encode(0x87, []byte{byte(i + 1)}),
			))...)
		}
		return tlv.Encode(0x6F, tlv.Concat(
			tlv.Encode(0x84, PPSE),
			tlv.Encode(0xA5, tlv.Encode(0xBF0C, entries)),
		)), iso7816.SWSuccess
	case bytes.Equal(cmd.Data, AIDDebit), bytes.Equal(cmd.Data, AIDCredit):
		c.sess.selected = append([]byte(nil), cmd.Data...)
		pdol := PDOL
		if c.fault == FaultPDOLNoUN {
			pdol = withoutTag(PDOL, 0x9F37)
		}
		return tlv.Encode(0x6F, tlv.Concat(
			tlv.Encode(0x84, cmd.Data),
			tlv.Encode(0xA5, tlv.Concat(
				tlv.Encode(0x50, []byte(c.p.Label)),
				tlv.Encode(0x87, []byte{0x01}),
				tlv.Encode(0x9F38, pdol.Bytes()),
				tlv.Encode(0x5F2D, []byte("zhen")),
				tlv.Encode(0x9F11, []byte{0x01}),
				tlv.Encode(0x9F12, []byte(c.p.Label)),
			)),
		)), iso7816.SWSuccess
	}
	return nil, iso7816.SWFileNotFound
}

func withoutTag(d tlv.DOL, t tlv.Tag) tlv.DOL {
	var out tlv.DOL
	for _, e := range d {
		if e.Tag != t {
			out = append(out, e)
		}
	}
	return out
}

// Cryptogram types as in 9F27 bits 8-7.
const (
	AAC  byte = 0x00
	TC   byte = 0x40
	ARQC byte = 0x80
)

// TTQ bits the card reads (9F66 byte 1 and 2).
const (
	ttqQPBOC       = 0x20 // byte 1: EMV mode (qPBOC) supported
	ttqOfflineOnly = 0x08 // byte 1: offline-only reader
	ttqOnlinePIN   = 0x04 // byte 1: online PIN supported
	ttqOnlineReq   = 0x80 // byte 2: online cryptogram required
)

func (c *Card) gpo(cmd iso7816.Command) ([]byte, iso7816.SW) {
	if c.sess.selected == nil || c.sess.gpo || c.fault == FaultRefuseAll {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	l, err := tlv.Parse(cmd.Data)
	if err != nil || len(l) != 1 || l[0].Tag != 0x83 {
		return nil, iso7816.SWWrongData
	}
	pdol := PDOL
	if c.fault == FaultPDOLNoUN {
		pdol = withoutTag(PDOL, 0x9F37)
	}
	vals, err := pdol.Split(l[0].Value)
	if err != nil {
		return nil, iso7816.SWWrongLength
	}
	c.sess.gpo, c.sess.pdolData = true, vals
	if c.fault != FaultATCStuck {
		c.atc++ // the counter moves with every transaction, before anything can fail
	}
	ttq := vals[0x9F66]
	if ttq[0]&ttqQPBOC != 0 && c.lukSpent() {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	if ttq[0]&ttqQPBOC == 0 {
		// Not a qPBOC reader: the terminal reads records and asks GENERATE AC.
		return tlv.Encode(0x80, tlv.Concat(c.aipValue(), aflValue)), iso7816.SWSuccess
	}
	typ := ARQC
	switch {
	case c.fault == FaultDeclineAll:
		typ = AAC
	case c.fault == FaultECOffline && bytes.Equal(vals[0x9F7A], []byte{0x01}):
		typ = TC
	case ttq[0]&ttqOfflineOnly != 0:
		// An offline-only reader cannot take the card online: decline.
		typ = AAC
		if c.fault == FaultOfflineTC {
			typ = TC
		}
	}
	return c.cryptogramResponse(typ, vals, true), iso7816.SWSuccess
}

// aipValue: byte 1 10 cardholder verification, 08 terminal risk
// management (no offline data authentication: a cloud card has no offline
// keys); byte 2 80 EMV mode, 40 mobile phone.
var aipValue = []byte{0x18, 0xC0}

// aipOffline claims DDA and CDA as an offline-capable card would.
var aipOffline = []byte{0x39, 0xC0}

func (c *Card) aipValue() []byte {
	if c.fault == FaultICSMismatch {
		return aipOffline
	}
	return aipValue
}

// aflValue: SFI 1 record 1 and SFI 2 record 1, none for offline authentication.
var aflValue = []byte{0x08, 0x01, 0x01, 0x00, 0x10, 0x01, 0x01, 0x00}

func (c *Card) aip() []byte { return tlv.Encode(0x82, c.aipValue()) }

func (c *Card) track2() []byte {
	s := c.pan + "D" + c.p.Expiry[:4] + "220" + "0000000000"
	if len(s)%2 == 1 {
		s += "F"
	}
	return mustHex(s)
}

func (c *Card) readRecord(cmd iso7816.Command) ([]byte, iso7816.SW) {
	if !c.sess.gpo {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	if cmd.P2&0x07 != 0x04 {
		return nil, iso7816.SWIncorrectP1P2
	}
	switch sfi, rec := cmd.P2>>3, cmd.P1; {
	case sfi == 1 && rec == 1:
		rec := tlv.Encode(0x57, c.track2())
		if c.fault == FaultSADInRecord {
			// Track 1 with the funding PAN and name, and discretionary data
			// carrying a card verification value: sensitive authentication
			// data a cloud card must never hold.
			rec = tlv.Concat(rec,
				tlv.Encode(0x56, []byte("B"+c.p.FundingPAN+"^PAYCERT/TEST^"+c.p.Expiry[:4]+"2201234567890000")),
				tlv.Encode(0x9F1F, []byte("1234567890")),
			)
		}
		if c.fault == FaultICSMismatch {
			rec = tlv.Concat(rec, tlv.Encode(0x8F, []byte{0x03})) // CA public key index for offline authentication
		}
		return tlv.Encode(0x70, rec), iso7816.SWSuccess
	case sfi == 2 && rec == 1:
		pan := c.pan
		if len(pan)%2 == 1 {
			pan += "F"
		}
		return tlv.Encode(0x70, tlv.Concat(
			tlv.Encode(0x5A, mustHex(pan)),
			tlv.Encode(0x5F24, mustHex(c.p.Expiry)),
			tlv.Encode(0x5F34, []byte{c.p.PSN}),
			tlv.Encode(0x5F28, be16(c.p.Country)),
			tlv.Encode(0x9F42, be16(c.p.Currency)),
			tlv.Encode(0x8C, CDOL1.Bytes()),
			tlv.Encode(0x8E, c.cvmList()),
			tlv.Encode(0x9F07, []byte{0xFF, 0x00}),
			tlv.Encode(0x9F08, []byte{0x00, 0x30}),
		)), iso7816.SWSuccess
	}
	return nil, iso7816.SWRecordNotFound
}

// cvmList: amount X = CVM limit; online PIN if over X, else no CVM.
func (c *Card) cvmList() []byte {
	out := make([]byte, 8)
	binary.BigEndian.PutUint32(out[0:], uint32(c.p.CVMLimit))
	return append(out, 0x42, 0x07, 0x1F, 0x06) // online PIN if amount > X; no CVM if amount < X
}

func (c *Card) generateAC(cmd iso7816.Command) ([]byte, iso7816.SW) {
	if !c.sess.gpo || c.sess.genacDone {
		// A cloud card answers one GENERATE AC per transaction.
		return nil, iso7816.SWConditionsNotSatisfied
	}
	vals, err := CDOL1.Split(cmd.Data)
	if err != nil {
		return nil, iso7816.SWWrongLength
	}
	c.sess.genacDone = true
	if c.lukSpent() || c.fault == FaultRefuseAll || (c.fault == FaultRefuseAACRequest && cmd.P1&0xC0 == AAC) {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	typ := ARQC
	switch req := cmd.P1 & 0xC0; {
	case req == 0xC0:
		return nil, iso7816.SWIncorrectP1P2
	case req == AAC, c.fault == FaultDeclineAll:
		typ = AAC
	case req == TC && c.fault == FaultOfflineTC:
		typ = TC
	}
	for _, t := range []tlv.Tag{0x9F7A, 0x9F66} {
		if v, ok := c.sess.pdolData[t]; ok {
			vals[t] = v
		}
	}
	return c.cryptogramResponse(typ, vals, false), iso7816.SWSuccess
}

// cryptogramResponse builds the GPO (format 2, qPBOC) or GENERATE AC
// (format 2) answer for a cryptogram of type typ.
func (c *Card) cryptogramResponse(typ byte, vals map[tlv.Tag][]byte, fromGPO bool) []byte {
	cvrType := typ
	if c.fault == FaultIADTC && typ == ARQC {
		cvrType = TC // 9F27 will say ARQC while the CVR says TC
	}
	iad := c.iad(cvrType)
	atc := be16(c.atc)
	ac := c.cryptogram(vals, atc, iad)
	if c.fault == FaultIADWrongCVN {
		iad[2] = 0x0A // the IAD now names a cryptogram version the ICS does not declare
	}
	parts := [][]byte{
		tlv.Encode(0x9F27, []byte{typ}),
		tlv.Encode(0x9F36, atc),
		tlv.Encode(0x9F26, ac),
		tlv.Encode(0x9F10, iad),
	}
	if fromGPO {
		parts = append(parts,
			c.aip(),
			tlv.Encode(0x57, c.track2()),
			tlv.Encode(0x5F34, []byte{c.p.PSN}),
			tlv.Encode(0x9F6C, c.ctq(vals)),
		)
	}
	if c.fault == FaultECOffline && bytes.Equal(vals[0x9F7A], []byte{0x01}) {
		parts = append(parts,
			tlv.Encode(0x9F74, []byte("ECC001")),
			tlv.Encode(0x9F5D, mustHex("000000010000")),
		)
	}
	return tlv.Encode(0x77, tlv.Concat(parts...))
}

// ctq returns the card transaction qualifiers: online PIN above the CVM
// limit when the reader supports it, no CVM below it.
func (c *Card) ctq(vals map[tlv.Tag][]byte) []byte {
	amount := bcdValue(vals[0x9F02])
	if amount > c.p.CVMLimit && vals[0x9F66][0]&ttqOnlinePIN != 0 && c.fault != FaultCTQNoPIN {
		return []byte{0x80, 0x00}
	}
	return []byte{0x00, 0x00}
}

// iad builds the PBOC issuer application data: 07 | key index | CVN | CVR
// (03 + 3 bytes) | algorithm | IDD (0A 01 amount(5) MAC(4)).
func (c *Card) iad(typ byte) []byte {
	cvr1 := byte(0x80) // second GENERATE AC not requested
	switch typ {
	case ARQC:
		cvr1 |= 0x20
	case TC:
		cvr1 |= 0x10
	}
	alg, _ := c.p.Algorithm.PBOCID()
	return tlv.Concat(
		[]byte{0x07, c.p.KeyIndex, 0x01, 0x03, cvr1, 0x00, 0x00, alg},
		[]byte{0x0A, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	)
}

// cryptogram computes the application cryptogram over the PBOC AC input
// (9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82 9F36 CVR) under the session key
// derived from the card's ICC master key and the ATC (emvcrypto, CVN PBOC).
func (c *Card) cryptogram(vals map[tlv.Tag][]byte, atc, iad []byte) []byte {
	if c.luk != nil {
		return c.lukCryptogram(vals)
	}
	if c.fault == FaultStaticARQC {
		return []byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}
	}
	tags := map[uint32][]byte{}
	for t, v := range vals {
		tags[uint32(t)] = v
	}
	if c.fault == FaultUNIgnored || tags[emvcrypto.TagUnpredictableNumber] == nil {
		tags[emvcrypto.TagUnpredictableNumber] = make([]byte, 4) // not covered
	}
	tx := emvcrypto.TxDataFromTags(tags)
	tx.AIP, tx.ATC, tx.IAD = c.aipValue(), atc, iad
	compute := c.issuer.ComputeAC
	if c.fault == FaultCSKSessionKey {
		compute = c.cskCryptogram
	}
	ac, err := compute(tx)
	if err != nil {
		// Cannot happen with the card's own well-formed data; answer
		// something that will never verify rather than panic.
		return make([]byte, 8)
	}
	return ac
}

// cskCryptogram is the cryptogram of fault csk-session-key: the PBOC AC
// input and MAC, but under the EMV common session key (EMV Book 2 A1.3,
// R = ATC ‖ 000000000000) derived from the card's ICC master key, which
// was paycert's reading of PBOC before public vectors refuted it.
func (c *Card) cskCryptogram(tx emvcrypto.TxData) ([]byte, error) {
	data, err := emvcrypto.ACInput(emvcrypto.CVNPBOC, tx)
	if err != nil {
		return nil, err
	}
	sk, err := emvcrypto.DeriveSessionKey(c.issuer.ICCMasterKey(), emvcrypto.SessionKeyCommon, tx.ATC, nil)
	if err != nil {
		return nil, err
	}
	return emvcrypto.MAC(sk, data, emvcrypto.PaddingMethod2)
}

// lukCryptogram computes the token cryptogram (emvcrypto.TokenCryptogram) with the
// loaded LUK over the terminal's amount, currency, date and unpredictable
// number, the ATC and the token, and spends one use of the key.
func (c *Card) lukCryptogram(vals map[tlv.Tag][]byte) []byte {
	c.luk.uses--
	tx := emvcrypto.TokenTx{
		Token:    c.luk.token,
		Amount:   bcdValue(vals[0x9F02]),
		Currency: uint16(bcdValue(vals[0x5F2A])),
		Date:     fmt.Sprintf("%X", vals[0x9A]),
		ATC:      c.atc,
	}
	copy(tx.UN[:], vals[0x9F37])
	ac, err := emvcrypto.TokenCryptogram(c.luk.key, tx)
	if err != nil {
		// The terminal sent data the cryptogram cannot cover (a non-BCD
		// date, say): answer a cryptogram that never verifies.
		return make([]byte, 8)
	}
	return ac
}

func (c *Card) getData(cmd iso7816.Command) ([]byte, iso7816.SW) {
	tag := tlv.Tag(uint16(cmd.P1)<<8 | uint16(cmd.P2))
	switch tag {
	case 0x9F36:
		return tlv.Encode(tag, be16(c.atc)), iso7816.SWSuccess
	case 0x9F13: // last online ATC register: the card is always online
		return tlv.Encode(tag, be16(c.atc)), iso7816.SWSuccess
	case 0x9F79, 0x9F77, 0x9F78, 0x9F6D: // electronic cash: not on a cloud card
		if c.fault == FaultECOffline {
			return tlv.Encode(tag, mustHex("000000010000")), iso7816.SWSuccess
		}
	}
	return nil, iso7816.SWReferencedDataNotFound
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func bcdValue(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v*100 + uint64(c>>4)*10 + uint64(c&0x0F)
	}
	return v
}

func mustHex(s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		b[i] = nib(s[2*i])<<4 | nib(s[2*i+1])
	}
	return b
}

func nib(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	panic(fmt.Sprintf("card: bad hex digit %q in personalisation", c))
}
