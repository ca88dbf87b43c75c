package emvcrypto

import (
	"fmt"
	"slices"
)

// CVN identifies a cryptogram version: a scheme together with the version
// number the card carries in its issuer application data. It determines
// the session key method, the MAC padding, the AC input and the ARPC.
type CVN uint8

const (
	CVNVisa10       CVN = iota + 1 // Visa CVN 10 (IAD byte 0A)
	CVNVisa18                      // Visa CVN 18 (IAD byte 12)
	CVNVisa22                      // Visa CVN 22 (IAD byte 22)
	CVNMastercard16                // Mastercard CVN 16 (IAD byte 10)
	CVNMastercard17                // Mastercard CVN 17 (IAD byte 11)
	CVNMastercard20                // Mastercard CVN 20 (IAD byte 14)
	CVNMastercard21                // Mastercard CVN 21 (IAD byte 15)
	CVNPBOC                        // PBOC/UnionPay (IAD byte 01), TDES or SM4
)

// CVNInfo describes a cryptogram version. Values returned by CVN.Info are
// copies; changing them does not affect the registry.
type CVNInfo struct {
	CVN    CVN
	Name   string
	Scheme Scheme
	// Number is the version byte carried in the IAD.
	Number byte
	// SessionKey is the AC session key method.
	SessionKey SessionKeyMethod
	// Padding is the ISO/IEC 9797-1 padding of the AC input.
	Padding Padding
	// Algorithms lists the block ciphers the version is defined for.
	Algorithms []Algorithm
	// ARPC is the ARPC method, computed with the AC session key if
	// ARPCSessionKey is true and with the ICC master key otherwise.
	ARPC           ARPCMethod
	ARPCSessionKey bool
	// IADData returns the bytes of the parsed IAD that follow the ten
	// common data elements in the AC input.
	IADData func(IAD) []byte
	// Note records where the definition comes from.
	Note string
	// Vectors lists the ids (sourceId) of the published vectors in
	// paycert's vectors/emv-arqc.json that exercise this version's session
	// key method from the ICC master key (not from a given session key),
	// so that the definition does not rest on paycert's code alone. It is
	// empty only for a version without any such vector, and Note then
	// says "no published vector".
	Vectors []string
}

func iadCVR(i IAD) []byte         { return i.CVR }
func iadWhole(i IAD) []byte       { return i.Raw }
func iadCVRCounters(i IAD) []byte { return slices.Concat(i.CVR, i.Counters) }

var tdesOnly = []Algorithm{AlgTDES}

