package ics

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/mask"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultName is the Source of the ICS Default returns.
const DefaultName = "default.yaml"

// Default returns the embedded ICS of paycert's reference implementations.
// Each call returns a new value that the caller may modify.
func Default() *ICS {
	c, err := Parse(defaultYAML, DefaultName)
	if err != nil {
		// The embedded file is tested; this is a build defect.
		panic(fmt.Sprintf("ics: the embedded default ICS is invalid: %v", err))
	}
	return c
}

// DefaultYAML returns the text of the embedded default ICS, a starting
// point for a vendor's own.
func DefaultYAML() []byte { return slices.Clone(defaultYAML) }

// Summary returns the declarations for a report, keyed by field path
// ("implementation.vendor", "emv.cryptogram.version", ...). Keys appear
// only as key check values ("KCV 08D7B4") and the funding PAN masked to
// its first six and last four digits. An absent section appears as one
// entry with the value "not declared".
func (c *ICS) Summary() map[string]string {
	m := map[string]string{}
	if c == nil {
		return m
	}
	m["paycert-ics"] = strconv.Itoa(c.Version)
	m["implementation.vendor"] = c.Implementation.Vendor
	m["implementation.product"] = c.Implementation.Product
	m["implementation.version"] = c.Implementation.Version

	if e := c.EMV; e == nil {
		m["emv"] = "not declared"
	} else {
		m["emv.online-only"] = strconv.FormatBool(e.OnlineOnly)
		m["emv.offline-ecash"] = strconv.FormatBool(e.OfflineECash)
		m["emv.aids"] = strings.Join(e.AIDs, ", ")
		m["emv.generate-ac"] = strconv.FormatBool(e.GenerateAC)
		cg := e.Cryptogram
		m["emv.cryptogram.version"] = cg.Version
		m["emv.cryptogram.algorithm"] = strings.ToLower(cg.Algorithm.String())
		if !cg.IMKAC.IsZero() {
			m["emv.cryptogram.imk-ac"] = kcvEMV(cg.IMKAC)
			m["emv.cryptogram.derivation"] = derivationName(cg)
		}
		if !cg.ICCMasterKey.IsZero() {
			m["emv.cryptogram.icc-master-key"] = kcvEMV(cg.ICCMasterKey)
		}
		if cg.HasKeyIndex {
			m["emv.cryptogram.key-index"] = strconv.Itoa(int(cg.KeyIndex))
		}
		ranges := make([]string, len(e.Token.BINRanges))
		for i, r := range e.Token.BINRanges {
			ranges[i] = r.String()
		}
		m["emv.token.bin-ranges"] = strings.Join(ranges, ", ")
		m["emv.token.funding-pan"] = mask.PAN(e.Token.FundingPAN)
		if e.Token.PSN != "" {
			m["emv.token.psn"] = e.Token.PSN
		}
		m["emv.cvm-limit"] = strconv.FormatInt(e.CVMLimit, 10)
		m["emv.currency"] = fmt.Sprintf("%03d", e.Currency)
		if e.Country != 0 {
			m["emv.country"] = fmt.Sprintf("%03d", e.Country)
		}
		m["emv.cvm-method"] = e.CVMMethod
	}

	if t := c.Token; t == nil {
		m["token"] = "not declared"
	} else {
		m["token.luk-ttl"] = t.LUKTTL.String()
		m["token.luk-max-uses"] = strconv.Itoa(t.LUKMaxUses)
		if t.WaitCap > 0 {
			m["token.wait-cap"] = t.WaitCap.String()
		}
		m["token.luk-replaces-previous"] = strconv.FormatBool(t.LUKReplacesPrevious)
		if len(t.BINRanges) > 0 {
			ranges := make([]string, len(t.BINRanges))
			for i, r := range t.BINRanges {
				ranges[i] = r.String()
			}
			m["token.bin-ranges"] = strings.Join(ranges, ", ")
		}
		if t.FundingPAN != "" {
			m["token.funding-pan"] = mask.PAN(t.FundingPAN)
		}
	}

	if k := c.KeyMgmt; k == nil {
		m["keymgmt"] = "not declared"
	} else {
		s := make([]string, len(k.Schemes))
		for i, x := range k.Schemes {
			s[i] = string(x)
		}
		m["keymgmt.schemes"] = strings.Join(s, ", ")
		for i, p := range k.Preloaded {
			pre := fmt.Sprintf("keymgmt.preloaded[%d].", i)
			m[pre+"scheme"] = string(p.Scheme)
			m[pre+"bdk"] = kcvDUKPT(p.BDK)
			m[pre+"ksn"] = p.KSN
		}
		m["keymgmt.exhaustive"] = strconv.FormatBool(k.Exhaustive)
	}
	hsmSummary(m, c.HSM)
	return m
}

func derivationName(cg Cryptogram) string {
	switch cg.Derivation {
	case emvcrypto.OptionA:
		return "option-a"
	case emvcrypto.OptionB:
		return "option-b"
	}
	return ""
}
