// Package terminal is the minimal contactless terminal kernel the suites use
// to drive a card: application selection, GET PROCESSING OPTIONS in qPBOC
// and EMV mode, record reading, GENERATE AC and GET DATA, with every answer
// parsed strictly.
//
// It judges nothing: it reports what the card said, and errors when the
// card's answer cannot be parsed. Suites decide what conforms.
package terminal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/iso7816"
	"github.com/paycert/paycert/tlv"
)

// Exchanger sends one command APDU and returns the response.
type Exchanger interface {
	Exchange(cmd iso7816.Command) iso7816.Response
}

// ErrProtocol is wrapped by errors about answers that break the EMV/PBOC
// command formats.
var ErrProtocol = errors.New("protocol violation")

// Cryptogram types (9F27 bits 8-7).
const (
	AAC  byte = 0x00
	TC   byte = 0x40
	ARQC byte = 0x80
)

// TypeName names a cryptogram type.
func TypeName(t byte) string {
	switch t & 0xC0 {
	case AAC:
		return "AAC"
	case TC:
		return "TC"
	case ARQC:
		return "ARQC"
	}
	return "RFU"
}

// Terminal drives one card.
type Terminal struct{ X Exchanger }

// App is an entry of the PPSE directory.
type App struct {
	AID      []byte
	Label    string
	Priority byte
}

// SelectPPSE selects the proximity payment system environment and lists its
// applications.
func (k Terminal) SelectPPSE() ([]App, error) {
	r := k.X.Exchange(iso7816.Select([]byte("2PAY.SYS.DDF01")))
	if !r.SW.OK() {
		return nil, &iso7816.Error{Op: "SELECT PPSE", SW: r.SW}
	}
	l, err := tlv.Parse(r.Data)
	if err != nil {
		return nil, fmt.Errorf("SELECT PPSE: %w", err)
	}
	var apps []App
	tlv.Walk(l, func(o tlv.TLV) {
		if o.Tag != 0x61 {
			return
		}
		var a App
		for _, c := range o.Children {
			switch c.Tag {
			case 0x4F:
				a.AID = c.Value
			case 0x50:
				a.Label = string(c.Value)
			case 0x87:
				if len(c.Value) == 1 {
					a.Priority = c.Value[0]
				}
			}
		}
		apps = append(apps, a)
	})
	if len(apps) == 0 {
		return nil, fmt.Errorf("SELECT PPSE: %w: no directory entry (61) in the FCI", ErrProtocol)
	}
	return apps, nil
}

// FCI is what SELECT AID returned.
type FCI struct {
	AID  []byte
	PDOL tlv.DOL
	TLVs []tlv.TLV
}

// SelectAID selects an application.
func (k Terminal) SelectAID(aid []byte) (FCI, error) {
	r := k.X.Exchange(iso7816.Select(aid))
	if !r.SW.OK() {
		return FCI{}, &iso7816.Error{Op: "SELECT AID", SW: r.SW}
	}
	l, err := tlv.Parse(r.Data)
	if err != nil {
		return FCI{}, fmt.Errorf("SELECT AID: %w", err)
	}
	f := FCI{AID: aid, TLVs: l}
	if o, ok := tlv.Find(l, 0x9F38); ok {
		if f.PDOL, err = tlv.ParseDOL(o.Value); err != nil {
			return FCI{}, fmt.Errorf("SELECT AID: PDOL: %w", err)
		}
	}
	return f, nil
}

// Tx is the terminal side of a transaction.
type Tx struct {
	TTQ       [4]byte
	Amount    uint64 // minor units
	Other     uint64
	Country   uint16
	Currency  uint16
	Date      [3]byte // YYMMDD BCD
	Type      byte
	UN        [4]byte
	TVR       [5]byte
	ECSupport byte // 9F7A: 01 when the terminal supports PBOC electronic cash
	CVMResult [3]byte
	TermType  byte
}

// Values returns the transaction's data elements by tag, for DOLs.
func (tx Tx) Values() map[tlv.Tag][]byte {
	return map[tlv.Tag][]byte{
		0x9F66: tx.TTQ[:],
		0x9F02: BCD(tx.Amount, 6),
		0x9F03: BCD(tx.Other, 6),
		0x9F1A: be16(tx.Country),
		0x5F2A: be16(tx.Currency),
		0x9A:   tx.Date[:],
		0x9C:   {tx.Type},
		0x9F37: tx.UN[:],
		0x95:   tx.TVR[:],
		0x9F7A: {tx.ECSupport},
		0x9F34: tx.CVMResult[:],
		0x9F35: {tx.TermType},
	}
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

// BCD encodes v as n bytes of packed BCD.
func BCD(v uint64, n int) []byte {
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = byte(v%10) | byte(v/10%10)<<4
		v /= 100
	}
	return out
}

// Cryptogram is a card's cryptogram answer, from GPO (qPBOC) or GENERATE AC.
type Cryptogram struct {
	CID    byte // 9F27; see HasCID
	HasCID bool // false when the card left 9F27 out (qPBOC may)
	ATC    uint16
	AC     []byte
	IAD    []byte
	TLVs   []tlv.TLV
}

