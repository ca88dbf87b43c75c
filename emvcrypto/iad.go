package emvcrypto

import (
	"errors"
	"fmt"
)

// Scheme is the payment scheme whose issuer application data layout and
// cryptogram versions apply.
type Scheme uint8

const (
	SchemeVisa       Scheme = 1
	SchemeMastercard Scheme = 2
	// SchemePBOC is PBOC 3.0 / UnionPay (JR/T 0025) debit/credit.
	SchemePBOC Scheme = 3
)

// String returns the scheme name.
func (s Scheme) String() string {
	switch s {
	case SchemeVisa:
		return "Visa"
	case SchemeMastercard:
		return "Mastercard"
	case SchemePBOC:
		return "PBOC"
	}
	return fmt.Sprintf("Scheme(%d)", uint8(s))
}

// ACType is an application cryptogram type.
type ACType uint8

const (
	// ACTypeUnknown: not encoded, reserved (RFU) or, for the second
	// GENERATE AC, not requested.
	ACTypeUnknown ACType = 0
	ACTypeAAC     ACType = 1 // application authentication cryptogram (decline)
	ACTypeTC      ACType = 2 // transaction certificate (offline approval)
	ACTypeARQC    ACType = 3 // authorisation request cryptogram (go online)
)

// String returns "AAC", "TC", "ARQC" or "unknown".
func (t ACType) String() string {
	switch t {
	case ACTypeAAC:
		return "AAC"
	case ACTypeTC:
		return "TC"
	case ACTypeARQC:
		return "ARQC"
	}
	return "unknown"
}

// ACTypeFromCID decodes the cryptogram type from the Cryptogram
// Information Data (tag 9F27), mask C0: 00 AAC, 40 TC, 80 ARQC, C0 RFU.
func ACTypeFromCID(cid byte) ACType {
	switch cid & 0xC0 {
	case 0x00:
		return ACTypeAAC
	case 0x40:
		return ACTypeTC
	case 0x80:
		return ACTypeARQC
	}
	return ACTypeUnknown
}

// cvrFirstACType decodes bits 6-5 of a CVR byte (type returned in the
// first GENERATE AC): 00 AAC, 01 TC, 10 ARQC, 11 RFU.
func cvrFirstACType(b byte) ACType {
	switch b & 0x30 {
	case 0x00:
		return ACTypeAAC
	case 0x10:
		return ACTypeTC
	case 0x20:
		return ACTypeARQC
	}
	return ACTypeUnknown
}

// cvrSecondACType decodes bits 8-7 of a CVR byte (type returned in the
// second GENERATE AC): 00 AAC, 01 TC, 10 not requested, 11 RFU.
func cvrSecondACType(b byte) ACType {
	switch b & 0xC0 {
	case 0x00:
		return ACTypeAAC
	case 0x40:
		return ACTypeTC
	}
	return ACTypeUnknown
}

// IAD is parsed issuer application data (tag 9F10). All slices alias one
// private copy of the input, never the caller's buffer.
type IAD struct {
	Scheme Scheme
	// Format is the Visa IAD format: 0 for formats 0/1/3 (first byte 06)
	// and 2 for format 2 (first byte 1F). Zero for other schemes.
	Format byte
	// DKI is the derivation key index.
	DKI byte
	// CVNNumber is the cryptogram version number byte as carried.
	CVNNumber byte
	// CVN is the registered version for (Scheme, CVNNumber), or 0 if the
	// number is not one this package knows.
	CVN CVN
	// CVR is the card verification results as carried: for Visa formats
	// 0/1/3 and PBOC 4 bytes including the leading length byte 03, for
	// Visa format 2 5 bytes, for Mastercard 6 bytes.
	CVR []byte
	// ACType is the type of the cryptogram returned in the first GENERATE
	// AC, from CVR bits 6-5 (Visa formats 0/1/3 and PBOC: 9F10[4];
	// Mastercard: 9F10[2]). Unknown for Visa format 2.
	ACType ACType
	// SecondACType is the type returned in the second GENERATE AC from
	// CVR bits 8-7 of the same byte; ACTypeUnknown if not requested.
	SecondACType ACType
	// AlgorithmID is the PBOC algorithm identifier (9F10[7]); zero for
	// other schemes.
	AlgorithmID byte
	// Algorithm is the cryptogram algorithm: from AlgorithmID for PBOC,
	// AlgTDES otherwise.
	Algorithm Algorithm
	// DAC is the Mastercard DAC / ICC dynamic number (9F10[8:10]).
	DAC []byte
	// Counters are the Mastercard counter bytes (9F10[10:18]).
	Counters []byte
	// IDD is the issuer discretionary data: for Visa formats 0/1/3 and
	// PBOC the bytes after the IDD length byte; for Visa format 2 bytes
	// 9-32; for Mastercard any bytes after the counters.
	IDD []byte
	// Raw is the whole IAD.
	Raw []byte
}

// ErrIADMalformed is wrapped by every ParseIAD structure error.
var ErrIADMalformed = errors.New("emvcrypto: malformed issuer application data")

func iadErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrIADMalformed}, args...)...)
}

