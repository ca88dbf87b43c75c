package harness

import (
	"errors"
	"testing"

	"github.com/paycert/paycert/iso7816"
)

// TestCheckRAPDU: a status word no command can return and an oversized
// response are garbage on the wire (an error of the exchange); a refusal a
// command may return (6985) is the card's answer.
func TestCheckRAPDU(t *testing.T) {
	gpo := iso7816.GetProcessingOptions([]byte{0x83, 0x00}).MustBytes()
	for _, tc := range []struct {
		resp []byte
		ok   bool
	}{
		{[]byte{0x69, 0x85}, true},
		{[]byte{0x6A, 0x82}, true},
		{[]byte{0x80, 0x02, 0x00, 0x00, 0x90, 0x00}, true},
		{[]byte{0x91, 0x00}, true},
		{[]byte{0x0B, 0xAD}, false},
		{[]byte{0x60, 0x00}, false},
		{[]byte{0x00, 0x00}, false},
		{append(make([]byte, 256), 0x90, 0x00), true},
		{append(make([]byte, 257), 0x90, 0x00), false},
	} {
		r, err := iso7816.ParseResponse(tc.resp)
		if err != nil {
			t.Fatal(err)
		}
		err = checkRAPDU(gpo, r, len(tc.resp))
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, iso7816.ErrMalformed)) {
			t.Errorf("%d bytes, SW %04X: %v", len(tc.resp), uint16(r.SW), err)
		}
	}
}