var cvnTable = [...]CVNInfo{
	CVNVisa10: {
		Name: "Visa CVN 10", Scheme: SchemeVisa, Number: 0x0A,
		SessionKey: SessionKeyNone, Padding: PaddingMethod1, Algorithms: tdesOnly,
		ARPC: ARPCMethod1, ARPCSessionKey: false, IADData: iadCVR,
		Note:    "AC key = ICC MK; data + 4-byte CVR (9F10 bytes 4-7); padding 1 (pyemv test_visa_cvn10)",
		Vectors: []string{"cvn-visa-10"},
	},
	CVNVisa18: {
		Name: "Visa CVN 18", Scheme: SchemeVisa, Number: 0x12,
		SessionKey: SessionKeyCommon, Padding: PaddingMethod2, Algorithms: tdesOnly,
		ARPC: ARPCMethod2, ARPCSessionKey: true, IADData: iadWhole,
		Note:    "common SK R=ATC||0..0; data + whole 9F10; padding 2 (pyemv test_visa_cvn18)",
		Vectors: []string{"cvn-visa-18"},
	},
	CVNVisa22: {
		Name: "Visa CVN 22", Scheme: SchemeVisa, Number: 0x22,
		SessionKey: SessionKeyCommon, Padding: PaddingMethod2, Algorithms: tdesOnly,
		ARPC: ARPCMethod2, ARPCSessionKey: true, IADData: iadWhole,
		Note:    "as CVN 18 (pyemv test_visa_cvn22, whose values equal cvn-visa-18's); IAD format 2 byte 22 is the paycert reading",
		Vectors: []string{"cvn-visa-18"},
	},
	CVNMastercard16: {
		Name: "Mastercard CVN 16", Scheme: SchemeMastercard, Number: 0x10,
		SessionKey: SessionKeyMastercard, Padding: PaddingMethod2, Algorithms: tdesOnly,
		ARPC: ARPCMethod1, ARPCSessionKey: false, IADData: iadCVR,
		Note:    "SKD R=ATC||0000||UN; data + 6-byte CVR; ARPC 1 with ICC MK (pyemv test_mastercard_cvn16)",
		Vectors: []string{"cvn-mc-16"},
	},
	CVNMastercard17: {
		Name: "Mastercard CVN 17", Scheme: SchemeMastercard, Number: 0x11,
		SessionKey: SessionKeyMastercard, Padding: PaddingMethod2, Algorithms: tdesOnly,
		ARPC: ARPCMethod1, ARPCSessionKey: false, IADData: iadCVRCounters,
		Note:    "as CVN 16 plus the 8 counter bytes 9F10[10:18] (paycert reading of the reference doc); the session key is CVN 16's SKD (vector cvn-mc-16), the AC input has no published vector",
		Vectors: []string{"cvn-mc-16"},
	},
	CVNMastercard20: {
		Name: "Mastercard CVN 20", Scheme: SchemeMastercard, Number: 0x14,
		SessionKey: SessionKeyCommon, Padding: PaddingMethod2, Algorithms: tdesOnly,
		ARPC: ARPCMethod1, ARPCSessionKey: true, IADData: iadCVR,
		Note:    "common SK R=ATC||0..0; data + 6-byte CVR; ARPC 1 with SK (pyemv test_mastercard_cvn20)",
		Vectors: []string{"cvn-mc-20"},
	},
	CVNMastercard21: {
		Name: "Mastercard CVN 21", Scheme: SchemeMastercard, Number: 0x15,
		SessionKey: SessionKeyCommon, Padding: PaddingMethod2, Algorithms: tdesOnly,
		ARPC: ARPCMethod1, ARPCSessionKey: true, IADData: iadCVRCounters,
		Note:    "as CVN 20 plus the 8 counter bytes 9F10[10:18] (paycert reading of the reference doc); the session key is CVN 20's common SK (vector cvn-mc-20), the AC input has no published vector",
		Vectors: []string{"cvn-mc-20"},
	},
	CVNPBOC: {
		Name: "PBOC CVN 01", Scheme: SchemePBOC, Number: 0x01,
		SessionKey: SessionKeyPBOC, Padding: PaddingMethod2, Algorithms: []Algorithm{AlgTDES, AlgSM4},
		ARPC: ARPCMethod1, ARPCSessionKey: true, IADData: iadCVR,
		Note:    "PBOC SK from ATC and ATC xor FFFF, data + 4-byte CVR (03+3), padding 2, ARPC 1 with SK: public vectors pboc-sm4-imk-1 (SM4 ICC MK, SK, ARQC) and pboc-tdes-imk-1 (TDES ARQC, ARPC); still paycert readings: the SM4 ARPC and whether the qPBOC GPO cryptogram covers the same data as GENERATE AC",
		Vectors: []string{"pboc-sm4-imk-1", "pboc-tdes-imk-1"},
	},
}

// CVNs returns every registered cryptogram version in a stable order.
func CVNs() []CVN {
	out := make([]CVN, 0, len(cvnTable)-1)
	for c := range cvnTable {
		if c != 0 {
			out = append(out, CVN(c))
		}
	}
	return out
}

// Info returns the registry entry of c; ok is false for unknown values.
func (c CVN) Info() (info CVNInfo, ok bool) {
	if c == 0 || int(c) >= len(cvnTable) {
		return CVNInfo{}, false
	}
	info = cvnTable[c]
	info.CVN = c
	info.Algorithms = slices.Clone(info.Algorithms)
	info.Vectors = slices.Clone(info.Vectors)
	return info, true
}

// String returns the version's name, e.g. "Visa CVN 18".
func (c CVN) String() string {
	if c == 0 || int(c) >= len(cvnTable) {
		return fmt.Sprintf("CVN(%d)", uint8(c))
	}
	return cvnTable[c].Name
}

// LookupCVN returns the registered version for a scheme and the version
// byte carried in the IAD.
func LookupCVN(s Scheme, number byte) (CVN, bool) {
	for c := range cvnTable {
		if c != 0 && cvnTable[c].Scheme == s && cvnTable[c].Number == number {
			return CVN(c), true
		}
	}
	return 0, false
}

// EMV tags of the data elements that make up the common AC input.
const (
	TagAmountAuthorised    uint32 = 0x9F02
	TagAmountOther         uint32 = 0x9F03
	TagTerminalCountryCode uint32 = 0x9F1A
	TagTVR                 uint32 = 0x95
	TagCurrencyCode        uint32 = 0x5F2A
	TagTransactionDate     uint32 = 0x9A
	TagTransactionType     uint32 = 0x9C
	TagUnpredictableNumber uint32 = 0x9F37
	TagAIP                 uint32 = 0x82
	TagATC                 uint32 = 0x9F36
	TagIAD                 uint32 = 0x9F10
)

