package iso7816

// Instruction bytes of the commands paycert sends.
const (
	InsSelect       = 0xA4
	InsReadRecord   = 0xB2
	InsGetResponse  = 0xC0
	InsGetData      = 0xCA
	InsGPO          = 0xA8 // GET PROCESSING OPTIONS (CLA 80)
	InsGenerateAC   = 0xAE // GENERATE APPLICATION CRYPTOGRAM (CLA 80)
	InsInternalAuth = 0x88
)

// Select returns SELECT by DF name (P1 04, first occurrence) with Le 00.
func Select(name []byte) Command {
	return Command{CLA: 0x00, INS: InsSelect, P1: 0x04, P2: 0x00, Data: name, Le: 256}
}

// ReadRecord returns READ RECORD of record rec in the file with short file identifier sfi.
func ReadRecord(sfi, rec byte) Command {
	return Command{CLA: 0x00, INS: InsReadRecord, P1: rec, P2: sfi<<3 | 0x04, Le: 256}
}

// GetProcessingOptions wraps PDOL-related data in template 83.
func GetProcessingOptions(pdolData []byte) Command {
	data := append([]byte{0x83}, encodeLen(len(pdolData))...)
	data = append(data, pdolData...)
	return Command{CLA: 0x80, INS: InsGPO, Data: data, Le: 256}
}

// GenerateAC requests a cryptogram; p1 carries the requested type (00 AAC,
// 40 TC, 80 ARQC) and option bits.
func GenerateAC(p1 byte, cdolData []byte) Command {
	return Command{CLA: 0x80, INS: InsGenerateAC, P1: p1, Data: cdolData, Le: 256}
}

// GetData returns GET DATA for a one- or two-byte tag.
func GetData(tag uint16) Command {
	return Command{CLA: 0x80, INS: InsGetData, P1: byte(tag >> 8), P2: byte(tag), Le: 256}
}

// GetResponse returns GET RESPONSE asking for n bytes (0 means 256).
func GetResponse(n byte) Command {
	le := int(n)
	if le == 0 {
		le = 256
	}
	return Command{CLA: 0x00, INS: InsGetResponse, Le: le}
}

func encodeLen(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x100:
		return []byte{0x81, byte(n)}
	default:
		return []byte{0x82, byte(n >> 8), byte(n)}
	}
}
