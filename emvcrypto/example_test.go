package emvcrypto_test

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/paycert/paycert/emvcrypto"
)

func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// A reference card computes an ARQC with its ICC master key; the issuer
// verifies it from the issuer master key and answers with an ARPC.
func Example() {
	imk, _ := emvcrypto.NewKey(emvcrypto.AlgTDES, h("0123456789ABCDEFFEDCBA9876543210"))
	issuer, err := emvcrypto.NewIssuer(emvcrypto.Config{
		IMK: imk, Option: emvcrypto.OptionB, PAN: "1234567890123456", PSN: "00", CVN: emvcrypto.CVNVisa18,
	})
	if err != nil {
		panic(err)
	}
	card, _ := emvcrypto.NewIssuer(emvcrypto.Config{ICCMasterKey: issuer.ICCMasterKey(), CVN: emvcrypto.CVNVisa18})

	tx := emvcrypto.TxDataFromTags(map[uint32][]byte{
		0x9F02: h("000000004000"), 0x9F03: h("000000000000"), 0x9F1A: h("0124"), 0x95: h("8000048000"),
		0x5F2A: h("0124"), 0x9A: h("191105"), 0x9C: h("01"), 0x9F37: h("52BF4585"), 0x82: h("1800"),
		0x9F36: h("001C"), 0x9F10: h("06011203A0B800"),
	})
	arqc, _ := card.ComputeAC(tx)
	fmt.Printf("ARQC %X\n", arqc)
	fmt.Println("verify:", issuer.VerifyAC(tx, arqc))
	arpc, _ := issuer.ARPC(tx, arqc, emvcrypto.ARPCParams{CSU: h("00000000")})
	fmt.Printf("ARPC %X\n", arpc)

	arqc[0] ^= 1
	err = issuer.VerifyAC(tx, arqc)
	fmt.Println(errors.Is(err, emvcrypto.ErrACMismatch), err)
	fmt.Println(issuer, imk)
	// Output:
	// ARQC 7A788EA6B8A3E733
	// verify: <nil>
	// ARPC 9AF514C1
	// true emvcrypto: ARQC mismatch (Visa CVN 18)
	// Issuer(Visa CVN 18, TDES, PAN ************3456) TDESKey(KCV 08D7B4)
}