// TxData is the transaction data an application cryptogram covers: the
// terminal's CDOL data, the card's AIP and ATC, and the card's IAD. Values
// are raw tag values (no tag or length). TxData does not retain ownership:
// functions taking it never modify or keep its slices.
type TxData struct {
	AmountAuthorised    []byte // 9F02, 6 bytes
	AmountOther         []byte // 9F03, 6 bytes
	TerminalCountryCode []byte // 9F1A, 2 bytes
	TVR                 []byte // 95, 5 bytes
	CurrencyCode        []byte // 5F2A, 2 bytes
	TransactionDate     []byte // 9A, 3 bytes
	TransactionType     []byte // 9C, 1 byte
	UnpredictableNumber []byte // 9F37, 4 bytes
	AIP                 []byte // 82, 2 bytes
	ATC                 []byte // 9F36, 2 bytes
	IAD                 []byte // 9F10, 1 to 32 bytes
}

// TxDataFromTags fills a TxData from a map of tag to value. Tags it does
// not use are ignored; missing ones are reported when the data is used.
func TxDataFromTags(tags map[uint32][]byte) TxData {
	return TxData{
		AmountAuthorised:    tags[TagAmountAuthorised],
		AmountOther:         tags[TagAmountOther],
		TerminalCountryCode: tags[TagTerminalCountryCode],
		TVR:                 tags[TagTVR],
		CurrencyCode:        tags[TagCurrencyCode],
		TransactionDate:     tags[TagTransactionDate],
		TransactionType:     tags[TagTransactionType],
		UnpredictableNumber: tags[TagUnpredictableNumber],
		AIP:                 tags[TagAIP],
		ATC:                 tags[TagATC],
		IAD:                 tags[TagIAD],
	}
}

type txField struct {
	tag  uint32
	name string
	n    int
	v    []byte
}

func (tx *TxData) commonFields() [10]txField {
	return [10]txField{
		{TagAmountAuthorised, "amount authorised", 6, tx.AmountAuthorised},
		{TagAmountOther, "amount other", 6, tx.AmountOther},
		{TagTerminalCountryCode, "terminal country code", 2, tx.TerminalCountryCode},
		{TagTVR, "TVR", 5, tx.TVR},
		{TagCurrencyCode, "transaction currency code", 2, tx.CurrencyCode},
		{TagTransactionDate, "transaction date", 3, tx.TransactionDate},
		{TagTransactionType, "transaction type", 1, tx.TransactionType},
		{TagUnpredictableNumber, "unpredictable number", 4, tx.UnpredictableNumber},
		{TagAIP, "AIP", 2, tx.AIP},
		{TagATC, "ATC", 2, tx.ATC},
	}
}

// ACInput returns the data the application cryptogram of version c is
// computed over: 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82 9F36 (33 bytes)
// followed by the IAD bytes the version appends (CVNInfo.IADData): the
// 4-byte CVR for Visa CVN 10 and PBOC, the whole 9F10 for Visa CVN 18/22,
// the 6-byte CVR for Mastercard CVN 16/20 and CVR ‖ 8 counter bytes for
// Mastercard CVN 17/21. Every value must have its exact EMV length and
// the IAD must parse for c's scheme. The input is returned unpadded.
func ACInput(c CVN, tx TxData) ([]byte, error) {
	info, ok := c.Info()
	if !ok {
		return nil, fmt.Errorf("emvcrypto: AC input: unknown CVN %v", c)
	}
	iad, err := ParseIAD(c, tx.IAD)
	if err != nil {
		return nil, fmt.Errorf("emvcrypto: AC input for %v: %w", c, err)
	}
	return acInput(info, &tx, iad)
}

func acInput(info CVNInfo, tx *TxData, iad IAD) ([]byte, error) {
	fields := tx.commonFields()
	extra := info.IADData(iad)
	out := make([]byte, 0, 33+len(extra))
	for _, f := range fields {
		if len(f.v) != f.n {
			return nil, fmt.Errorf("emvcrypto: AC input: tag %X (%s) must be %d bytes, got %d", f.tag, f.name, f.n, len(f.v))
		}
		out = append(out, f.v...)
	}
	return append(out, extra...), nil
}
