package emv

import (
	"fmt"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
)

// declared is what the suite uses of the ICS's emv section.
type declared struct {
	emv          *ics.EMV
	issuer       func(pan, psn string) (*emvcrypto.Issuer, error)
	hasKeys      bool
	cvn          emvcrypto.CVN
	pbocAlgID    byte
	keyIndex     int // -1 when not declared
	generateAC   bool
	onlineOnly   bool
	offlineECash bool
	cvmLimit     uint64
	fundingPAN   string
	tokenRanges  []ics.BINRange
}

func (d *declared) inTokenRange(pan string) bool { return d.emv.Token.InRange(pan) }

// needICS returns the declared card profile, or ends the test as not
// applicable when the run has no ICS with an emv section.
func needICS(t *harness.T) *declared {
	c := t.Session().ICS
	if c == nil {
		t.NotApplicable("no ICS was given (certify run --ics FILE): the card's declared profile is unknown")
	}
	if why := c.NotApplicable("emv"); why != "" {
		t.NotApplicable(why)
	}
	d, err := declaredFrom(c.EMV)
	if err != nil {
		t.Errorf("ICS: %v", err)
	}
	return d
}

// declaredFrom extracts what the suite uses from an ICS emv section.
func declaredFrom(e *ics.EMV) (*declared, error) {
	d := &declared{
		emv: e, issuer: e.Issuer, cvn: e.CVN(), keyIndex: -1,
		generateAC: e.GenerateAC, onlineOnly: e.OnlineOnly, offlineECash: e.OfflineECash,
		fundingPAN: e.Token.FundingPAN, tokenRanges: e.Token.BINRanges,
		hasKeys: !e.Cryptogram.IMKAC.IsZero() || !e.Cryptogram.ICCMasterKey.IsZero(),
	}
	if e.CVMLimit > 0 {
		d.cvmLimit = uint64(e.CVMLimit)
	}
	if e.Cryptogram.HasKeyIndex {
		d.keyIndex = int(e.Cryptogram.KeyIndex)
	}
	if d.cvn == emvcrypto.CVNPBOC {
		id, err := e.Cryptogram.Algorithm.PBOCID()
		if err != nil {
			return nil, err
		}
		d.pbocAlgID = id
	}
	return d, nil
}

// needKeys is needICS for test cases that verify cryptograms.
func needKeys(t *harness.T) *declared {
	d := needICS(t)
	if !d.hasKeys {
		t.NotApplicable("the ICS declares no cryptogram keys (emv.cryptogram.imk-ac or icc-master-key)")
	}
	if _, ok := d.cvn.Info(); !ok {
		t.NotApplicable(fmt.Sprintf("the ICS's cryptogram version %s is not one paycert verifies", d.cvn))
	}
	return d
}
