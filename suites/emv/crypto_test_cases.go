package emv

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/mask"
	"github.com/paycert/paycert/terminal"
	"github.com/paycert/paycert/tlv"
)

const (
	reqDSS331  = "PCI DSS v4.0.1 3.3.1"
	reqDSS35   = "PCI DSS v4.0.1 3.5.1"
	reqDSS341  = "PCI DSS v4.0.1 3.4.1"
	reqEMVB2   = "EMV Book 2 8.1"
	reqEMVATC  = "EMV Book 3 Annex A1 9F36"
	reqSeedKey = "SEED-Q5 tokens not PANs"
	reqSeedDyn = "SEED-Q6 dynamic data"
	reqSeedCVM = "SEED-Q0 no PIN below the limit"
)

// cardIdentity reads the PAN and PSN the card presents, from a qPBOC GPO
// (57, 5F34) or the records (5A, 57, 5F34).
func cardIdentity(t *harness.T, tlvs []tlv.TLV) (pan, psn string) {
	if o, ok := tlv.Find(tlvs, 0x5A); ok {
		pan = strings.TrimRight(strings.ToUpper(hex.EncodeToString(o.Value)), "F")
	} else if o, ok := tlv.Find(tlvs, 0x57); ok {
		pan, _, _ = strings.Cut(strings.ToUpper(hex.EncodeToString(o.Value)), "D")
	}
	if pan == "" {
		t.Failf("the card presented no PAN (5A or 57) in the transaction")
	}
	psn = "00"
	if o, ok := tlv.Find(tlvs, 0x5F34); ok && len(o.Value) == 1 {
		psn = fmt.Sprintf("%02X", o.Value[0])
	}
	return pan, psn
}

// verify checks a cryptogram under the declared issuer keys with the
// transaction data the terminal sent, returning the verification error.
func verify(t *harness.T, d *declared, tx terminal.Tx, o outcome) error {
	pan, psn := cardIdentity(t, o.tlvs)
	is, err := d.issuer(pan, psn)
	if err != nil {
		t.Errorf("issuer keys from the ICS: %v", err)
	}
	return verifyAC(is, tx, o.aip, o.cryptogram)
}

