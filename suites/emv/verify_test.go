package emv

import (
	"errors"
	"testing"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/terminal"
)

// TestVerifyMastercardCVN17 shows the suite's verification path working for
// a vendor card declared as Mastercard CVN 17 with TDES keys: a cryptogram
// made with the card's keys verifies, and does not once the UN changes.
func TestVerifyMastercardCVN17(t *testing.T) {
	c, err := ics.Load("../../ics/testdata/mc-cvn17-tdes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := declaredFrom(c.EMV)
	if err != nil {
		t.Fatal(err)
	}
	if d.cvn != emvcrypto.CVNMastercard17 {
		t.Fatalf("declared CVN %s", d.cvn)
	}
	const pan = "5204740000001234"
	card, err := c.EMV.Issuer(pan, "00") // the card holds the same derived keys
	if err != nil {
		t.Fatal(err)
	}
	tx := terminal.Tx{TTQ: [4]byte{0x36, 0x80}, Amount: 1234, Country: 0x0250, Currency: 0x0978,
		Date: [3]byte{0x26, 0x11, 0x28}, UN: [4]byte{0xDE, 0xAD, 0xBE, 0xEF}}
	// Mastercard IAD: DKI | CVN 11 | CVR (6) | DAC (2) | counters (8).
	iad := []byte{0x01, 0x11, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8}
	aip := []byte{0x19, 0x80}
	cr := &terminal.Cryptogram{CID: 0x80, HasCID: true, ATC: 0x0042, IAD: iad}
	tags := map[uint32][]byte{}
	for k, v := range tx.Values() {
		tags[uint32(k)] = v
	}
	etx := emvcrypto.TxDataFromTags(tags)
	etx.AIP, etx.ATC, etx.IAD = aip, []byte{0x00, 0x42}, iad
	if cr.AC, err = card.ComputeAC(etx); err != nil {
		t.Fatal(err)
	}
	is, err := d.issuer(pan, "00")
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyAC(is, tx, aip, cr); err != nil {
		t.Fatalf("CVN 17 cryptogram does not verify: %v", err)
	}
	tx.UN[3] ^= 1
	if err := verifyAC(is, tx, aip, cr); !errors.Is(err, emvcrypto.ErrACMismatch) {
		t.Fatalf("changed UN: err = %v, want ARQC mismatch", err)
	}
	if typ, err := cr.IADType(); err != nil || typ != terminal.ARQC {
		t.Errorf("Mastercard IAD type = %v, %v; want ARQC", typ, err)
	}
}
