// Package probes connects the suites to a card-like implementation under
// test (IUT): the embedded reference card, a virtual card over the vpcd
// socket protocol, or a real card or phone on a PC/SC reader.
//
// Every exchange takes a context; a probe applies the context's deadline (or
// a default) to the exchange and reports a transport failure as an error
// wrapping ErrTransport, never as a card answer.
package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paycert/paycert/iso7816"
	"github.com/paycert/paycert/probes/vpcd"
)

// Card is a card-like IUT reached through some transport.
type Card interface {
	// Transmit sends one command APDU and returns the whole response APDU
	// (data and status word). T=0 procedure bytes (61xx, 6Cxx) are already
	// handled.
	Transmit(ctx context.Context, capdu []byte) ([]byte, error)
	// Reset power-cycles the card and returns its ATR.
	Reset(ctx context.Context) ([]byte, error)
	// URI names the probe, without secrets.
	URI() string
	// Close releases the transport.
	Close() error
}

// ErrTransport is wrapped by every failure to exchange with the IUT, as
// opposed to an answer the IUT gave.
var ErrTransport = errors.New("transport failure")

// Warn, when set, receives warnings about how a probe was opened (a
// listener on a non-loopback address). certify sets it to print them.
var Warn func(string)

// ErrUsage is wrapped by errors in a probe URI.
var ErrUsage = errors.New("bad probe URI")

// Schemes lists the probe URI forms, for help texts.
const Schemes = `ref:[?fault=NAME]          the embedded reference cloud card (default)
pcsc://[?reader=NAME]       a card on a PC/SC reader (first reader with a card)
vpcd-listen://HOST:PORT     paycert plays the vpcd reader; a virtual card connects
vpcd://HOST:PORT            paycert connects to a virtual card that listens
adapter://HOST:PORT         a host-side IUT (token service, PIN pad) speaking paycert-adapter/1 over TCP
adapter-exec:COMMAND ARGS   the same over the stdin/stdout of a program paycert starts`

// RefOpener builds the embedded reference card; package ref sets it so
// that this package does not depend on the reference implementation.
var RefOpener func(fault string) (Card, error)

// Open connects to the IUT named by uri.
func Open(ctx context.Context, uri string) (Card, error) {
	if uri == "" {
		uri = "ref:"
	}
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok {
		return nil, fmt.Errorf("%w %q: no scheme; use one of:\n%s", ErrUsage, uri, Schemes)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrUsage, uri, err)
	}
	q := u.Query()
	timeout := 30 * time.Second
	if t := q.Get("timeout"); t != "" {
		if timeout, err = time.ParseDuration(t); err != nil || timeout <= 0 {
			return nil, fmt.Errorf("%w %q: timeout %q is not a positive duration such as 30s", ErrUsage, uri, t)
		}
	}
	switch scheme {
	case "ref":
		if strings.HasPrefix(rest, "//") {
			return nil, fmt.Errorf("%w %q: write ref: or ref:?fault=NAME", ErrUsage, uri)
		}
		if RefOpener == nil {
			return nil, fmt.Errorf("%w %q: the reference card is not linked into this program", ErrUsage, uri)
		}
		return RefOpener(q.Get("fault"))
	case "pcsc":
		return openPCSC(ctx, q.Get("reader"), timeout)
	case "vpcd", "vpcd-listen":
		if u.Host == "" {
			return nil, fmt.Errorf("%w %q: needs HOST:PORT, e.g. %s://127.0.0.1:%d", ErrUsage, uri, scheme, vpcd.DefaultPort)
		}
		_, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrUsage, uri, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("%w %q: port %q is not 1 to 65535", ErrUsage, uri, port)
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		var r *vpcd.Reader
		if scheme == "vpcd" {
			r, err = vpcd.Dial(cctx, u.Host)
		} else {
			var l net.Listener
			var warning string
			l, warning, err = Listen(ctx, u.Host)
			if err != nil {
				return nil, fmt.Errorf("vpcd: %w", err)
			}
			if warning != "" && Warn != nil {
				Warn("vpcd-listen: " + warning)
			}
			r, err = vpcd.Accept(cctx, l)
			l.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTransport, err)
		}
		return &vpcdCard{r: r, uri: scheme + "://" + u.Host}, nil
	}
	return nil, fmt.Errorf("%w %q: unknown scheme %q; use one of:\n%s", ErrUsage, uri, scheme, Schemes)
}

type vpcdCard struct {
	r   *vpcd.Reader
	uri string
}

func (c *vpcdCard) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	return transceive(ctx, capdu, func(ctx context.Context, b []byte) ([]byte, error) {
		resp, err := c.r.Transmit(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTransport, err)
		}
		return resp, nil
	})
}

func (c *vpcdCard) Reset(ctx context.Context) ([]byte, error) {
	atr, err := c.r.Reset(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	return atr, nil
}

func (c *vpcdCard) URI() string  { return c.uri }
func (c *vpcdCard) Close() error { return c.r.Close() }

// maxChain bounds GET RESPONSE chaining so a card that answers 61xx forever
// cannot hang a run.
const maxChain = 32

// transceive sends capdu through raw and follows the T=0 procedure: on 6Cxx
// it resends with Le = xx; on 61xx it issues GET RESPONSE and concatenates.
func transceive(ctx context.Context, capdu []byte, raw func(context.Context, []byte) ([]byte, error)) ([]byte, error) {
	resp, err := raw(ctx, capdu)
	if err != nil {
		return nil, err
	}
	if len(resp) < 2 {
		return nil, fmt.Errorf("%w: response of %d bytes has no status word", ErrTransport, len(resp))
	}
	if sw1 := resp[len(resp)-2]; sw1 == 0x6C {
		cmd, perr := iso7816.ParseCommand(capdu)
		if perr != nil {
			return resp, nil
		}
		cmd.Le = int(resp[len(resp)-1])
		if cmd.Le == 0 {
			cmd.Le = 256
		}
		again, berr := cmd.Bytes()
		if berr != nil {
			return resp, nil
		}
		if resp, err = raw(ctx, again); err != nil {
			return nil, err
		}
		if len(resp) < 2 {
			return nil, fmt.Errorf("%w: response of %d bytes has no status word", ErrTransport, len(resp))
		}
	}
	var data []byte
	for i := 0; resp[len(resp)-2] == 0x61; i++ {
		if i == maxChain {
			return nil, fmt.Errorf("%w: card still answers 61xx after %d GET RESPONSE commands", ErrTransport, maxChain)
		}
		data = append(data, resp[:len(resp)-2]...)
		if resp, err = raw(ctx, iso7816.GetResponse(resp[len(resp)-1]).MustBytes()); err != nil {
			return nil, err
		}
		if len(resp) < 2 {
			return nil, fmt.Errorf("%w: GET RESPONSE answer of %d bytes has no status word", ErrTransport, len(resp))
		}
	}
	if data != nil {
		resp = append(data, resp...)
	}
	return resp, nil
}