// ErrNoCVRType is wrapped by CVRType when the IAD's layout is recognised
// but states no cryptogram type (Visa IAD format 2, paycert's reading).
var ErrNoCVRType = errors.New("the issuer application data's layout states no cryptogram type")

// IADType is the cryptogram type the PBOC/Visa-style CVR in the IAD states
// (9F10 byte 5, bits 6-5), as 9F27-style bits.
func (c Cryptogram) IADType() (byte, error) { return CVRType(c.IAD) }

// IADTypeAs is IADType with the IAD read in the layout of cryptogram
// version hint (0: guessed from its structure).
func (c Cryptogram) IADTypeAs(hint emvcrypto.CVN) (byte, error) { return CVRTypeAs(hint, c.IAD) }

// CVRType reads the cryptogram type the issuer application data states:
// the first-GENERATE-AC bits of the CVR, wherever the IAD's layout (PBOC,
// Visa or Mastercard, recognised by emvcrypto.ParseIAD) puts them, as
// 9F27-style bits.
func CVRType(iad []byte) (byte, error) { return CVRTypeAs(0, iad) }

// CVRTypeAs is CVRType with the layout of cryptogram version hint.
func CVRTypeAs(hint emvcrypto.CVN, iad []byte) (byte, error) {
	p, err := emvcrypto.ParseIAD(hint, iad)
	if err != nil {
		return 0, fmt.Errorf("%w: issuer application data %X: %v", ErrProtocol, iad, err)
	}
	if p.Scheme == emvcrypto.SchemeVisa && p.Format == 2 {
		return 0, fmt.Errorf("issuer application data %X (Visa format 2): %w", iad, ErrNoCVRType)
	}
	switch p.ACType {
	case emvcrypto.ACTypeAAC:
		return AAC, nil
	case emvcrypto.ACTypeTC:
		return TC, nil
	case emvcrypto.ACTypeARQC:
		return ARQC, nil
	}
	return 0, fmt.Errorf("%w: issuer application data %X states no cryptogram type paycert can read", ErrProtocol, iad)
}

// Effective is the cryptogram type the card committed to: 9F27 when
// present, else the CVR.
func (c Cryptogram) Effective() (byte, error) {
	if c.HasCID {
		return c.CID & 0xC0, nil
	}
	return c.IADType()
}

// GPOResult is the answer to GET PROCESSING OPTIONS.
type GPOResult struct {
	Format     int // 1 (tag 80) or 2 (tag 77)
	AIP        []byte
	AFL        []byte
	TLVs       []tlv.TLV
	Cryptogram *Cryptogram // when the card answered with a cryptogram (qPBOC)
}

// GPO sends GET PROCESSING OPTIONS with the PDOL data built from tx.
func (k Terminal) GPO(pdol tlv.DOL, tx Tx) (GPOResult, error) {
	r := k.X.Exchange(iso7816.GetProcessingOptions(pdol.Build(tx.Values())))
	if !r.SW.OK() {
		return GPOResult{}, &iso7816.Error{Op: "GET PROCESSING OPTIONS", SW: r.SW}
	}
	l, err := tlv.Parse(r.Data)
	if err != nil {
		return GPOResult{}, fmt.Errorf("GET PROCESSING OPTIONS: %w", err)
	}
	if len(l) != 1 {
		return GPOResult{}, fmt.Errorf("GET PROCESSING OPTIONS: %w: %d top-level objects, want one template", ErrProtocol, len(l))
	}
	switch l[0].Tag {
	case 0x80:
		v := l[0].Value
		if len(v) < 6 || (len(v)-2)%4 != 0 {
			return GPOResult{}, fmt.Errorf("GET PROCESSING OPTIONS: %w: format 1 of %d bytes", ErrProtocol, len(v))
		}
		return GPOResult{Format: 1, AIP: v[:2], AFL: v[2:], TLVs: l}, nil
	case 0x77:
		g := GPOResult{Format: 2, TLVs: l}
		if o, ok := tlv.Find(l, 0x82); ok {
			g.AIP = o.Value
		}
		if o, ok := tlv.Find(l, 0x94); ok {
			g.AFL = o.Value
		}
		if _, ok := tlv.Find(l, 0x9F26); ok {
			c, err := parseCryptogram(l)
			if err != nil {
				return GPOResult{}, fmt.Errorf("GET PROCESSING OPTIONS: %w", err)
			}
			g.Cryptogram = &c
		}
		return g, nil
	}
	return GPOResult{}, fmt.Errorf("GET PROCESSING OPTIONS: %w: template %s, want 80 or 77", ErrProtocol, l[0].Tag)
}

