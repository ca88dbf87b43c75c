package emv

import (
	"errors"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/iso7816"
	"github.com/paycert/paycert/tlv"
)

func asSW(err error) (string, bool) {
	var e *iso7816.Error
	if errors.As(err, &e) {
		return e.Error(), true
	}
	return "", false
}

func cdol1(t *harness.T, recs []tlv.TLV) tlv.DOL {
	o, ok := tlv.Find(recs, 0x8C)
	if !ok {
		t.Errorf("record reading: no CDOL1 (8C) in the records, so GENERATE AC cannot be built")
	}
	d, err := tlv.ParseDOL(o.Value)
	t.Must(err, "CDOL1")
	return d
}
