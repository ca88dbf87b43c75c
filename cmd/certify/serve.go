package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/probes"
	"github.com/paycert/paycert/probes/vpcd"
)

func newServeCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run a reference IUT as a process (card over vpcd)",
	}
	c.AddCommand(newServeCardCmd())
	for _, sub := range serveCmds {
		c.AddCommand(sub())
	}
	return c
}

// serveCmds holds the 'certify serve' subcommands of reference host IUTs;
// their files append to it from init.
var serveCmds []func() *cobra.Command

func newServeCardCmd() *cobra.Command {
	var fault, connect, listenAddr, wallet, profile string
	var once bool
	c := &cobra.Command{
		Use:   "card [--profile NAME] [--fault NAME] (--vpcd HOST:PORT | --listen HOST:PORT)",
		Short: "Serve the reference cloud card over the vpcd protocol",
		Long: `Serve the reference cloud card over vsmartcard's vpcd protocol.

--vpcd HOST:PORT connects to a vpcd reader: pcscd's vpcd driver (127.0.0.1:35963)
or certify's own 'vpcd-listen://' probe. The card reconnects when the reader
drops it, until interrupted (or after one session with --once).
--listen HOST:PORT waits for a reader to connect, for certify's 'vpcd://' probe.
--profile NAME plays another brand (` + strings.Join(card.Profiles(), ", ") + `);
'certify ics --profile NAME' prints the card's ICS for 'certify run --ics'.
--wallet-listen HOST:PORT also serves the card's wallet (role wallet of the
adapter protocol: wallet.load_luk, wallet.clear) for certify's 'adapter://'
probe, so that the token suite can load the card with a token service's key
as it would a vendor's phone.

--fault takes the card's faults and the hostile card faults (card-stall,
card-drip, ...), which attack the reader instead of a requirement.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if (connect == "") == (listenAddr == "") {
				return usageErr("serve card: give exactly one of --vpcd HOST:PORT or --listen HOST:PORT")
			}
			p, err := card.LookupProfile(profile)
			if err != nil {
				return usageErr("serve card: %v", err)
			}
			cardFault, wrap := fault, hostileCardConn(fault)
			if wrap != nil {
				cardFault = "" // the card is sound; its connection is hostile
			}
			crd, err := card.New(p, cardFault)
			if err != nil {
				return usageErr("serve card: %v", err)
			}
			// Without its ICS a run can check only what needs no
			// declaration: say how to get it.
			fmt.Fprintf(c.ErrOrStderr(), "certify serve card: profile %s; its ICS: certify ics --profile %s > card.yaml, then certify run --ics card.yaml\n", p.Name, p.Name)
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			name := "reference card"
			if profile != "" {
				name += " " + p.Name
			}
			if fault != "" {
				name += " with fault " + fault
			}
			if wallet != "" {
				wl, err := listen(ctx, c, "serve card", wallet)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.ErrOrStderr(), "certify serve card: %s wallet listening at %s\n", name, wl.Addr())
				go func() { _ = crd.WalletServer().Serve(ctx, wl) }()
			}
			if listenAddr != "" {
				return serveListen(ctx, c, crd, wrap, name, listenAddr, once)
			}
			return serveConnect(ctx, c, crd, wrap, name, connect, once)
		},
	}
	c.Flags().StringVar(&fault, "fault", "", "a named fault (see 'certify faults')")
	c.Flags().StringVar(&profile, "profile", "", "the card profile: "+strings.Join(card.Profiles(), ", ")+" (default "+card.DefaultProfileName+")")
	c.Flags().StringVar(&connect, "vpcd", "", "connect to the vpcd reader at HOST:PORT")
	c.Flags().StringVar(&listenAddr, "listen", "", "listen at HOST:PORT for a vpcd reader")
	c.Flags().BoolVar(&once, "once", false, "exit after the first reader session ends")
	c.Flags().StringVar(&wallet, "wallet-listen", "", "also serve the card's wallet role (adapter protocol) at HOST:PORT")
	addTagFlag(c)
	return c
}

func serveConnect(ctx context.Context, c *cobra.Command, crd *card.Card, wrap func(net.Conn) net.Conn, name, addr string, once bool) error {
	logf := func(format string, args ...any) {
		fmt.Fprintf(c.ErrOrStderr(), "certify serve card: "+format+"\n", args...)
	}
	backoff := 50 * time.Millisecond
	warned := false
	for ctx.Err() == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if !warned {
				logf("waiting for the vpcd reader at %s: %v", addr, err)
				warned = true
			}
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, time.Second)
			continue
		}
		backoff, warned = 50*time.Millisecond, false
		logf("%s inserted in the vpcd reader at %s", name, addr)
		if wrap != nil {
			conn = wrap(conn)
		}
		err = vpcd.ServeCard(ctx, conn, crd)
		conn.Close()
		if err != nil && !errors.Is(err, context.Canceled) {
			logf("session ended: %v", err)
		} else {
			logf("reader closed the session")
		}
		if once {
			return nil
		}
	}
	return nil
}

func serveListen(ctx context.Context, c *cobra.Command, crd *card.Card, wrap func(net.Conn) net.Conn, name, addr string, once bool) error {
	l, err := listen(ctx, c, "serve card", addr)
	if err != nil {
		return err
	}
	defer l.Close()
	context.AfterFunc(ctx, func() { l.Close() })
	fmt.Fprintf(c.ErrOrStderr(), "certify serve card: %s listening at %s\n", name, l.Addr())
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return &exitError{exitIUT, fmt.Errorf("serve card: accept: %w", err)}
		}
		if wrap != nil {
			conn = wrap(conn)
		}
		err = vpcd.ServeCard(ctx, conn, crd)
		conn.Close()
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(c.ErrOrStderr(), "certify serve card: session ended: %v\n", err)
		}
		if once || ctx.Err() != nil {
			return nil
		}
	}
}

// listen opens a serve command's listener (probes.Listen: loopback unless a
// host is given) and prints the warning for a non-loopback address.
func listen(ctx context.Context, c *cobra.Command, cmd string, addr string) (net.Listener, error) {
	l, warning, err := probes.Listen(ctx, addr)
	if errors.Is(err, probes.ErrUsage) {
		return nil, &exitError{exitUsage, fmt.Errorf("%s: --listen: %w", cmd, err)}
	}
	if err != nil {
		return nil, &exitError{exitIUT, fmt.Errorf("%s: %w", cmd, err)}
	}
	if warning != "" {
		fmt.Fprintf(c.ErrOrStderr(), "certify %s: warning: %s\n", cmd, warning)
	}
	return l, nil
}