func parseCryptogram(l []tlv.TLV) (Cryptogram, error) {
	c := Cryptogram{TLVs: l}
	if o, ok := tlv.Find(l, 0x9F27); ok {
		if len(o.Value) != 1 {
			return c, fmt.Errorf("%w: 9F27 of %d bytes", ErrProtocol, len(o.Value))
		}
		c.CID, c.HasCID = o.Value[0], true
	}
	o, ok := tlv.Find(l, 0x9F36)
	if !ok || len(o.Value) != 2 {
		return c, fmt.Errorf("%w: ATC (9F36) missing or not 2 bytes", ErrProtocol)
	}
	c.ATC = binary.BigEndian.Uint16(o.Value)
	o, ok = tlv.Find(l, 0x9F26)
	if !ok || len(o.Value) != 8 {
		return c, fmt.Errorf("%w: application cryptogram (9F26) missing or not 8 bytes", ErrProtocol)
	}
	c.AC = o.Value
	if o, ok := tlv.Find(l, 0x9F10); ok {
		c.IAD = o.Value
	}
	return c, nil
}

// ReadRecords reads every record the AFL names and returns their contents.
func (k Terminal) ReadRecords(afl []byte) ([]tlv.TLV, error) {
	if len(afl)%4 != 0 {
		return nil, fmt.Errorf("AFL: %w: %d bytes, not a multiple of 4", ErrProtocol, len(afl))
	}
	var out []tlv.TLV
	for i := 0; i < len(afl); i += 4 {
		sfi, first, last := afl[i]>>3, afl[i+1], afl[i+2]
		if first == 0 || last < first {
			return nil, fmt.Errorf("AFL: %w: entry %X", ErrProtocol, afl[i:i+4])
		}
		for rec := first; rec <= last; rec++ {
			r := k.X.Exchange(iso7816.ReadRecord(sfi, rec))
			if !r.SW.OK() {
				return nil, &iso7816.Error{Op: fmt.Sprintf("READ RECORD %d SFI %d", rec, sfi), SW: r.SW}
			}
			l, err := tlv.Parse(r.Data)
			if err != nil {
				return nil, fmt.Errorf("READ RECORD %d SFI %d: %w", rec, sfi, err)
			}
			if len(l) != 1 || l[0].Tag != 0x70 {
				return nil, fmt.Errorf("READ RECORD %d SFI %d: %w: not a 70 template", rec, sfi, ErrProtocol)
			}
			out = append(out, l...)
			if rec == 0xFF {
				break
			}
		}
	}
	return out, nil
}

// GenerateAC sends GENERATE AC with P1 requesting typ and the CDOL1 data
// built from tx, and parses format 1 or 2.
func (k Terminal) GenerateAC(typ byte, cdol tlv.DOL, tx Tx) (Cryptogram, iso7816.SW, error) {
	r := k.X.Exchange(iso7816.GenerateAC(typ, cdol.Build(tx.Values())))
	if !r.SW.OK() {
		return Cryptogram{}, r.SW, &iso7816.Error{Op: "GENERATE AC", SW: r.SW}
	}
	l, err := tlv.Parse(r.Data)
	if err != nil {
		return Cryptogram{}, r.SW, fmt.Errorf("GENERATE AC: %w", err)
	}
	if len(l) != 1 {
		return Cryptogram{}, r.SW, fmt.Errorf("GENERATE AC: %w: %d top-level objects", ErrProtocol, len(l))
	}
	switch l[0].Tag {
	case 0x80:
		v := l[0].Value
		if len(v) < 11 {
			return Cryptogram{}, r.SW, fmt.Errorf("GENERATE AC: %w: format 1 of %d bytes", ErrProtocol, len(v))
		}
		return Cryptogram{CID: v[0], HasCID: true, ATC: binary.BigEndian.Uint16(v[1:3]), AC: v[3:11], IAD: v[11:], TLVs: l}, r.SW, nil
	case 0x77:
		c, err := parseCryptogram(l[0].Children)
		if err == nil && !c.HasCID {
			err = fmt.Errorf("%w: 9F27 missing", ErrProtocol)
		}
		if err != nil {
			return Cryptogram{}, r.SW, fmt.Errorf("GENERATE AC: %w", err)
		}
		return c, r.SW, nil
	}
	return Cryptogram{}, r.SW, fmt.Errorf("GENERATE AC: %w: template %s", ErrProtocol, l[0].Tag)
}

// GetData sends GET DATA for tag and returns the value when the card
// answered 9000 with that tag.
func (k Terminal) GetData(tag tlv.Tag) ([]byte, iso7816.SW, error) {
	r := k.X.Exchange(iso7816.GetData(uint16(tag)))
	if !r.SW.OK() {
		return nil, r.SW, nil
	}
	l, err := tlv.Parse(r.Data)
	if err != nil {
		return nil, r.SW, fmt.Errorf("GET DATA %s: %w", tag, err)
	}
	o, ok := tlv.Find(l, tag)
	if !ok {
		return nil, r.SW, fmt.Errorf("GET DATA %s: %w: answer lacks the tag", tag, ErrProtocol)
	}
	return o.Value, r.SW, nil
}

// HasTag reports whether tag occurs anywhere in l.
func HasTag(l []tlv.TLV, tag tlv.Tag) bool {
	_, ok := tlv.Find(l, tag)
	return ok
}

// IsZero reports whether b is all zero bytes.
func IsZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }
