package emvcrypto_test

import (
	"testing"

	"github.com/paycert/paycert/emvcrypto"
)

// BenchmarkVerifyARQC measures Issuer.VerifyAC per transaction: IAD
// parsing, AC input, session key derivation, MAC and the constant-time
// compare. The ICC master key is derived once, in NewIssuer. Run with
// -cpu=1 for single-core numbers.
func BenchmarkVerifyARQC(b *testing.B) {
	visaTx := emvcrypto.TxData{
		AmountAuthorised: mustHex(b, "000000004000"), AmountOther: mustHex(b, "000000000000"),
		TerminalCountryCode: mustHex(b, "0124"), TVR: mustHex(b, "8000048000"), CurrencyCode: mustHex(b, "0124"),
		TransactionDate: mustHex(b, "191105"), TransactionType: mustHex(b, "01"), UnpredictableNumber: mustHex(b, "52BF4585"),
		AIP: mustHex(b, "1800"), ATC: mustHex(b, "001C"), IAD: mustHex(b, "06011203A0B800"),
	}
	cases := []struct {
		name string
		alg  emvcrypto.Algorithm
		cvn  emvcrypto.CVN
		tx   emvcrypto.TxData
		ac   string // expected, when published
	}{
		{"VisaCVN18-TDES", emvcrypto.AlgTDES, emvcrypto.CVNVisa18, visaTx, "7A788EA6B8A3E733"},
		{"PBOC-TDES", emvcrypto.AlgTDES, emvcrypto.CVNPBOC, pbocTx(b, 0x01), ""},
		{"PBOC-SM4", emvcrypto.AlgSM4, emvcrypto.CVNPBOC, pbocTx(b, 0x04), ""},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			opt, pan := emvcrypto.OptionA, "6299999999999999"
			if c.cvn == emvcrypto.CVNVisa18 {
				opt, pan = emvcrypto.OptionB, "1234567890123456" // cvn-visa-18 (pyemv)
			}
			is, err := emvcrypto.NewIssuer(emvcrypto.Config{IMK: mustKey(b, c.alg, testIMK), Option: opt, PAN: pan, PSN: "00", CVN: c.cvn})
			if err != nil {
				b.Fatal(err)
			}
			ac, err := is.ComputeAC(c.tx)
			if err != nil {
				b.Fatal(err)
			}
			if c.ac != "" && string(mustHex(b, c.ac)) != string(ac) {
				b.Fatalf("AC %X, want published %s", ac, c.ac)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := is.VerifyAC(c.tx, ac); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
