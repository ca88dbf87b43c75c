package keymgmt

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/harness"
)

// loadKey sends pinpad.load_initial_key for k.
func loadKey(t *harness.T, k *keyCtx) {
	ksn := hexU(k.iksn[:])
	if !k.s.tdes() {
		z := dukpt.NewAESKSN(k.id, 0)
		ksn = hexU(z[:])
	}
	ikb := k.ik.Bytes()
	params := map[string]string{"scheme": k.s.wire, "initial_key": hexU(ikb), "ksn": ksn}
	// The initial key goes over the wire: no file of the run may contain
	// it, and an IUT that quotes it shows its KCV.
	t.AddSecret(params["initial_key"], hexU(k.ik.KCV()))
	clear(ikb)
	t.Note("loading initial key %s (scheme %s, KSN %s)", k.ik, k.s.wire, ksn)
	t.MustCall(Role, mLoad, params, nil)
	k.loaded = true
	k.history = nil
}

// Results of the pinpad methods. Validate makes the adapter client report a
// missing, empty or non-hex member as a protocol violation naming the
// method. (It checks presence itself rather than through RequiredFields,
// which would parse every result twice: the exhaustive test decodes a
// million of them.)
type pinResult struct {
	KSN      string `json:"ksn"`
	PINBlock string `json:"pin_block"`
}

func (r *pinResult) Validate() error {
	return validHex(map[string]string{"ksn": r.KSN, "pin_block": r.PINBlock})
}

type macResult struct {
	KSN string `json:"ksn"`
	MAC string `json:"mac"`
}

func (r *macResult) Validate() error {
	return validHex(map[string]string{"ksn": r.KSN, "mac": r.MAC})
}

type dataResult struct {
	KSN        string `json:"ksn"`
	Ciphertext string `json:"ciphertext"`
}

func (r *dataResult) Validate() error {
	return validHex(map[string]string{"ksn": r.KSN, "ciphertext": r.Ciphertext})
}

func validHex(fields map[string]string) error {
	for _, name := range []string{"ksn", "pin_block", "mac", "ciphertext"} {
		v, ok := fields[name]
		if !ok {
			continue
		}
		if v == "" {
			return fmt.Errorf("member %q is missing or empty", name)
		}
		if _, err := hex.DecodeString(v); err != nil {
			return fmt.Errorf("%s %q is not hexadecimal", name, v)
		}
	}
	return nil
}

func unhex(s string) []byte {
	b, _ := hex.DecodeString(s) // validated by the result type
	return b
}

// pinParams are the params of pinpad.encrypt_pin. The evidence never
// shows the PIN (the harness withholds member "pin") nor more of the PAN
// than its first six and last four digits.
type pinParams struct {
	PIN    string `json:"pin"`
	PAN    string `json:"pan"`
	Format string `json:"format"`
}

// PANs lets the harness mask the PAN in the evidence.
func (p pinParams) PANs() []string { return []string{p.PAN} }

type dataParams struct {
	Data string `json:"data"`
}

// encryptPIN runs one pinpad.encrypt_pin transaction.
func encryptPIN(t *harness.T, pin, pan, format string) (ksn, block []byte) {
	var r pinResult
	t.MustCall(Role, mPIN, pinParams{pin, pan, format}, &r)
	return unhex(r.KSN), unhex(r.PINBlock)
}

// macData runs one pinpad.mac transaction.
func macData(t *harness.T, data []byte) (ksn, m []byte) {
	var r macResult
	t.MustCall(Role, mMAC, dataParams{hexU(data)}, &r)
	return unhex(r.KSN), unhex(r.MAC)
}

// encryptData runs one pinpad.encrypt_data transaction.
func encryptData(t *harness.T, data []byte) (ksn, ct []byte) {
	var r dataResult
	t.MustCall(Role, mData, dataParams{hexU(data)}, &r)
	return unhex(r.KSN), unhex(r.Ciphertext)
}

// mustBatch pipelines calls that the PIN pad has to accept (T.Batch): a
// refusal ends the test with verdict fail.
func mustBatch(t *harness.T, calls []adapter.Call) {
	for i, err := range t.Batch(Role, calls, batchPerCall) {
		if err != nil {
			t.Failf("%s: the PIN pad refused a valid request: %v", calls[i].Method, err)
		}
	}
}

func hexU(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
