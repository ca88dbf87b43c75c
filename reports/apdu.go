package reports

import (
	"encoding/hex"
	"strings"

	"github.com/paycert/paycert/tlv"
)

// apduView is an APDU evidence line ("NAME C: <hex>  R: <hex>") split into
// its command and response, each with its BER-TLV tree when it has one.
type apduView struct {
	Name     string
	Command  string // hex
	Response string // hex, or the exchange's error in angle brackets
	SW       string // the status word, when the response has one
	CmdTree  []tlvNode
	RespTree []tlvNode
}

// tlvNode is one decoded data object. Value is hex for a primitive object,
// with 'X' where the evidence masked a digit.
type tlvNode struct {
	Tag      string
	Value    string
	Children []tlvNode
}

// decodeAPDU splits an APDU evidence line. Of command data it decodes only
// GET PROCESSING OPTIONS (INS A8, a tag 83 template): other commands carry
// an AID or DOL-ordered values, which are not TLV. Response data (without
// SW1 SW2) is decoded when it parses as BER-TLV. ok is false for a line of
// another shape (RESET, notes).
func decodeAPDU(text string) (v apduView, ok bool) {
	name, rest, ok := strings.Cut(text, " C: ")
	if !ok {
		return v, false
	}
	cmd, resp, ok := strings.Cut(rest, "  R: ")
	if !ok || !isMaskedHex(cmd) {
		return v, false
	}
	v = apduView{Name: name, Command: cmd, Response: resp}
	if len(cmd) > 10 && strings.EqualFold(cmd[2:4], "A8") {
		if lc, err := hex.DecodeString(cmd[8:10]); err == nil && len(cmd) >= 10+2*int(lc[0]) {
			v.CmdTree = decodeTLV(cmd[10 : 10+2*int(lc[0])])
		}
	}
	if isMaskedHex(resp) && len(resp) >= 4 {
		v.SW = resp[len(resp)-4:]
		v.RespTree = decodeTLV(resp[:len(resp)-4])
	}
	return v, true
}

// isMaskedHex reports whether s is whole bytes of hex digits, some perhaps
// masked as 'X'.
func isMaskedHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789ABCDEFabcdefX", c) {
			return false
		}
	}
	return true
}

// decodeTLV parses masked hex as BER-TLV. Masked digits are read once as 0
// and once as F: where the two parses agree on structure (masking touches
// only values), a value digit that differs between them is shown as 'X'.
// It returns nil when the data is empty or not TLV.
func decodeTLV(s string) []tlvNode {
	lo, err1 := hex.DecodeString(strings.ReplaceAll(s, "X", "0"))
	hi, err2 := hex.DecodeString(strings.ReplaceAll(s, "X", "F"))
	if len(lo) == 0 || err1 != nil || err2 != nil {
		return nil
	}
	a, err1 := tlv.Parse(lo)
	b, err2 := tlv.Parse(hi)
	if err1 != nil || err2 != nil {
		return nil
	}
	nodes, ok := merge(a, b)
	if !ok {
		return nil
	}
	return nodes
}

func merge(a, b []tlv.TLV) ([]tlvNode, bool) {
	if len(a) != len(b) {
		return nil, false
	}
	out := make([]tlvNode, len(a))
	for i := range a {
		if a[i].Tag != b[i].Tag || len(a[i].Value) != len(b[i].Value) {
			return nil, false
		}
		out[i].Tag = a[i].Tag.String()
		if a[i].Tag.Constructed() {
			kids, ok := merge(a[i].Children, b[i].Children)
			if !ok {
				return nil, false
			}
			out[i].Children = kids
			continue
		}
		x, y := []byte(strings.ToUpper(hex.EncodeToString(a[i].Value))), strings.ToUpper(hex.EncodeToString(b[i].Value))
		for j := range x {
			if x[j] != y[j] {
				x[j] = 'X'
			}
		}
		out[i].Value = string(x)
	}
	return out, true
}