// ParseIAD parses issuer application data (tag 9F10).
//
// hint selects the layout: the scheme of a known CVN is used and the
// version number is then read from the data (it may differ from hint;
// IAD.CVN reports what the card sent). With hint 0 the scheme is guessed
// from the structure: first byte 07 with CVR length 03 is PBOC, first byte
// 06 or 1F is Visa, any other IAD of 18 or more bytes is Mastercard. The
// guess is a heuristic; verifiers should pass the CVN they provisioned.
//
// Layouts (paycert reading, see the package documentation):
//
//	Visa 0/1/3: 06 | DKI | CVN | CVR (03 + 3) [| IDD length | IDD]
//	Visa 2:     1F | CVN | DKI | CVR (5) | IDD (24)      (32 bytes)
//	Mastercard: DKI | CVN | CVR (6) | DAC (2) | counters (8) [| more]
//	PBOC:       07 | DKI | CVN | CVR (03 + 3) | alg id [| IDD length | IDD]
//
// Errors wrap ErrIADMalformed. ParseIAD never panics.
func ParseIAD(hint CVN, iad []byte) (IAD, error) {
	if len(iad) == 0 {
		return IAD{}, iadErr("empty")
	}
	if len(iad) > 32 {
		return IAD{}, iadErr("%d bytes, at most 32 allowed", len(iad))
	}
	var scheme Scheme
	if hint != 0 {
		info, ok := hint.Info()
		if !ok {
			return IAD{}, fmt.Errorf("emvcrypto: parse IAD: unknown CVN hint %v", hint)
		}
		scheme = info.Scheme
	} else {
		scheme = guessScheme(iad)
		if scheme == 0 {
			return IAD{}, iadErr("layout not recognised (no CVN hint)")
		}
	}
	raw := append([]byte(nil), iad...)
	p := IAD{Scheme: scheme, Raw: raw, Algorithm: AlgTDES}
	var err error
	switch scheme {
	case SchemeVisa:
		err = parseVisa(&p, raw)
	case SchemeMastercard:
		err = parseMastercard(&p, raw)
	case SchemePBOC:
		err = parsePBOC(&p, raw)
	}
	if err != nil {
		return IAD{}, err
	}
	p.CVN, _ = LookupCVN(scheme, p.CVNNumber)
	return p, nil
}

func guessScheme(b []byte) Scheme {
	switch {
	case b[0] == 0x07 && len(b) >= 8 && b[3] == 0x03:
		return SchemePBOC
	case b[0] == 0x06 || b[0] == 0x1F:
		return SchemeVisa
	case len(b) >= 18:
		return SchemeMastercard
	}
	return 0
}

// parseIDD checks an optional "length | data" tail and returns the data.
func parseIDD(tail []byte, who string) ([]byte, error) {
	if len(tail) == 0 {
		return nil, nil
	}
	n := int(tail[0])
	if n != len(tail)-1 {
		return nil, iadErr("%s IDD length byte %02X but %d bytes follow", who, tail[0], len(tail)-1)
	}
	return tail[1:], nil
}

func parseVisa(p *IAD, b []byte) error {
	switch b[0] {
	case 0x06:
		if len(b) < 7 {
			return iadErr("Visa format 0/1/3 needs at least 7 bytes, got %d", len(b))
		}
		if b[3] != 0x03 {
			return iadErr("Visa CVR length byte %02X, want 03", b[3])
		}
		idd, err := parseIDD(b[7:], "Visa")
		if err != nil {
			return err
		}
		p.DKI, p.CVNNumber, p.CVR, p.IDD = b[1], b[2], b[3:7], idd
		p.ACType = cvrFirstACType(b[4])
		p.SecondACType = cvrSecondACType(b[4])
	case 0x1F:
		if len(b) != 32 {
			return iadErr("Visa format 2 needs 32 bytes, got %d", len(b))
		}
		p.Format = 2
		p.CVNNumber, p.DKI, p.CVR, p.IDD = b[1], b[2], b[3:8], b[8:]
	default:
		return iadErr("Visa IAD length byte %02X, want 06 or 1F", b[0])
	}
	return nil
}

func parseMastercard(p *IAD, b []byte) error {
	if len(b) < 18 {
		return iadErr("Mastercard IAD needs at least 18 bytes, got %d", len(b))
	}
	p.DKI, p.CVNNumber = b[0], b[1]
	p.CVR, p.DAC, p.Counters = b[2:8], b[8:10], b[10:18]
	if len(b) > 18 {
		p.IDD = b[18:]
	}
	p.ACType = cvrFirstACType(b[2])
	p.SecondACType = cvrSecondACType(b[2])
	return nil
}

func parsePBOC(p *IAD, b []byte) error {
	if len(b) < 8 {
		return iadErr("PBOC IAD needs at least 8 bytes, got %d", len(b))
	}
	if b[0] != 0x07 {
		return iadErr("PBOC IAD length byte %02X, want 07", b[0])
	}
	if b[3] != 0x03 {
		return iadErr("PBOC CVR length byte %02X, want 03", b[3])
	}
	alg, err := AlgorithmFromPBOCID(b[7])
	if err != nil {
		return iadErr("PBOC algorithm id %02X is neither 01 (TDES) nor 04 (SM4)", b[7])
	}
	idd, err := parseIDD(b[8:], "PBOC")
	if err != nil {
		return err
	}
	p.DKI, p.CVNNumber, p.CVR, p.IDD = b[1], b[2], b[3:7], idd
	p.AlgorithmID, p.Algorithm = b[7], alg
	p.ACType = cvrFirstACType(b[4])
	p.SecondACType = cvrSecondACType(b[4])
	return nil
}
