package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/iut/tsp"
)

func init() { serveCmds = append(serveCmds, newServeTSPCmd) }

func newServeTSPCmd() *cobra.Command {
	var fault, listen string
	var stdio, noClock bool
	var ttl time.Duration
	var uses int
	c := &cobra.Command{
		Use:   "tsp [--fault NAME] (--listen HOST:PORT | --stdio)",
		Short: "Serve the reference token service over the adapter protocol",
		Long: `Serve the reference token service provider (role tsp of the adapter protocol,
docs/adapter-protocol.md, with the test-clock capability).

--listen HOST:PORT accepts adapter connections, for certify's 'adapter://' probe;
every connection reaches the same token vault. --stdio serves one session over
standard input and output, for the 'adapter-exec:' probe, e.g.
  certify run --suite token --probe 'adapter-exec:certify serve tsp --stdio'
The server runs until interrupted (--listen) or until its input ends (--stdio).

--luk-ttl, --luk-max-uses and --no-test-clock change the service's key policy
and leave out its test clock, to exercise the suite as against a production-like
service (the ICS given to certify run must then declare the same policy).

--fault also takes the adapter faults (adapter-stall, adapter-exit, ...;
see 'certify faults'), which break the protocol itself.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if (listen == "") == !stdio {
				return usageErr("serve tsp: give exactly one of --listen HOST:PORT or --stdio")
			}
			own, hostileFault := hostAdapterFault(fault)
			t, err := tsp.New(tsp.Config{Fault: own, LUKTTL: ttl, LUKMaxUses: uses, NoTestClock: noClock})
			if err != nil {
				return usageErr("serve tsp: %v", err)
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			name := "reference token service"
			if fault != "" {
				name += " with fault " + fault
			}
			if stdio {
				fmt.Fprintf(c.ErrOrStderr(), "certify serve tsp: %s serving on standard input and output\n", name)
				if err := t.Server().ServeConn(ctx, hostileStdio(struct {
					io.Reader
					io.Writer
				}{os.Stdin, os.Stdout}, hostileFault)); err != nil && !errors.Is(err, context.Canceled) {
					return &exitError{exitIUT, fmt.Errorf("serve tsp: %w", err)}
				}
				return nil
			}
			return serveTSPListen(ctx, c, t.Server(), name, listen, hostileFault)
		},
	}
	c.Flags().StringVar(&fault, "fault", "", "a named fault (see 'certify faults')")
	c.Flags().StringVar(&listen, "listen", "", "listen at HOST:PORT for adapter:// connections")
	c.Flags().BoolVar(&stdio, "stdio", false, "serve one session on standard input and output (adapter-exec:)")
	c.Flags().DurationVar(&ttl, "luk-ttl", tsp.DefaultLUKTTL, "time to live of the limited-use keys it issues")
	c.Flags().IntVar(&uses, "luk-max-uses", tsp.DefaultLUKMaxUses, "uses of a limited-use key issued without a requested count")
	c.Flags().BoolVar(&noClock, "no-test-clock", false, "declare no test-clock capability (the suite then waits real time)")
	addTagFlag(c)
	return c
}

func serveTSPListen(ctx context.Context, c *cobra.Command, srv *adapter.Server, name, addr, hostileFault string) error {
	l, err := listen(ctx, c, "serve tsp", addr)
	if err != nil {
		return err
	}
	l = hostileListener(l, hostileFault)
	fmt.Fprintf(c.ErrOrStderr(), "certify serve tsp: %s listening at %s\n", name, l.Addr())
	err = srv.Serve(ctx, l)
	if ctx.Err() != nil {
		fmt.Fprintf(c.ErrOrStderr(), "certify serve tsp: stopped\n")
		return nil
	}
	return &exitError{exitIUT, fmt.Errorf("serve tsp: %w", err)}
}
