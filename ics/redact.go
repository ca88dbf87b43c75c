package ics

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/paycert/paycert/mask"
)

// SHA256 returns the hex SHA-256 of the document as Parse read it, so a
// report names exactly the ICS it was made with; "" for an ICS that Parse
// did not make.
func (c *ICS) SHA256() string {
	if c == nil {
		return ""
	}
	return c.sha256
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Redacted returns the document as Parse read it, for a report directory,
// with every key (emv.cryptogram.imk-ac, emv.cryptogram.icc-master-key,
// keymgmt.preloaded[].bdk) replaced by its key check value, the funding PAN
// masked to its first six and last four digits, any other Luhn-valid digit
// run masked, and every comment removed (a comment could hold anything).
// The result is YAML for a reader; it is not an ICS that Parse accepts.
func (c *ICS) Redacted() ([]byte, error) {
	switch {
	case c == nil || (c.redacted == nil && c.redactErr == nil):
		return nil, errors.New("ics: no parsed document to redact")
	case c.redactErr != nil:
		return nil, c.redactErr
	}
	return bytes.Clone(c.redacted), nil
}

// redact makes the Redacted form of data, the document c was parsed from.
func (c *ICS) redact(data []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("ics: redact: %v", err)
	}
	c.redactNode(&doc, "")
	doc.HeadComment = "paycert ICS as used, redacted: keys appear as key check values (KCV),\n" +
		"PANs masked, comments removed. SHA-256 of the original: " + c.SHA256()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("ics: redact: %v", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("ics: redact: %v", err)
	}
	return buf.Bytes(), nil
}

// redactNode rewrites n, found at field path p, in place.
func (c *ICS) redactNode(n *yaml.Node, p string) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	switch n.Kind {
	case yaml.DocumentNode:
		for _, k := range n.Content {
			c.redactNode(k, p)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			k.HeadComment, k.LineComment, k.FootComment = "", "", ""
			c.redactNode(v, join(p, k.Value))
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			c.redactNode(e, p+"["+strconv.Itoa(i)+"]")
		}
	case yaml.ScalarNode:
		if v, ok := c.redactedValue(p); ok {
			n.Value, n.Tag, n.Style = v, "!!str", 0
			return
		}
		n.Value = mask.Text(n.Value)
	}
}

// redactedValue returns what the redacted copy shows at field path p when
// the field holds a key or the funding PAN.
func (c *ICS) redactedValue(p string) (string, bool) {
	if e := c.EMV; e != nil {
		switch p {
		case "emv.cryptogram.imk-ac":
			return kcvEMV(e.Cryptogram.IMKAC), true
		case "emv.cryptogram.icc-master-key":
			return kcvEMV(e.Cryptogram.ICCMasterKey), true
		case "emv.token.funding-pan":
			return mask.PAN(e.Token.FundingPAN), true
		}
	}
	if k := c.KeyMgmt; k != nil {
		for i, pre := range k.Preloaded {
			if p == fmt.Sprintf("keymgmt.preloaded[%d].bdk", i) {
				return kcvDUKPT(pre.BDK), true
			}
		}
	}
	return "", false
}
