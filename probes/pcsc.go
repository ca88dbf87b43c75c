package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/paycert/paycert/probes/pcsc"
)

func openPCSC(ctx context.Context, reader string, wait time.Duration) (Card, error) {
	r, err := pcsc.Open(ctx, reader, wait)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	return &pcscCard{r}, nil
}

type pcscCard struct{ r *pcsc.Reader }

func (c *pcscCard) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	return transceive(ctx, capdu, func(ctx context.Context, b []byte) ([]byte, error) {
		resp, err := c.r.Transmit(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTransport, err)
		}
		return resp, nil
	})
}

func (c *pcscCard) Reset(ctx context.Context) ([]byte, error) {
	atr, err := c.r.Reset(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	return atr, nil
}

func (c *pcscCard) URI() string  { return "pcsc://?reader=" + c.r.Name() }
func (c *pcscCard) Close() error { return c.r.Close() }
