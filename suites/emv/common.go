// Package emv is paycert's EMV/qPBOC card suite: what a cloud card must do
// at the contactless interface. Test cases are declared with harness.Case
// and run through certify or `go test`.
package emv

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/terminal"
	"github.com/paycert/paycert/tlv"
)

// Registered application provider identifiers, for choosing a kernel
// when no ICS declares the card's cryptogram version.
var (
	ridUnionPay   = []byte{0xA0, 0x00, 0x00, 0x03, 0x33}
	ridVisa       = []byte{0xA0, 0x00, 0x00, 0x00, 0x03}
	ridMastercard = []byte{0xA0, 0x00, 0x00, 0x00, 0x04}
)

// TTQ values the suite presents (9F66). They are written as qPBOC readers;
// (session).adapt turns them into what the card's kernel understands.
var (
	ttqOnline      = [4]byte{0x36, 0x80, 0x00, 0x00} // qPBOC, contact, online PIN, signature; online cryptogram required
	ttqOnlineNoReq = [4]byte{0x26, 0x00, 0x00, 0x00} // qPBOC, online PIN, signature; online not required
	ttqOfflineOnly = [4]byte{0x28, 0x00, 0x00, 0x00} // qPBOC, offline-only reader
	ttqOffline2    = [4]byte{0x2A, 0x00, 0x00, 0x00} // qPBOC, offline-only reader, signature
	ttqPBOC        = [4]byte{0x40, 0x80, 0x00, 0x00} // full PBOC (GENERATE AC) flow, online capable
	ttqPBOCOffline = [4]byte{0x48, 0x00, 0x00, 0x00} // full PBOC flow, offline-only reader
)

// kernel is the contactless kernel the suite's terminal runs for a card.
type kernel int

const (
	// kernelQPBOC: UnionPay qPBOC (JR/T 0025.12), GPO with the PDOL's
	// TTQ, amount and UN returns the cryptogram and the CTQ; a TTQ
	// without qPBOC (byte 1 bit 6) asks for the full PBOC flow: READ
	// RECORD, GENERATE AC with CDOL1.
	kernelQPBOC kernel = iota
	// kernelQVSDC: Visa qVSDC (EMV Contactless Book C-3), GPO returns the
	// cryptogram and CTQ, records over the AFL follow; no GENERATE AC.
	kernelQVSDC
	// kernelMChip: Mastercard M/Chip as Book C-2 runs it: GPO (AIP, AFL),
	// READ RECORD over the AFL, GENERATE AC with CDOL1; the CVM list
	// (8E) states the cardholder verification, there is no CTQ.
	kernelMChip
)

func (k kernel) String() string {
	return [...]string{"qPBOC", "qVSDC", "M/Chip"}[k]
}

// kernelFor chooses the kernel: from the cryptogram version the ICS
// declares, else from the selected application's RID (UnionPay and
// unknown RIDs get qPBOC, whose flow follows the card's answers).
func kernelFor(t *harness.T, aid []byte) kernel {
	if c := t.Session().ICS; c != nil && c.EMV != nil {
		if info, ok := c.EMV.CVN().Info(); ok {
			switch info.Scheme {
			case emvcrypto.SchemeVisa:
				return kernelQVSDC
			case emvcrypto.SchemeMastercard:
				return kernelMChip
			}
			return kernelQPBOC
		}
	}
	switch {
	case bytes.HasPrefix(aid, ridVisa):
		return kernelQVSDC
	case bytes.HasPrefix(aid, ridMastercard):
		return kernelMChip
	}
	return kernelQPBOC
}

// session is one tap: the card powered, PPSE and the application selected.
type session struct {
	t      *harness.T
	k      terminal.Terminal
	fci    terminal.FCI
	kernel kernel
}

// tap resets the card, selects the PPSE and the application to test (see
// chooseApp). Cards that do not answer are errors, not failures.
//
// The first tap of a test case powers the card up afresh; later taps in the
// same test case reselect without a power cycle, as a phone held to the
// reader for consecutive transactions would be.
func tap(t *harness.T) *session {
	if c := t.Session().ICS; c != nil {
		if why := c.NotApplicable("emv"); why != "" {
			t.NotApplicable(why) // an ICS without an emv section declares no card
		}
	}
	if t.Values["powered"] == nil {
		t.Reset()
		t.Values["powered"] = true
	}
	k := terminal.Terminal{X: t}
	app := chooseApp(t, k)
	fci, err := k.SelectAID(app.AID)
	t.Must(err, "application selection")
	kn := kernelFor(t, app.AID)
	if t.Values["kernel noted"] == nil {
		t.Note("selected %X (%s); kernel %s", app.AID, app.Label, kn)
		t.Values["kernel noted"] = true
	}
	return &session{t: t, k: k, fci: fci, kernel: kn}
}

