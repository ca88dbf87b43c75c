// Command certify runs paycert's conformance suites against a cloud card,
// token service or PIN pad and writes a certification-style report.
//
// Exit status: 0 every applicable test passed; 1 a test failed; 2 usage or
// configuration error; 3 the IUT was unreachable or a test could not reach
// a verdict.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitPass   = 0
	exitFail   = 1
	exitUsage  = 2
	exitIUT    = 3
	exitSignal = 130
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitPass
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "certify:", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors: unknown command or flag.
	fmt.Fprintln(os.Stderr, "certify:", err)
	fmt.Fprintln(os.Stderr, "Run 'certify --help' for usage.")
	return exitUsage
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "certify",
		Short: "Conformance tests for cloud payment cards, token services and DUKPT PIN pads",
		Long: `certify runs paycert's conformance suites against an implementation under test
(IUT) and writes a report. With no arguments, 'certify run' tests the embedded
reference cloud card.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newRunCmd(), newListCmd(), newFaultsCmd(), newServeCmd(), newVersionCmd(), newKeygenCmd(), newVerifyCmd())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%v\nRun '%s --help' for usage.", err, c.CommandPath())
	})
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintln(c.OutOrStdout(), "paycert certify", version())
			return nil
		},
	}
}
