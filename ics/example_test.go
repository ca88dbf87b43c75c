package ics_test

import (
	"fmt"

	"github.com/paycert/paycert/ics"
)

func ExampleParse() {
	c, err := ics.Parse([]byte(`
paycert-ics: 1
implementation: {vendor: Example Pay Ltd, product: CloudPay HCE, version: 2.3.1}
emv:
  online-only: true
  aids: [A0000000041010]
  generate-ac: true
  cryptogram:
    version: mc-cvn17
    imk-ac: 0123456789ABCDEFFEDCBA9876543210   # TEST key
  token:
    bin-ranges: ["5204740000-5204749999"]
    funding-pan: "5555555555554444"
  cvm-limit: 5000
  currency: 978
`), "example.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	is, err := c.EMV.Issuer("5204740000000004", "00")
	if err != nil {
		fmt.Println(err)
		return
	}
	s := c.Summary()
	fmt.Println(is.CVN())
	fmt.Println(s["emv.cryptogram.imk-ac"], s["emv.token.funding-pan"])
	fmt.Println(c.EMV.Cryptogram.IMKAC)
	fmt.Println(c.NotApplicable("keymgmt"))
	// Output:
	// Mastercard CVN 17
	// KCV 08D7B4 555555XXXXXX4444
	// TDESKey(KCV 08D7B4)
	// the ICS declares no keymgmt section
}

func ExampleParse_errors() {
	_, err := ics.Parse([]byte(`
paycert-ics: 1
implementation: {vendor: Example Pay Ltd, product: CloudPay HCE, version: 2.3.1}
token:
  luk-ttl: 60
  luk-max-uses: 0
  colour: blue
`), "cloudpay.yaml")
	fmt.Println(err)
	// Output:
	// cloudpay.yaml:5: token.luk-ttl: must be a duration with a unit, such as 60s or 5m; got "60"
	// cloudpay.yaml:6: token.luk-max-uses: must be at least 1
	// cloudpay.yaml:7: token.colour: unknown field (not in ICS schema version 1)
}
