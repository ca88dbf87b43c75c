package emv

import (
	"fmt"
	"slices"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/terminal"
	"github.com/paycert/paycert/tlv"
)

// Requirement IDs used by this file; docs/requirements.md paraphrases each.
const (
	reqSeedOnline = "SEED-Q3 online-only"
	reqSeedEC     = "SEED-Q3 no offline e-cash"
	reqPBOCqPBOC  = "JR/T 0025.12 qPBOC"
	reqPBOCEC     = "JR/T 0025.13 EC"
	reqEMVGenAC   = "EMV Book 3 6.5.5"
	reqEMVCID     = "EMV Book 3 Annex C"
	reqDSS6       = "PCI DSS v4.0.1 6.2.4"
	reqSSF        = "PCI SSF SSS 6.1"
)

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-SEL-001",
	Suite: "emv", Needs: "card",
	Title:        "PPSE and the cryptogram's data object list ask for amount and unpredictable number",
	Requirement:  "A cloud card MUST list its payment application in the PPSE, and the data object list its cryptogram is computed from MUST request the amount (9F02) and the unpredictable number (9F37), so that every cryptogram binds the terminal's challenge: the PDOL of a qPBOC or qVSDC card, which MUST also request the TTQ (9F66); the CDOL1 (8C) of an M/Chip card.",
	Requirements: []string{reqPBOCqPBOC, "EMV Book 3 5.4", "EMV Contactless Book C-2", "EMV Contactless Book C-3"},
}, func(t *harness.T) {
	s := tap(t)
	dol, name := s.fci.PDOL, "PDOL (9F38)"
	if s.kernel == kernelMChip {
		// M/Chip takes the terminal's data with GENERATE AC: its CDOL1
		// comes in the records, after GPO.
		o := transact(t, newTx(t, ttqPBOC, 100), terminal.ARQC)
		if o.refused != "" && len(o.tlvs) == 0 {
			t.Failf("the card refused GET PROCESSING OPTIONS (%s): it never shows the CDOL1 its cryptogram is computed from", o.refused)
		}
		c, ok := tlv.Find(o.tlvs, 0x8C)
		if !ok {
			t.Failf("the card's records carry no CDOL1 (8C)")
		}
		var err error
		dol, err = tlv.ParseDOL(c.Value)
		t.Must(err, "CDOL1")
		name = "CDOL1 (8C)"
	} else {
		Expect(s.fci.PDOL).NotTo(BeEmpty(), "SELECT AID returned no PDOL (9F38)")
	}
	asked := map[uint32]int{}
	for _, e := range dol {
		asked[uint32(e.Tag)] = e.Len
	}
	t.Note("%s %X (kernel %s)", name, dol.Bytes(), s.kernel)
	if s.kernel != kernelMChip {
		Expect(asked).To(HaveKeyWithValue(uint32(0x9F66), 4), name+" must ask for the TTQ (9F66, 4 bytes)")
	}
	Expect(asked).To(HaveKeyWithValue(uint32(0x9F02), 6), name+" must ask for the amount (9F02, 6 bytes)")
	Expect(asked).To(HaveKeyWithValue(uint32(0x9F37), 4), name+" must ask for the unpredictable number (9F37, 4 bytes)")
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-ONL-001",
	Suite: "emv", Needs: "card",
	Title:        "No TC as the first cryptogram, whatever the reader",
	Requirement:  "A cloud card MUST NOT return a TC (offline approval) as the first cryptogram of a transaction for any reader, including an offline-only one and a terminal that requests a TC: in its GET PROCESSING OPTIONS response for any TTQ (qPBOC, qVSDC), in its first GENERATE AC (M/Chip); neither 9F27 nor the CVR in the issuer application data may state a TC.",
	Requirements: []string{reqSeedOnline, reqPBOCqPBOC, reqEMVCID},
	Exercises:    "cryptogram",
}, func(t *harness.T) {
	grid := []struct {
		ttq    [4]byte
		amount uint64
	}{
		{ttqOnline, 100}, {ttqOnlineNoReq, 100}, {ttqOfflineOnly, 100}, {ttqOffline2, 1},
		{ttqOfflineOnly, 50000}, {[4]byte{0x20, 0x00, 0x00, 0x00}, 1}, {[4]byte{0xA8, 0x00, 0x00, 0x00}, 1},
	}
	for _, g := range grid {
		o := transact(t, newTx(t, g.ttq, g.amount), terminal.TC)
		if o.cryptogram == nil {
			continue // refused: a decline, which conforms
		}
		c := o.cryptogram
		t.Exercised("cryptogram")
		t.Note("TTQ %X amount %d: %s", g.ttq, g.amount, describe(c))
		if c.HasCID {
			Expect(terminal.TypeName(c.CID)).NotTo(Equal("TC"), fmt.Sprintf("TTQ %X amount %d: 9F27 states a TC", g.ttq, g.amount))
		}
		if it, ok := iadType(t, c); ok {
			Expect(terminal.TypeName(it)).NotTo(Equal("TC"), fmt.Sprintf("TTQ %X amount %d: the CVR in 9F10 states a TC", g.ttq, g.amount))
		} else {
			effective(t, c) // 9F27 alone must state the type
		}
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-ONL-002",
	Suite: "emv", Needs: "card",
	Title:        "GENERATE AC never yields a TC; an AAC request yields an AAC",
	Requirement:  "In the full PBOC flow a cloud card MUST answer GENERATE AC with an ARQC or an AAC, never a TC, whether P1 requests a TC, an ARQC or an AAC, online-capable reader or not; a request for an AAC MUST be answered with an AAC.",
	Requirements: []string{reqSeedOnline, reqEMVGenAC},
	Exercises:    "answered AAC request",
}, func(t *harness.T) {
	if c := t.Session().ICS; c != nil {
		if why := c.NotApplicable("emv.generate-ac"); why != "" {
			t.NotApplicable(why)
		}
	}
	for _, ttq := range [][4]byte{ttqPBOC, ttqPBOCOffline} {
		for _, p1 := range []byte{terminal.TC, terminal.ARQC, terminal.AAC, terminal.TC | 0x10} {
			o := transact(t, newTx(t, ttq, 100), p1)
			if o.cryptogram == nil {
				continue
			}
			c := o.cryptogram
			t.Note("TTQ %X P1 %02X: %s", ttq, p1, describe(c))
			Expect(terminal.TypeName(c.CID)).NotTo(Equal("TC"), fmt.Sprintf("TTQ %X, GENERATE AC P1=%02X: the card returned a TC", ttq, p1))
			if p1&0xC0 == terminal.AAC {
				Expect(terminal.TypeName(c.CID)).To(Equal("AAC"), fmt.Sprintf("TTQ %X: GENERATE AC requesting an AAC was answered with a higher cryptogram", ttq))
				t.Exercised("answered AAC request")
			}
		}
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-ONL-003",
	Suite: "emv", Needs: "card",
	Title:        "No TC at any amount around the CVM and e-cash limits",
	Requirement:  "A cloud card MUST NOT approve offline at any amount, including amounts just below, at and above the CVM limit and the usual electronic-cash limits.",
	Requirements: []string{reqSeedOnline, reqPBOCqPBOC},
	Exercises:    "cryptogram",
}, func(t *harness.T) {
	limit := uint64(30000)
	if c := t.Session().ICS; c != nil && c.EMV != nil {
		limit = uint64(c.EMV.CVMLimit)
	}
	amounts := []uint64{1, 99, 100, 50000, 99999, 100000, 100001, 999999999, limit, limit + 1}
	if limit > 0 {
		amounts = append(amounts, limit-1)
	}
	slices.Sort(amounts)
	for _, amount := range slices.Compact(amounts) {
		for _, ttq := range [][4]byte{ttqOnlineNoReq, ttqOfflineOnly} {
			o := transact(t, newTx(t, ttq, amount), terminal.TC)
			if o.cryptogram == nil {
				continue
			}
			eff := effective(t, o.cryptogram)
			Expect(terminal.TypeName(eff)).NotTo(Equal("TC"), fmt.Sprintf("amount %d, TTQ %X: the card approved offline", amount, ttq))
			t.Exercised("cryptogram")
		}
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-ONL-004",
	Suite: "emv", Needs: "card",
	Title:        "9F27 and the CVR agree on the cryptogram type",
	Requirement:  "When a cloud card returns both a Cryptogram Information Data (9F27) and issuer application data with a CVR, both MUST state the same cryptogram type, so that terminal and issuer see the same decision.",
	Requirements: []string{reqEMVCID, reqPBOCqPBOC},
	Exercises:    "cryptogram",
}, func(t *harness.T) {
	if cvn := cvnHint(t); !iadStatesType(cvn) {
		t.NotApplicable(fmt.Sprintf("the ICS declares %s, whose issuer application data (Visa format 2) states no cryptogram type in paycert's reading: 9F27 alone states it", cvn))
	}
	seen := 0
	for _, c := range []struct {
		ttq [4]byte
		p1  byte
	}{{ttqOnline, terminal.ARQC}, {ttqOfflineOnly, terminal.TC}, {ttqPBOC, terminal.ARQC}, {ttqPBOC, terminal.AAC}} {
		o := transact(t, newTx(t, c.ttq, 100), c.p1)
		if o.cryptogram == nil {
			continue
		}
		t.Exercised("cryptogram")
		if !o.cryptogram.HasCID {
			continue
		}
		seen++
		it, _ := iadType(t, o.cryptogram)
		t.Note("TTQ %X: %s", c.ttq, describe(o.cryptogram))
		Expect(terminal.TypeName(it)).To(Equal(terminal.TypeName(o.cryptogram.CID)), fmt.Sprintf("TTQ %X: 9F27 and the IAD's CVR disagree", c.ttq))
	}
	if seen == 0 && t.Count("cryptogram") > 0 {
		t.NotApplicable("the card returned no 9F27 alongside a CVR in any transaction")
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-ONL-005",
	Suite: "emv", Needs: "card",
	Title:        "An online-capable reader gets an ARQC",
	Requirement:  "A cloud card MUST request online authorisation (an ARQC) when the reader is online-capable and the transaction is within the card's limits: online is its only way to approve.",
	Requirements: []string{reqSeedOnline, reqPBOCqPBOC},
}, func(t *harness.T) {
	for _, ttq := range [][4]byte{ttqOnline, ttqPBOC} {
		o := transact(t, newTx(t, ttq, 100), terminal.ARQC)
		Expect(o.refused).To(BeEmpty(), fmt.Sprintf("TTQ %X: the card refused the transaction", ttq))
		eff := effective(t, o.cryptogram)
		t.Note("TTQ %X: %s", ttq, describe(o.cryptogram))
		Expect(terminal.TypeName(eff)).To(Equal("ARQC"), fmt.Sprintf("TTQ %X: an online-capable reader got no ARQC", ttq))
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-DYN-001",
	Suite: "emv", Needs: "card",
	Title:        "Every cryptogram differs",
	Requirement:  "Every application cryptogram a cloud card produces MUST differ from every earlier one: the ATC and the unpredictable number enter it.",
	Requirements: []string{"SEED-Q6 dynamic data", reqDSS6, reqSSF},
}, func(t *harness.T) {
	seen := map[string]int{}
	for i := 0; i < 8; i++ {
		tx := newTx(t, ttqOnline, 100)
		if i%2 == 1 {
			tx.UN = [4]byte{0x12, 0x34, 0x56, 0x78} // a repeated UN must not repeat the cryptogram either
		}
		o := transact(t, tx, terminal.ARQC)
		if o.cryptogram == nil {
			t.Failf("transaction %d of an online-capable reader was refused (%s): no cryptogram to compare", i+1, o.refused)
		}
		ac := fmt.Sprintf("%X", o.cryptogram.AC)
		Expect(seen).NotTo(HaveKey(ac), fmt.Sprintf("transaction %d repeated the cryptogram of transaction %d", i+1, seen[ac]))
		seen[ac] = i + 1
	}
})
