package card

import (
	"fmt"
	"strings"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/tlv"
)

// Kernel is the contactless kernel a profile's card answers as.
type Kernel int

const (
	// KernelQPBOC is UnionPay QuickPass (JR/T 0025.12): the GPO response
	// of a qPBOC reader (TTQ byte 1 bit 6) carries the cryptogram; a
	// reader that asks for the full PBOC flow (TTQ byte 1 bit 7 without
	// bit 6) reads records and sends GENERATE AC.
	KernelQPBOC Kernel = iota
	// KernelQVSDC is Visa qVSDC (EMV Contactless Book C-3): the GPO
	// response carries the cryptogram, the CTQ and an AFL of records the
	// reader reads afterwards; there is no GENERATE AC.
	KernelQVSDC
	// KernelMChip is Mastercard M/Chip as the contactless kernel of EMV
	// Contactless Book C-2 runs it: GPO returns the AIP and AFL, the
	// reader reads the records (CDOL1, the CVM list 8E) and sends
	// GENERATE AC with the CDOL1 data. No TTQ, no CTQ.
	KernelMChip
)

// String names the kernel.
func (k Kernel) String() string {
	switch k {
	case KernelQPBOC:
		return "qPBOC"
	case KernelQVSDC:
		return "qVSDC"
	case KernelMChip:
		return "M/Chip"
	}
	return fmt.Sprintf("Kernel(%d)", int(k))
}

// Profile names. DefaultProfileName is the card `ref:` and `certify serve
// card` play unless told otherwise.
const (
	ProfileUPIQPBOC    = "upi-qpboc"
	ProfileVisaCVN18   = "visa-cvn18"
	ProfileVisaCVN22   = "visa-cvn22"
	ProfileMCCVN17     = "mc-cvn17"
	DefaultProfileName = ProfileUPIQPBOC
)

// Application identifiers of the non-UnionPay profiles.
var (
	AIDVisa       = []byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10}
	AIDMastercard = []byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10}
)

// visaPDOL is the PDOL of a qVSDC card: TTQ, amounts, country, TVR,
// currency, date, type and unpredictable number (C-3 lists them as the
// data a qVSDC card needs for its cryptogram).
var visaPDOL = tlv.DOL{
	{Tag: 0x9F66, Len: 4}, {Tag: 0x9F02, Len: 6}, {Tag: 0x9F03, Len: 6}, {Tag: 0x9F1A, Len: 2},
	{Tag: 0x95, Len: 5}, {Tag: 0x5F2A, Len: 2}, {Tag: 0x9A, Len: 3}, {Tag: 0x9C, Len: 1},
	{Tag: 0x9F37, Len: 4},
}

// mchipCDOL1 is the M/Chip CDOL1: the common AC data, terminal type, the
// data authentication code and ICC dynamic number slots and the CVM
// results (43 bytes).
var mchipCDOL1 = tlv.DOL{
	{Tag: 0x9F02, Len: 6}, {Tag: 0x9F03, Len: 6}, {Tag: 0x9F1A, Len: 2}, {Tag: 0x95, Len: 5},
	{Tag: 0x5F2A, Len: 2}, {Tag: 0x9A, Len: 3}, {Tag: 0x9C, Len: 1}, {Tag: 0x9F37, Len: 4},
	{Tag: 0x9F35, Len: 1}, {Tag: 0x9F45, Len: 2}, {Tag: 0x9F4C, Len: 8}, {Tag: 0x9F34, Len: 3},
}

// mchipCDOL2: authorisation response code, TVR and unpredictable number.
var mchipCDOL2 = tlv.DOL{{Tag: 0x8A, Len: 2}, {Tag: 0x95, Len: 5}, {Tag: 0x9F37, Len: 4}}

// Profiles lists the profile names in a stable order, the default first.
func Profiles() []string {
	return []string{ProfileUPIQPBOC, ProfileVisaCVN18, ProfileVisaCVN22, ProfileMCCVN17}
}

// LookupProfile returns the named profile; "" is the default.
func LookupProfile(name string) (Profile, error) {
	switch name {
	case "", ProfileUPIQPBOC:
		return DefaultProfile(), nil
	case ProfileVisaCVN18, ProfileVisaCVN22:
		p := Profile{
			Name: name, Kernel: KernelQVSDC, CVN: emvcrypto.CVNVisa18,
			AIDs: [][]byte{AIDVisa}, Label: "VISA CLOUD", Language: "en",
			Token: "4895370012345671", FundingPAN: "4111111111111111", Expiry: "301231",
			PSN: 0x00, CVMLimit: 10000, KeyIndex: 0x01, Algorithm: emvcrypto.AlgTDES, IMK: TestIMK,
			Country: 0x0840, Currency: 0x0840, StartATC: 0x0020, ServiceCode: "201",
			CardholderName: "CARDHOLDER/VISA",
		}
		if name == ProfileVisaCVN22 {
			p.CVN, p.Token, p.StartATC = emvcrypto.CVNVisa22, "4895370098765438", 0x0030
		}
		return p, nil
	case ProfileMCCVN17:
		return Profile{
			Name: name, Kernel: KernelMChip, CVN: emvcrypto.CVNMastercard17,
			AIDs: [][]byte{AIDMastercard}, Label: "MASTERCARD CLOUD", Language: "en",
			Token: "5204740000123459", FundingPAN: "5555555555554444", Expiry: "301231",
			PSN: 0x00, CVMLimit: 5000, KeyIndex: 0x01, Algorithm: emvcrypto.AlgTDES, IMK: TestIMK,
			Country: 0x0250, Currency: 0x0978, StartATC: 0x0040, ServiceCode: "201",
			CardholderName: "/",
		}, nil
	}
	return Profile{}, fmt.Errorf("card: unknown profile %q (known: %s)", name, strings.Join(Profiles(), ", "))
}
