package card

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/emvcrypto"
)

// WalletServer returns an adapter server for the wallet role of the
// adapter protocol (docs/adapter-protocol.md, "### wallet"): the channel by
// which a test environment delivers a token and a limited-use key to a
// card app, as the wallet's own secure channel does in production.
// wallet.load_luk is LoadLUK, wallet.clear is ClearLUK. It lets the token
// suite's card side reach the reference card over vpcd as it would reach a
// vendor's phone (`certify serve card --wallet-listen HOST:PORT`).
func (c *Card) WalletServer() *adapter.Server {
	version := "1"
	if c.fault != "" {
		version += " (fault " + c.fault + ")"
	}
	return &adapter.Server{
		Hello: adapter.HelloResult{
			Protocol: adapter.Protocol, Roles: []string{"wallet"}, Capabilities: []string{},
			Implementation: adapter.Implementation{Vendor: "paycert", Product: "reference cloud card wallet", Version: version},
		},
		Methods: map[string]adapter.Handler{
			"wallet.load_luk": func(_ context.Context, raw json.RawMessage) (any, error) {
				var p LoadLUKParams
				if err := adapter.DecodeParams(raw, &p); err != nil {
					return nil, err
				}
				kb, _ := hex.DecodeString(p.LUK)
				defer clear(kb)
				key, err := emvcrypto.NewLUK(kb)
				if err != nil {
					return nil, adapter.Errorf(adapter.CodeInvalidParams, "invalid params: \"luk\": %v", err)
				}
				if kcv, err := emvcrypto.LUKCheckValue(key); err != nil || !strings.EqualFold(kcv, p.KCV) {
					return nil, adapter.Errorf(adapter.CodeInvalidParams, "invalid params: \"kcv\" %q is not the check value of \"luk\"", p.KCV)
				}
				notAfter, _ := time.Parse(time.RFC3339, p.NotAfter)
				if err := c.LoadLUK(p.Token, key, p.MaxUses, notAfter); err != nil {
					return nil, adapter.Errorf(adapter.CodeInvalidParams, "invalid params: %v", err)
				}
				return struct{}{}, nil
			},
			"wallet.clear": func(context.Context, json.RawMessage) (any, error) {
				c.ClearLUK()
				return struct{}{}, nil
			},
		},
	}
}

// LoadLUKParams are the params of wallet.load_luk.
type LoadLUKParams struct {
	Token    string `json:"token"`
	LUKID    string `json:"luk_id,omitempty"`
	LUK      string `json:"luk"`
	KCV      string `json:"kcv"`
	MaxUses  int    `json:"max_uses"`
	NotAfter string `json:"not_after"`
}

// RequiredFields implements adapter.RequiredFielder.
func (p *LoadLUKParams) RequiredFields() []string {
	return []string{"token", "luk", "kcv", "max_uses", "not_after"}
}

// Validate implements adapter.Validator.
func (p *LoadLUKParams) Validate() error {
	if b, err := hex.DecodeString(p.LUK); err != nil || len(b) != emvcrypto.LUKLen {
		return fmt.Errorf(`"luk" must be %d hex digits`, 2*emvcrypto.LUKLen)
	}
	if p.MaxUses < 1 {
		return fmt.Errorf(`"max_uses" must be at least 1`)
	}
	if _, err := time.Parse(time.RFC3339, p.NotAfter); err != nil {
		return fmt.Errorf(`"not_after" must be an RFC 3339 time`)
	}
	return nil
}
