package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/iut/pinpad"
)

func init() { serveCmds = append(serveCmds, newServePinpadCmd) }

func newServePinpadCmd() *cobra.Command {
	var fault, listen, misbehave string
	var stdio, testSeek bool
	c := &cobra.Command{
		Use:   "pinpad [--fault NAME] (--listen HOST:PORT | --stdio)",
		Short: "Serve the reference DUKPT PIN pad over the adapter protocol",
		Long: `Serve the reference DUKPT PIN pad (role pinpad of the adapter protocol,
docs/adapter-protocol.md).

--listen HOST:PORT accepts adapter connections, for certify's 'adapter://' probe;
every connection reaches the same device. --stdio serves one session over
standard input and output, for the 'adapter-exec:' probe, e.g.
  certify run --probe 'adapter-exec:certify serve pinpad --stdio'
The server runs until interrupted (--listen) or until its input ends (--stdio).

--misbehave NAME breaks the protocol itself (malformed-json, wrong-id,
missing-field, stall, exit), to test how paycert handles a broken adapter.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if (listen == "") == !stdio {
				return usageErr("serve pinpad: give exactly one of --listen HOST:PORT or --stdio")
			}
			var opts []pinpad.Option
			if c.Flags().Changed("test-seek") {
				opts = append(opts, pinpad.WithTestSeek(testSeek))
			}
			srv, err := pinpad.New(fault, opts...)
			if err != nil {
				return usageErr("serve pinpad: %v", err)
			}
			// A PIN pad is one device with one key and counter: a second
			// certify at once would corrupt both runs, so it is refused.
			srv.OneSession = true
			if misbehave != "" {
				if err := pinpad.CheckMisbehaviour(misbehave); err != nil {
					return usageErr("serve pinpad: %v", err)
				}
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			name := "reference PIN pad"
			if fault != "" {
				name += " with fault " + fault
			}
			if misbehave != "" {
				name += " misbehaving (" + misbehave + ")"
			}
			if stdio {
				return servePinpadStdio(ctx, c, srv, name, misbehave)
			}
			return servePinpadListen(ctx, c, srv, name, listen, misbehave)
		},
	}
	c.Flags().StringVar(&fault, "fault", "", "a named fault (see 'certify faults')")
	c.Flags().StringVar(&listen, "listen", "", "listen at HOST:PORT for adapter:// connections")
	c.Flags().BoolVar(&stdio, "stdio", false, "serve one session on standard input and output (adapter-exec:)")
	c.Flags().StringVar(&misbehave, "misbehave", "", "break the protocol: malformed-json, wrong-id, missing-field, stall or exit")
	c.Flags().BoolVar(&testSeek, "test-seek", false, "declare the test-seek hook (default: only in test binaries and race-detector builds); never for conformance runs")
	return c
}

func servePinpadListen(ctx context.Context, c *cobra.Command, srv *adapter.Server, name, addr, misbehave string) error {
	l, err := listen(ctx, c, "serve pinpad", addr)
	if err != nil {
		return err
	}
	if misbehave != "" {
		if l, err = pinpad.MisbehavingListener(l, misbehave); err != nil {
			return usageErr("serve pinpad: %v", err)
		}
	}
	fmt.Fprintf(c.ErrOrStderr(), "certify serve pinpad: %s listening at %s\n", name, l.Addr())
	err = srv.Serve(ctx, l)
	if ctx.Err() != nil {
		return nil
	}
	return &exitError{exitIUT, fmt.Errorf("serve pinpad: %w", err)}
}

func servePinpadStdio(ctx context.Context, c *cobra.Command, srv *adapter.Server, name, misbehave string) error {
	fmt.Fprintf(c.ErrOrStderr(), "certify serve pinpad: %s serving on standard input and output\n", name)
	var rw io.ReadWriter = struct {
		io.Reader
		io.Writer
	}{os.Stdin, os.Stdout}
	if misbehave != "" {
		var err error
		if rw, err = pinpad.Misbehave(rw, misbehave); err != nil {
			return usageErr("serve pinpad: %v", err)
		}
	}
	err := srv.ServeConn(ctx, rw)
	if err != nil && !errors.Is(err, context.Canceled) {
		return &exitError{exitIUT, fmt.Errorf("serve pinpad: %w", err)}
	}
	return nil
}