// verifyAC verifies cryptogram c over the terminal's transaction data, the
// card's AIP and the card's ATC and IAD.
func verifyAC(is *emvcrypto.Issuer, tx terminal.Tx, aip []byte, c *terminal.Cryptogram) error {
	tags := map[uint32][]byte{}
	for k, v := range tx.Values() {
		tags[uint32(k)] = v
	}
	etx := emvcrypto.TxDataFromTags(tags)
	etx.AIP, etx.ATC, etx.IAD = aip, binary.BigEndian.AppendUint16(nil, c.ATC), c.IAD
	return is.VerifyAC(etx, c.AC)
}

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-CRY-001",
	Suite: "emv", Needs: "card",
	Title:        "Every cryptogram verifies under the issuer's test keys",
	Requirement:  "Every application cryptogram (ARQC or AAC) a cloud card returns MUST verify under the issuer master key and cryptogram version its ICS declares, over the transaction data the terminal sent.",
	Requirements: []string{reqSeedDyn, reqEMVB2, "EMV Book 2 A1.4", reqPBOCqPBOC},
	Exercises:    "verified cryptogram",
}, func(t *harness.T) {
	d := needKeys(t)
	// full marks the transactions that need GENERATE AC (a full flow
	// requesting p1); the others are answered in the GPO response by a
	// qPBOC or qVSDC card, and run the full flow requesting p1 on M/Chip.
	grid := []struct {
		ttq    [4]byte
		amount uint64
		p1     byte
		full   bool
	}{
		{ttqOnline, 100, terminal.ARQC, false}, {ttqOnlineNoReq, 1, terminal.ARQC, false}, {ttqOnline, 99999, terminal.ARQC, false},
		{ttqOfflineOnly, 100, terminal.ARQC, false}, {ttqPBOC, 100, terminal.ARQC, true}, {ttqPBOC, 250, terminal.AAC, true},
	}
	for _, g := range grid {
		if g.full && !d.generateAC {
			continue
		}
		tx := newTx(t, g.ttq, g.amount)
		o := transact(t, tx, g.p1)
		if o.cryptogram == nil {
			continue
		}
		err := verify(t, d, tx, o)
		t.Note("TTQ %X amount %d: %s: AC %X verify: %v", g.ttq, g.amount, describe(o.cryptogram), o.cryptogram.AC, errString(err))
		Expect(err).NotTo(HaveOccurred(), fmt.Sprintf("TTQ %X amount %d: the cryptogram does not verify under the declared keys", g.ttq, g.amount))
		t.Exercised("verified cryptogram")
	}
})

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-DYN-002",
	Suite: "emv", Needs: "card",
	Title:        "The unpredictable number, amount and date enter the cryptogram",
	Requirement:  "A cloud card's cryptogram MUST cover the terminal's unpredictable number, amount and date: it verifies with the values sent and MUST NOT verify when any one of them is changed.",
	Requirements: []string{reqSeedDyn, reqEMVB2, reqDSS6},
}, func(t *harness.T) {
	d := needKeys(t)
	for i := 0; i < 3; i++ {
		tx := newTx(t, ttqOnline, uint64(100+i))
		o := transact(t, tx, terminal.ARQC)
		Expect(o.cryptogram).NotTo(BeNil(), "the card refused an online transaction: "+o.refused)
		Expect(verify(t, d, tx, o)).To(Succeed(), "the cryptogram does not verify over the data the terminal sent")
		for _, change := range []struct {
			what string
			mod  func(*terminal.Tx)
		}{
			{"unpredictable number", func(x *terminal.Tx) { x.UN[0] ^= 0x01 }},
			{"amount", func(x *terminal.Tx) { x.Amount++ }},
			{"date", func(x *terminal.Tx) { x.Date[2] ^= 0x01 }},
		} {
			alt := tx
			change.mod(&alt)
			err := verify(t, d, alt, o)
			Expect(errors.Is(err, emvcrypto.ErrACMismatch)).To(BeTrue(), fmt.Sprintf("the cryptogram still verifies with a changed %s: the card does not cover it", change.what))
		}
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-ATC-001",
	Suite: "emv", Needs: "card",
	Title:        "The ATC strictly increases",
	Requirement:  "A cloud card's application transaction counter (9F36) MUST increase with every transaction; GET DATA 9F36 MUST report the last value used.",
	Requirements: []string{reqSeedDyn, reqEMVATC},
}, func(t *harness.T) {
	var last int = -1
	for i := 0; i < 5; i++ {
		o := transact(t, newTx(t, ttqOnline, 100), terminal.ARQC)
		Expect(o.cryptogram).NotTo(BeNil(), "the card refused an online transaction: "+o.refused)
		atc := int(o.cryptogram.ATC)
		t.Note("transaction %d: ATC %04X", i+1, atc)
		if last >= 0 {
			Expect(atc).To(BeNumerically(">", last), fmt.Sprintf("transaction %d: ATC %04X does not exceed the previous %04X", i+1, atc, last))
		}
		last = atc
	}
	s := tap(t)
	v, sw, err := s.k.GetData(0x9F36)
	t.Must(err, "GET DATA 9F36")
	if sw.OK() {
		Expect(len(v)).To(Equal(2), "GET DATA 9F36 must return 2 bytes")
		Expect(int(binary.BigEndian.Uint16(v))).To(BeNumerically(">=", last), "GET DATA 9F36 reports an ATC below the last one used")
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-ATC-002",
	Suite: "emv", Needs: "card",
	Title:        "The ATC never repeats across power cycles",
	Requirement:  "A cloud card's ATC MUST survive resets and power cycles: no value may repeat, so that no cryptogram can be replayed.",
	Requirements: []string{reqSeedDyn, reqEMVATC, reqSSF},
}, func(t *harness.T) {
	seen := map[uint16]int{}
	for i := 0; i < 6; i++ {
		t.Reset() // a power cycle between every transaction
		o := transact(t, newTx(t, ttqOnline, 100), terminal.ARQC)
		Expect(o.cryptogram).NotTo(BeNil(), "the card refused an online transaction: "+o.refused)
		atc := o.cryptogram.ATC
		Expect(seen).NotTo(HaveKey(atc), fmt.Sprintf("after a power cycle, ATC %04X repeated (first seen in transaction %d)", atc, seen[atc]))
		seen[atc] = i + 1
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-TOK-001",
	Suite: "emv", Needs: "card",
	Title:        "The PAN on the card is a token from the declared BIN range",
	Requirement:  "The PAN a cloud card presents (5A, 57) MUST be a token: within the token BIN range its ICS declares, Luhn-valid, different from the funding PAN and not revealing the funding PAN's middle digits; its expiry MUST be plausible.",
	Requirements: []string{reqSeedKey, reqDSS35, "EMVCo Payment Tokenisation 1.0"},
}, func(t *harness.T) {
	d := needICS(t)
	o := transact(t, newTx(t, ttqPBOC, 100), terminal.ARQC)
	pan, _ := cardIdentity(t, o.tlvs)
	t.Note("card PAN %s", mask.PAN(pan))
	if len(d.tokenRanges) == 0 {
		t.NotApplicable("the ICS declares no token BIN range")
	}
	Expect(mask.Luhn(pan)).To(BeTrue(), "the PAN fails the Luhn check")
	Expect(d.inTokenRange(pan)).To(BeTrue(), fmt.Sprintf("the PAN %s is outside the declared token BIN ranges %v", mask.PAN(pan), d.tokenRanges))
	if d.fundingPAN != "" {
		Expect(pan).NotTo(Equal(d.fundingPAN), "the card carries the funding PAN itself")
		if len(d.fundingPAN) > 10 && len(pan) > 10 {
			mid := d.fundingPAN[6 : len(d.fundingPAN)-4]
			Expect(strings.Contains(pan, mid)).To(BeFalse(), "the token reveals the funding PAN's middle digits")
		}
	}
	if o2, ok := tlv.Find(o.tlvs, 0x5F24); ok {
		Expect(len(o2.Value)).To(Equal(3), "expiry (5F24) must be YYMMDD")
		mm := o2.Value[1]
		Expect(mm >= 0x01 && mm <= 0x12).To(BeTrue(), fmt.Sprintf("expiry month %02X is not a month", mm))
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-CVM-001",
	Suite: "emv", Needs: "card",
	Title:        "Online PIN above the CVM limit, no CVM below it",
	Requirement:  "A cloud card MUST ask for online PIN when the amount exceeds its CVM limit and the reader supports online PIN, and MUST NOT ask for a PIN at or below the limit, by the method its ICS declares (emv.cvm-method): in its CTQ (9F6C byte 1 bit 8) for qPBOC and qVSDC, or in its CVM list (8E: amount X, in the application currency 9F42, with rules for online PIN over X and no CVM otherwise) for M/Chip.",
	Requirements: []string{reqSeedCVM, "EMV Contactless Book C-7 CTQ", "EMV Book 3 10.5", reqPBOCqPBOC},
}, func(t *harness.T) {
	d := needICS(t)
	// A limit of 0 means every amount asks for a PIN.
	grid := []struct {
		amount uint64
		pin    bool
	}{{d.cvmLimit + 1, true}, {d.cvmLimit*10 + 10, true}}
	if d.cvmLimit > 0 {
		grid = append(grid, struct {
			amount uint64
			pin    bool
		}{1, false}, struct {
			amount uint64
			pin    bool
		}{d.cvmLimit, false})
	}
	method := d.emv.CVMMethod
	t.Note("CVM limit %d in currency %03d, stated by %s", d.cvmLimit, d.emv.Currency, method)
	for _, c := range grid {
		o := transact(t, newTx(t, ttqOnline, c.amount), terminal.ARQC)
		if method == ics.CVMByList {
			pin, why := cvmListWantsPIN(t, d, o, c.amount)
			t.Note("amount %d (limit %d): %s", c.amount, d.cvmLimit, why)
			Expect(pin).To(Equal(c.pin), fmt.Sprintf("amount %d with CVM limit %d: the CVM list asks for online PIN = %v, want %v (%s)", c.amount, d.cvmLimit, pin, c.pin, why))
			continue
		}
		ctq, ok := tlv.Find(o.tlvs, 0x9F6C)
		if !ok || len(ctq.Value) < 1 {
			t.Failf("amount %d: the card returned no CTQ (9F6C), which its ICS declares as its CVM method", c.amount)
		}
		t.Note("amount %d (limit %d): CTQ %X", c.amount, d.cvmLimit, ctq.Value)
		Expect(ctq.Value[0]&0x80 != 0).To(Equal(c.pin), fmt.Sprintf("amount %d with CVM limit %d: online PIN required = %v, want %v", c.amount, d.cvmLimit, ctq.Value[0]&0x80 != 0, c.pin))
	}
})

// cvmListWantsPIN runs EMV Book 3 10.5 CVM selection over the card's CVM
// list (8E) for amount, for a terminal that supports enciphered online
// PIN, signature and no CVM and transacts in the ICS's currency, which
// must be the card's application currency (9F42). It reports whether the
// selected method is online PIN; a list under which no method is selected
// (the terminal would record a CVM failure) fails the test case.
func cvmListWantsPIN(t *harness.T, d *declared, o outcome, amount uint64) (bool, string) {
	l, ok := tlv.Find(o.tlvs, 0x8E)
	if !ok {
		t.Failf("amount %d: the card's records carry no CVM list (8E), which its ICS declares as its CVM method", amount)
	}
	cur, ok := tlv.Find(o.tlvs, 0x9F42)
	if !ok || len(cur.Value) != 2 {
		t.Failf("amount %d: the card states no application currency (9F42), so its CVM list's amounts have no currency", amount)
	}
	if want := bcd3(d.emv.Currency); binary.BigEndian.Uint16(cur.Value) != want {
		t.Failf("the card's application currency 9F42 %X is not the ICS's currency %04X", cur.Value, want)
	}
	v := l.Value
	if len(v) < 10 || (len(v)-8)%2 != 0 {
		t.Failf("the CVM list %X is malformed: amounts X and Y (8 bytes) then 2-byte rules", v)
	}
	x, y := uint64(binary.BigEndian.Uint32(v[0:4])), uint64(binary.BigEndian.Uint32(v[4:8]))
	supported := func(m byte) bool { return m == 0x02 || m == 0x1E || m == 0x1F }
	for i := 8; i < len(v); i += 2 {
		code, cond := v[i], v[i+1]
		m := code & 0x3F
		var holds bool
		switch cond {
		case 0x00, 0x02: // always; not cash, not cashback (a purchase)
			holds = true
		case 0x03:
			holds = supported(m)
		case 0x06:
			holds = amount < x
		case 0x07:
			holds = amount > x
		case 0x08:
			holds = amount < y
		case 0x09:
			holds = amount > y
		}
		if !holds {
			continue
		}
		rule := fmt.Sprintf("rule %02X%02X (X %d, Y %d)", code, cond, x, y)
		switch {
		case m == 0x02:
			return true, rule + ": enciphered PIN online"
		case m == 0x1E || m == 0x1F:
			return false, rule + ": " + map[byte]string{0x1E: "signature", 0x1F: "no CVM required"}[m]
		case code&0x40 != 0:
			continue // the terminal cannot perform it; apply the next rule
		}
		t.Failf("amount %d: CVM list %X selects %s, which fails cardholder verification", amount, v, rule)
	}
	t.Failf("amount %d: no rule of the CVM list %X applies, so the terminal would record a CVM failure", amount, v)
	return false, ""
}

// sadTags are data objects that carry sensitive authentication data
// (PCI DSS: full track data, card verification codes, PINs and PIN
// blocks) of the funding account, or from which it would be read.
var sadTags = map[tlv.Tag]string{
	0x9F1F:   "track 1 discretionary data (where a static card verification code lives)",
	0x9F20:   "track 2 discretionary data (where a static card verification code lives)",
	0x9F60:   "CVC3 (track 1) in a record",
	0x9F61:   "CVC3 (track 2) in a record",
	0x99:     "transaction PIN data",
	0xDF8101: "PIN block",
}

// trackTags carry track data: SAD when the track is the funding
// account's, a cloud card's own when it is the token's.
var trackTags = map[tlv.Tag]string{
	0x56:   "track 1 data",
	0x57:   "track 2 equivalent data",
	0x9F6B: "track 2 data (magnetic-stripe mode)",
}

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-SAD-001",
	Suite: "emv", Needs: "card",
	Title:        "No sensitive authentication data on the card",
	Requirement:  "A cloud card MUST NOT hold sensitive authentication data of the funding account: no full track data bearing the funding PAN, no card verification codes (track discretionary data, CVC3 in a record), no PIN or PIN block in any record or response; and the funding PAN MUST NOT appear anywhere. (A cardholder name, 5F20, is cardholder data, not SAD: it is noted, not failed.)",
	Requirements: []string{reqDSS331, reqDSS341, reqSeedKey},
	Exercises:    "transaction",
}, func(t *harness.T) {
	d := needICS(t)
	var all []tlv.TLV
	for _, ttq := range [][4]byte{ttqOnline, ttqPBOC} {
		o := transact(t, newTx(t, ttq, 100), terminal.ARQC)
		if o.cryptogram == nil {
			continue // refused before the card showed all its data
		}
		t.Exercised("transaction")
		all = append(all, o.tlvs...)
	}
	var found []string
	names := map[string]bool{}
	tlv.Walk(all, func(o tlv.TLV) {
		if what, bad := sadTags[o.Tag]; bad {
			found = append(found, fmt.Sprintf("%s (%s)", o.Tag, what))
		}
		if o.Tag == 0x5F20 && !names[string(o.Value)] {
			names[string(o.Value)] = true
			t.Note("cardholder name 5F20 %q: cardholder data, not SAD; a cloud card should carry a placeholder, not the funding account's name", o.Value)
		}
		if d.fundingPAN != "" {
			digits := strings.ToUpper(hex.EncodeToString(o.Value))
			if strings.Contains(digits, d.fundingPAN) || bytes.Contains(o.Value, []byte(d.fundingPAN)) {
				what := "contains the funding PAN"
				if tr, ok := trackTags[o.Tag]; ok {
					what = tr + " of the funding account"
				}
				found = append(found, fmt.Sprintf("%s (%s)", o.Tag, what))
			}
		}
	})
	Expect(found).To(BeEmpty(), "sensitive data on the card: "+strings.Join(found, ", "))
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-ICS-001",
	Suite: "emv", Needs: "card",
	Title:        "A card declared online-only shows no offline capability",
	Requirement:  "A card whose ICS declares it online-only MUST NOT claim offline data authentication (AIP SDA, DDA or CDA bits) nor carry offline authentication keys (8F, 90, 9F32, 9F46, 9F47); and a cloud card MUST declare itself online-only without offline e-cash.",
	Requirements: []string{reqSeedOnline, reqSeedEC, "EMV Book 3 Annex C1"},
}, func(t *harness.T) {
	d := needICS(t)
	Expect(d.onlineOnly).To(BeTrue(), "the ICS does not declare the card online-only: a cloud card must be")
	Expect(d.offlineECash).To(BeFalse(), "the ICS declares offline electronic cash: a cloud card must not support it")
	for _, ttq := range [][4]byte{ttqOnline, ttqPBOC} {
		o := transact(t, newTx(t, ttq, 100), terminal.ARQC)
		t.Note("TTQ %X: AIP %X", ttq, o.aip)
		Expect(len(o.aip)).To(Equal(2), "the card returned no AIP (82)")
		Expect(o.aip[0]&0x61).To(BeZero(), fmt.Sprintf("AIP %X claims offline data authentication (SDA/DDA/CDA)", o.aip))
		for _, tag := range []tlv.Tag{0x8F, 0x90, 0x9F32, 0x9F46, 0x9F47} {
			_, has := tlv.Find(o.tlvs, tag)
			Expect(has).To(BeFalse(), fmt.Sprintf("the card carries %s, an offline authentication key element", tag))
		}
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-ICS-002",
	Suite: "emv", Needs: "card",
	Title:        "The IAD states the declared cryptogram version, algorithm and key index",
	Requirement:  "The issuer application data (9F10) of every cryptogram MUST state the cryptogram version, the algorithm and the derivation key index the ICS declares.",
	Requirements: []string{reqPBOCqPBOC, "EMV Book 3 Annex C"},
}, func(t *harness.T) {
	d := needKeys(t)
	for _, ttq := range [][4]byte{ttqOnline, ttqPBOC} {
		o := transact(t, newTx(t, ttq, 100), terminal.ARQC)
		Expect(o.cryptogram).NotTo(BeNil(), "the card refused the transaction: "+o.refused)
		iad, err := emvcrypto.ParseIAD(d.cvn, o.cryptogram.IAD)
		if err != nil {
			t.Failf("TTQ %X: IAD %X does not parse as declared (%s): %v", ttq, o.cryptogram.IAD, d.cvn, err)
		}
		t.Note("TTQ %X: IAD %X: CVN %s, DKI %02X, algorithm %02X", ttq, o.cryptogram.IAD, iad.CVN, iad.DKI, iad.AlgorithmID)
		Expect(iad.CVN).To(Equal(d.cvn), fmt.Sprintf("the IAD states cryptogram version %s, the ICS declares %s", iad.CVN, d.cvn))
		if d.keyIndex >= 0 {
			Expect(int(iad.DKI)).To(Equal(d.keyIndex), "the IAD's derivation key index differs from the ICS")
		}
		if d.pbocAlgID != 0 {
			Expect(iad.AlgorithmID).To(Equal(d.pbocAlgID), "the IAD's algorithm id differs from the ICS")
		}
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-ICS-003",
	Suite: "emv", Needs: "card",
	Title:        "The card offers every application its ICS declares",
	Requirement:  "A cloud card MUST offer every application (AID) its ICS declares: its PPSE, when it has one, MUST list each, and each MUST answer SELECT.",
	Requirements: []string{"EMV Book 1 12.3", "EMV Contactless Book B"},
	Exercises:    "declared application",
}, func(t *harness.T) {
	needICS(t)
	t.Reset()
	t.Values["powered"] = true
	k := terminal.Terminal{X: t}
	apps, perr := k.SelectPPSE()
	if _, refused := asSW(perr); perr != nil && !refused {
		t.Must(perr, "SELECT PPSE")
	}
	var missing []string
	for _, aid := range declaredAIDs(t) {
		listed := slices.ContainsFunc(apps, func(a terminal.App) bool { return bytes.Equal(a.AID, aid) })
		_, err := k.SelectAID(aid)
		_, refused := asSW(err)
		if err != nil && !refused {
			t.Must(err, fmt.Sprintf("SELECT %X", aid))
		}
		t.Note("declared %X: in the PPSE %v, SELECT %s", aid, listed, errString(err))
		switch {
		case perr == nil && !listed:
			missing = append(missing, fmt.Sprintf("%X is not listed in the PPSE", aid))
		case err != nil:
			missing = append(missing, fmt.Sprintf("%X does not answer SELECT (%v)", aid, err))
		}
		t.Exercised("declared application")
	}
	Expect(missing).To(BeEmpty(), "the card contradicts its ICS: "+strings.Join(missing, "; "))
})
