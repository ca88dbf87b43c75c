package emv

import (
	"fmt"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/terminal"
	"github.com/paycert/paycert/tlv"
)

func ecTx(t *harness.T, ttq [4]byte, amount uint64) terminal.Tx {
	tx := newTx(t, ttq, amount)
	tx.ECSupport = 0x01
	return tx
}

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-EC-001",
	Suite: "emv", Needs: "card",
	Title:        "No EC issuer authorisation code (9F74) when the terminal offers e-cash",
	Requirement:  "When the terminal indicates electronic-cash support (9F7A = 01), a cloud card MUST NOT return an EC issuer authorisation code (9F74) in any response: it performs no offline e-cash.",
	Requirements: []string{reqSeedEC, reqPBOCEC},
	Exercises:    "e-cash transaction",
}, func(t *harness.T) {
	needPBOC(t)
	for _, amount := range []uint64{1, 100, 1000} {
		for _, ttq := range [][4]byte{ttqOnline, ttqOnlineNoReq, ttqPBOC} {
			o := transact(t, ecTx(t, ttq, amount), terminal.TC)
			_, has := tlv.Find(o.tlvs, 0x9F74)
			Expect(has).To(BeFalse(), fmt.Sprintf("9F7A=01, TTQ %X, amount %d: the card returned 9F74 (offline e-cash approval)", ttq, amount))
			if o.cryptogram != nil {
				t.Exercised("e-cash transaction")
			}
		}
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-EC-002",
	Suite: "emv", Needs: "card",
	Title:        "No e-cash balance",
	Requirement:  "A cloud card MUST NOT hold an electronic-cash balance: GET DATA for 9F79 (and 9F77, 9F78) MUST be refused or zero, and any 9F5D (available offline amount) MUST be zero.",
	Requirements: []string{reqSeedEC, reqPBOCEC},
}, func(t *harness.T) {
	needPBOC(t)
	s := tap(t)
	for _, tag := range []tlv.Tag{0x9F79, 0x9F77, 0x9F78} {
		v, sw, err := s.k.GetData(tag)
		t.Must(err, "GET DATA")
		t.Note("GET DATA %s: %s %X", tag, sw, v)
		if sw.OK() {
			Expect(terminal.IsZero(v)).To(BeTrue(), fmt.Sprintf("GET DATA %s returned a non-zero e-cash value %X", tag, v))
		}
	}
	o := transact(t, ecTx(t, ttqOnline, 100), terminal.TC)
	if v, ok := tlv.Find(o.tlvs, 0x9F5D); ok {
		Expect(terminal.IsZero(v.Value)).To(BeTrue(), fmt.Sprintf("9F5D (available offline amount) is %X", v.Value))
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "EMV-EC-003",
	Suite: "emv", Needs: "card",
	Title:        "No offline approval when e-cash is offered",
	Requirement:  "When the terminal indicates electronic-cash support (9F7A = 01) and the amount is small, a cloud card MUST NOT approve offline: no TC in 9F27 or in the CVR.",
	Requirements: []string{reqSeedEC, reqSeedOnline, reqPBOCEC},
	Exercises:    "e-cash transaction",
}, func(t *harness.T) {
	needPBOC(t)
	for _, ttq := range [][4]byte{ttqOnline, ttqOnlineNoReq, ttqOfflineOnly} {
		for _, amount := range []uint64{1, 500} {
			o := transact(t, ecTx(t, ttq, amount), terminal.TC)
			if o.cryptogram == nil {
				continue
			}
			t.Note("9F7A=01 TTQ %X amount %d: %s", ttq, amount, describe(o.cryptogram))
			eff := effective(t, o.cryptogram)
			Expect(terminal.TypeName(eff)).NotTo(Equal("TC"), fmt.Sprintf("9F7A=01, TTQ %X, amount %d: offline approval", ttq, amount))
			t.Exercised("e-cash transaction")
		}
	}
})