// declaredAIDs returns the AIDs the ICS declares, nil without an ICS.
func declaredAIDs(t *harness.T) [][]byte {
	c := t.Session().ICS
	if c == nil || c.EMV == nil {
		return nil
	}
	var out [][]byte
	for _, h := range c.EMV.AIDs {
		if b, err := hex.DecodeString(h); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// priority orders PPSE entries: 87 values 1 to 15, an entry without one
// last.
func priority(a terminal.App) int {
	if p := int(a.Priority & 0x0F); p != 0 {
		return p
	}
	return 16
}

// chooseApp picks the application to test. With an ICS: the declared
// application the PPSE lists with the highest priority; when the PPSE is
// absent or lists none of them, the first declared AID that a direct
// SELECT finds. Without an ICS: the PPSE's application of highest
// priority. A card that offers none is an error (nothing can be
// exercised); that it leaves out a declared application is EMV-ICS-003's
// to fail.
func chooseApp(t *harness.T, k terminal.Terminal) terminal.App {
	apps, perr := k.SelectPPSE()
	if _, ok := asSW(perr); perr != nil && !ok && !errors.Is(perr, terminal.ErrProtocol) {
		t.Must(perr, "application selection (SELECT PPSE)")
	}
	declared := declaredAIDs(t)
	var best *terminal.App
	for i := range apps {
		a := &apps[i]
		if declared != nil && !slices.ContainsFunc(declared, func(d []byte) bool { return bytes.Equal(d, a.AID) }) {
			continue
		}
		if len(a.AID) >= 5 && (best == nil || priority(*a) < priority(*best)) {
			best = a
		}
	}
	if best != nil {
		return *best
	}
	if declared == nil {
		t.Must(perr, "application selection (SELECT PPSE)")
		t.Errorf("application selection: the PPSE lists no payment application")
	}
	for _, aid := range declared {
		fci, err := k.SelectAID(aid)
		if _, refused := asSW(err); refused {
			continue
		}
		t.Must(err, "application selection (direct SELECT)")
		label := ""
		if o, ok := tlv.Find(fci.TLVs, 0x50); ok {
			label = string(o.Value)
		}
		return terminal.App{AID: aid, Label: label}
	}
	listed := make([]string, len(apps))
	for i, a := range apps {
		listed[i] = fmt.Sprintf("%X", a.AID)
	}
	t.Errorf("application selection: the card offers none of the applications its ICS declares (%s), neither in its PPSE (%s) nor to a direct SELECT",
		strings.Join(t.Session().ICS.EMV.AIDs, ", "), strings.Join(listed, ", "))
	return terminal.App{}
}

// adapt turns the suite's qPBOC-style transaction into the one the
// card's kernel runs. qVSDC has no full (GENERATE AC) flow, so a reader
// that asks for it presents EMV mode (TTQ byte 1 bit 6) instead, keeping
// its other bits. M/Chip reads no TTQ: the offline-only reader is the
// terminal type newTx already set.
func (s *session) adapt(tx terminal.Tx) terminal.Tx {
	if s.kernel == kernelQVSDC && tx.TTQ[0]&0x20 == 0 {
		tx.TTQ[0] = tx.TTQ[0]&^0x40 | 0x20
	}
	return tx
}

// bcd3 encodes an ISO numeric code (0 to 999) as its two-byte n3 form.
func bcd3(n int) uint16 {
	return uint16(n/100)<<8 | uint16(n/10%10)<<4 | uint16(n%10)
}

// newTx returns a transaction with the given TTQ and amount and a fresh
// unpredictable number from the run's seeded source. Currency and
// terminal country are the ICS's (emv.currency, emv.country); without an
// ICS the terminal uses 0156 (CNY, China). A reader whose TTQ says
// offline-only is terminal type 23 (attended, offline only), 22 otherwise.
func newTx(t *harness.T, ttq [4]byte, amount uint64) terminal.Tx {
	var un [4]byte
	copy(un[:], t.Session().Rand(4))
	now := time.Now().UTC()
	country, currency := uint16(0x0156), uint16(0x0156)
	if c := t.Session().ICS; c != nil && c.EMV != nil {
		country, currency = bcd3(c.EMV.TerminalCountry()), bcd3(c.EMV.Currency)
	}
	termType := byte(0x22)
	if ttq[0]&0x08 != 0 {
		termType = 0x23
	}
	return terminal.Tx{
		TTQ: ttq, Amount: amount, Country: country, Currency: currency,
		Date:     [3]byte(terminal.BCD(uint64(now.Year()%100*10000+int(now.Month())*100+now.Day()), 3)),
		Type:     0x00,
		UN:       un,
		TermType: termType,
	}
}

// outcome is what the card answered to one transaction attempt.
type outcome struct {
	cryptogram *terminal.Cryptogram
	refused    string    // non-empty when the card refused with a status word
	tlvs       []tlv.TLV // every data object the card returned, for scans
	aip        []byte    // the AIP the card stated
}

// transact runs one transaction through the card's kernel: GPO; when the
// GPO response carries the cryptogram (qPBOC, qVSDC), READ RECORD over
// any AFL it gives; otherwise (full PBOC flow, M/Chip) READ RECORD over
// the AFL and GENERATE AC with CDOL1 requesting p1.
func transact(t *harness.T, tx terminal.Tx, p1 byte) outcome {
	s := tap(t)
	tx = s.adapt(tx)
	g, err := s.k.GPO(s.fci.PDOL, tx)
	if e, ok := asSW(err); ok {
		t.Note("GPO refused with %s", e)
		return outcome{refused: e}
	}
	t.Must(err, "GET PROCESSING OPTIONS")
	if g.Cryptogram != nil {
		var recs []tlv.TLV
		if len(g.AFL) > 0 {
			recs, err = s.k.ReadRecords(g.AFL)
			t.Must(err, "record reading")
		}
		return outcome{cryptogram: g.Cryptogram, tlvs: append(g.TLVs, recs...), aip: g.AIP}
	}
	recs, err := s.k.ReadRecords(g.AFL)
	t.Must(err, "record reading")
	cdol := cdol1(t, recs)
	c, _, err := s.k.GenerateAC(p1, cdol, tx)
	if e, ok := asSW(err); ok {
		t.Note("GENERATE AC refused with %s", e)
		return outcome{refused: e, tlvs: append(g.TLVs, recs...), aip: g.AIP}
	}
	t.Must(err, "GENERATE AC")
	all := append(append(g.TLVs, recs...), c.TLVs...)
	return outcome{cryptogram: &c, tlvs: all, aip: g.AIP}
}

func describe(c *terminal.Cryptogram) string {
	iadType := "?"
	if it, err := c.IADType(); err == nil {
		iadType = terminal.TypeName(it)
	}
	cid := "absent"
	if c.HasCID {
		cid = fmt.Sprintf("%02X (%s)", c.CID, terminal.TypeName(c.CID))
	}
	return fmt.Sprintf("9F27 %s, IAD CVR says %s, ATC %04X", cid, iadType, c.ATC)
}

// cvnHint is the declared cryptogram version, 0 without an ICS.
func cvnHint(t *harness.T) emvcrypto.CVN {
	if c := t.Session().ICS; c != nil && c.EMV != nil {
		return c.EMV.CVN()
	}
	return 0
}

// iadType reads the cryptogram type the card's IAD states, in the layout
// of the declared cryptogram version. ok is false when that layout states
// none (Visa format 2).
func iadType(t *harness.T, c *terminal.Cryptogram) (typ byte, ok bool) {
	typ, err := c.IADTypeAs(cvnHint(t))
	if errors.Is(err, terminal.ErrNoCVRType) {
		return 0, false
	}
	t.Must(err, "issuer application data")
	return typ, true
}

// effective is the cryptogram type the card committed to: 9F27, else the
// CVR. A card that states it in neither fails: the terminal cannot tell
// what it answered.
func effective(t *harness.T, c *terminal.Cryptogram) byte {
	if c.HasCID {
		return c.CID & 0xC0
	}
	typ, ok := iadType(t, c)
	if !ok {
		t.Failf("the card left out 9F27 and its IAD %X states no cryptogram type: the terminal cannot tell what it answered", c.IAD)
	}
	return typ
}

// iadStatesType reports whether the IAD of cryptogram version cvn states
// the cryptogram type: every layout but Visa format 2 (CVN 22), in
// paycert's reading of it (emvcrypto.ParseIAD).
func iadStatesType(cvn emvcrypto.CVN) bool { return cvn != emvcrypto.CVNVisa22 }

// needPBOC ends a test of PBOC electronic cash as not applicable for a
// card of another brand: by the ICS's cryptogram version, or without an
// ICS by the kernel of the selected application.
func needPBOC(t *harness.T) {
	if cvn := cvnHint(t); cvn != 0 && cvn != emvcrypto.CVNPBOC {
		t.NotApplicable(fmt.Sprintf("PBOC electronic cash (JR/T 0025.13) is a UnionPay feature; the ICS declares a %s card", cvn))
	}
	if s := tap(t); s.kernel != kernelQPBOC {
		t.NotApplicable(fmt.Sprintf("PBOC electronic cash (JR/T 0025.13) is a UnionPay feature; the card's application %X runs the %s kernel", s.fci.AID, s.kernel))
	}
}
