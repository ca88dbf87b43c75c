// Package ref links the embedded reference cloud card into the probes
// package as the "ref:" scheme. Import it for its side effect.
package ref

import (
	"context"
	"fmt"

	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/probes"
)

func init() {
	probes.RefOpener = func(fault string) (probes.Card, error) {
		c, err := card.New(card.DefaultProfile(), fault)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", probes.ErrUsage, err)
		}
		uri := "ref:"
		if fault != "" {
			uri += "?fault=" + fault
		}
		return &Card{Card: c, uri: uri}, nil
	}
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
