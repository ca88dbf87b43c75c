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
	var fault, listen string
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

--fault also takes the adapter faults (adapter-stall, adapter-exit,
adapter-bad-json, adapter-wrong-id, adapter-leak-in-error,
adapter-missing-field, adapter-silent-hello; see 'certify faults'), which
break the protocol itself, to test how paycert handles a broken adapter.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if (listen == "") == !stdio {
				return usageErr("serve pinpad: give exactly one of --listen HOST:PORT or --stdio")
			}
			var opts []pinpad.Option
			if c.Flags().Changed("test-seek") {
				opts = append(opts, pinpad.WithTestSeek(testSeek))
			}
			own, hostileFault := hostAdapterFault(fault)
			srv, err := pinpad.New(own, opts...)
			if err != nil {
				return usageErr("serve pinpad: %v", err)
			}
			// A PIN pad is one device with one key and counter: a second
			// certify at once would corrupt both runs, so it is refused.
			srv.OneSession = true
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			name := "reference PIN pad"
			if fault != "" {
				name += " with fault " + fault
			}
			if stdio {
				return servePinpadStdio(ctx, c, srv, name, hostileFault)
			}
			return servePinpadListen(ctx, c, srv, name, listen, hostileFault)
		},
	}
	c.Flags().StringVar(&fault, "fault", "", "a named fault (see 'certify faults')")
	c.Flags().StringVar(&listen, "listen", "", "listen at HOST:PORT for adapter:// connections")
	c.Flags().BoolVar(&stdio, "stdio", false, "serve one session on standard input and output (adapter-exec:)")
	c.Flags().BoolVar(&testSeek, "test-seek", false, "declare the test-seek hook (default: only in test binaries and race-detector builds); never for conformance runs")
	addTagFlag(c)
	return c
}

func servePinpadListen(ctx context.Context, c *cobra.Command, srv *adapter.Server, name, addr, hostileFault string) error {
	l, err := listen(ctx, c, "serve pinpad", addr)
	if err != nil {
		return err
	}
	l = hostileListener(l, hostileFault)
	fmt.Fprintf(c.ErrOrStderr(), "certify serve pinpad: %s listening at %s\n", name, l.Addr())
	err = srv.Serve(ctx, l)
	if ctx.Err() != nil {
		return nil
	}
	return &exitError{exitIUT, fmt.Errorf("serve pinpad: %w", err)}
}

func servePinpadStdio(ctx context.Context, c *cobra.Command, srv *adapter.Server, name, hostileFault string) error {
	fmt.Fprintf(c.ErrOrStderr(), "certify serve pinpad: %s serving on standard input and output\n", name)
	var rw io.ReadWriter = struct {
		io.Reader
		io.Writer
	}{os.Stdin, os.Stdout}
	err := srv.ServeConn(ctx, hostileStdio(rw, hostileFault))
	if err != nil && !errors.Is(err, context.Canceled) {
		return &exitError{exitIUT, fmt.Errorf("serve pinpad: %w", err)}
	}
	return nil
}
