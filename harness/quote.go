package harness

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/paycert/paycert/iso7816"
	"github.com/paycert/paycert/mask"
)

// Bounds on what the harness quotes from an IUT. A hostile IUT may answer
// megabytes; a report quotes the start and says how much was cut.
const (
	// MaxQuoted bounds an error message quoted from an IUT.
	MaxQuoted = 512
	// MaxQuotedResult bounds a result quoted in the evidence.
	MaxQuotedResult = 2048
	// MaxQuotedAPDU bounds the hex of a response APDU in the evidence:
	// the longest R-APDU to a short command (258 bytes) is never cut.
	MaxQuotedAPDU = 2 * 300
)

// quote masks s (known PANs and keys: a key cut in two would no longer be
// recognised) and then bounds it to n bytes.
func (t *T) quote(s string, n int) string {
	return mask.Bound(t.sess.Masker.Text(s), n)
}

// AddSecret registers a key the run knows (hex) with its key check value:
// every message and evidence line then shows the KCV instead of the key
// (mask.Masker.AddSecret). The token suite registers each LUK it
// receives, the keymgmt suite each key it loads; the harness registers the
// ICS's keys and every key member (luk, initial_key, key, ipek, bdk) it
// sees on the wire, without a KCV until a suite gives one.
func (t *T) AddSecret(hexKey, kcv string) { t.sess.Masker.AddSecretKCV(hexKey, kcv) }

// learnSecrets registers the hex values of the key members (withheld) of
// params or a result.
func (t *T) learnSecrets(v any) {
	if v == nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	var m any
	if json.Unmarshal(b, &m) != nil {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && withheld[k] && k != "pin" {
					t.sess.Masker.AddSecret(s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(m)
}

// learnICSSecrets registers the ICS's test keys with the masker.
func (s *Session) learnICSSecrets() {
	c := s.ICS
	if c == nil {
		return
	}
	if e := c.EMV; e != nil {
		for _, k := range []interface {
			IsZero() bool
			Bytes() []byte
			KCV(int) ([]byte, error)
		}{e.Cryptogram.IMKAC, e.Cryptogram.ICCMasterKey} {
			if k.IsZero() {
				continue
			}
			kcv, _ := k.KCV(3)
			s.Masker.AddSecretKCV(hex.EncodeToString(k.Bytes()), hex.EncodeToString(kcv))
		}
	}
	if k := c.KeyMgmt; k != nil {
		for _, p := range k.Preloaded {
			if !p.BDK.IsZero() {
				s.Masker.AddSecretKCV(hex.EncodeToString(p.BDK.Bytes()), hex.EncodeToString(p.BDK.KCV()))
			}
		}
	}
}

// checkRAPDU rejects a response that is no answer any card may give to the
// command raw, whatever the command: a status word outside what ISO/IEC
// 7816-4 allows (SW1 6X or 9X, not 60), or more bytes than an R-APDU to
// the command can hold. Such a response is garbage on the wire, an error
// of the exchange (verdict error), not a refusal for the test case to
// judge; a legitimate refusal (6985, 6A82, ...) is returned as the card's
// answer.
func checkRAPDU(raw []byte, resp iso7816.Response, n int) error {
	if sw1 := resp.SW.SW1(); (sw1&0xF0 != 0x60 && sw1&0xF0 != 0x90) || sw1 == 0x60 {
		return fmt.Errorf("%w: the card answered status word %04X, which ISO/IEC 7816-4 allows no command to return (SW1 must be 6X or 9X, not 60)", iso7816.ErrMalformed, uint16(resp.SW))
	}
	limit := 256
	if cmd, err := iso7816.ParseCommand(raw); err == nil && (len(cmd.Data) > 255 || cmd.Le > 256) {
		limit = 65536
	}
	if len(resp.Data) > limit {
		return fmt.Errorf("%w: the card answered %d bytes, more than an R-APDU to this command can hold (%d data bytes and the status word)", iso7816.ErrMalformed, n, limit)
	}
	return nil
}
