// Package emv is paycert's EMV/qPBOC card suite: what a cloud card must do
// at the contactless interface. Test cases are declared with harness.Case
// and run through certify or `go test`.
package emv

import (
	"bytes"
	"fmt"
	"time"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/terminal"
	"github.com/paycert/paycert/tlv"
)

// UnionPay's registered application provider identifier.
var unionPayRID = []byte{0xA0, 0x00, 0x00, 0x03, 0x33}

// TTQ values the suite presents (9F66).
var (
	ttqOnline      = [4]byte{0x36, 0x80, 0x00, 0x00} // qPBOC, contact, online PIN, signature; online cryptogram required
	ttqOnlineNoReq = [4]byte{0x26, 0x00, 0x00, 0x00} // qPBOC, online PIN, signature; online not required
	ttqOfflineOnly = [4]byte{0x28, 0x00, 0x00, 0x00} // qPBOC, offline-only reader
	ttqOffline2    = [4]byte{0x2A, 0x00, 0x00, 0x00} // qPBOC, offline-only reader, signature
	ttqPBOC        = [4]byte{0x40, 0x80, 0x00, 0x00} // full PBOC (GENERATE AC) flow, online capable
	ttqPBOCOffline = [4]byte{0x48, 0x00, 0x00, 0x00} // full PBOC flow, offline-only reader
)

// session is one tap: the card powered, PPSE and the application selected.
type session struct {
	t   *harness.T
	k   terminal.Terminal
	fci terminal.FCI
}

// tap resets the card, selects the PPSE and the highest-priority UnionPay
// application. Cards that do not answer are errors, not failures.
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
	apps, err := k.SelectPPSE()
	t.Must(err, "application selection")
	var best *terminal.App
	for i := range apps {
		a := &apps[i]
		if bytes.HasPrefix(a.AID, unionPayRID) && (best == nil || (a.Priority&0x0F) < (best.Priority&0x0F)) {
			best = a
		}
	}
	if best == nil {
		t.Errorf("application selection: the PPSE lists no UnionPay application (RID A000000333)")
	}
	fci, err := k.SelectAID(best.AID)
	t.Must(err, "application selection")
	t.Note("selected %X (%s)", best.AID, best.Label)
	return &session{t: t, k: k, fci: fci}
}

// tx returns a transaction with the given TTQ and amount and a fresh
// unpredictable number from the run's seeded source.
func newTx(t *harness.T, ttq [4]byte, amount uint64) terminal.Tx {
	var un [4]byte
	copy(un[:], t.Session().Rand(4))
	now := time.Now().UTC()
	return terminal.Tx{
		TTQ: ttq, Amount: amount, Country: 0x0156, Currency: 0x0156,
		Date:     [3]byte(terminal.BCD(uint64(now.Year()%100*10000+int(now.Month())*100+now.Day()), 3)),
		Type:     0x00,
		UN:       un,
		TermType: 0x22,
	}
}

// outcome is what the card answered to one transaction attempt.
type outcome struct {
	cryptogram *terminal.Cryptogram
	refused    string    // non-empty when the card refused with a status word
	tlvs       []tlv.TLV // every data object the card returned, for scans
	aip        []byte    // the AIP the card stated
}

// transact runs one transaction: GPO and, when the card answers format 1
// (full PBOC flow), READ RECORD and GENERATE AC requesting p1.
func transact(t *harness.T, tx terminal.Tx, p1 byte) outcome {
	s := tap(t)
	g, err := s.k.GPO(s.fci.PDOL, tx)
	if e, ok := asSW(err); ok {
		t.Note("GPO refused with %s", e)
		return outcome{refused: e}
	}
	t.Must(err, "GET PROCESSING OPTIONS")
	if g.Cryptogram != nil {
		return outcome{cryptogram: g.Cryptogram, tlvs: g.TLVs, aip: g.AIP}
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
