// Package ref links the embedded reference cloud card into the probes
// package as the "ref:" scheme. Import it for its side effect.
package ref

import (
	"context"
	"fmt"
	"net/url"

	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/probes"
)

func init() {
	probes.RefOpener = func(profile, fault string) (probes.Card, error) {
		p, err := card.LookupProfile(profile)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", probes.ErrUsage, err)
		}
		c, err := card.New(p, fault)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", probes.ErrUsage, err)
		}
		return &Card{Card: c, uri: URI(profile, fault)}, nil
	}
}

// URI is the probe URI of the reference card with profile and fault
// ("" for the default and none).
func URI(profile, fault string) string {
	q := url.Values{}
	if profile != "" {
		q.Set("profile", profile)
	}
	if fault != "" {
		q.Set("fault", fault)
	}
	if len(q) == 0 {
		return "ref:"
	}
	return "ref:?" + q.Encode()
}

// Card is the in-process reference card seen through the probe interface.
type Card struct {
	*card.Card
	uri string
}

// Transmit hands the APDU to the card, honouring ctx.
func (c *Card) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", probes.ErrTransport, err)
	}
	return c.Process(capdu), nil
}

// Reset power-cycles the card.
func (c *Card) Reset(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", probes.ErrTransport, err)
	}
	c.Power(false)
	c.Power(true)
	return c.ATR(), nil
}

// URI names the probe.
func (c *Card) URI() string { return c.uri }

// Close does nothing.
func (c *Card) Close() error { return nil }
