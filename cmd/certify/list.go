package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/probes/target"
)

func newListCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "list",
		Short: "List every test case with its requirement and requirement IDs",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cat := harness.Catalog()
			switch format {
			case "json":
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(cat)
			case "text":
				t := tablewriter.NewTable(c.OutOrStdout(),
					tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithHeader([]string{"ID", "Suite", "Requirement", "Evidences"}),
					tablewriter.WithRowAutoWrap(tw.WrapNormal), tablewriter.WithMaxWidth(150))
				for _, tc := range cat {
					t.Append([]string{tc.ID, tc.Suite, tc.Requirement, strings.Join(tc.Requirements, "\n")})
				}
				t.Render()
				fmt.Fprintf(c.OutOrStdout(), "%d test cases\n", len(cat))
				return nil
			}
			return usageErr("--format %q: use text or json", format)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "text or json")
	return c
}

func newFaultsCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "faults",
		Short: "List the reference IUTs' named faults and the test cases each must fail",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			all := target.Faults()
			switch format {
			case "json":
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(all)
			case "text":
				t := tablewriter.NewTable(c.OutOrStdout(),
					tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithHeader([]string{"IUT", "Fault", "Breaks", "Must fail"}),
					tablewriter.WithRowAutoWrap(tw.WrapNormal), tablewriter.WithMaxWidth(150))
				for _, f := range all {
					t.Append([]string{f.IUT, f.Name, f.Breaks, strings.Join(f.MustFail, "\n")})
				}
				t.Render()
				fmt.Fprintln(c.OutOrStdout(), "Use a fault with: certify run --probe 'ref:?fault=NAME'  or  certify serve card --fault NAME ...")
				return nil
			}
			return usageErr("--format %q: use text or json", format)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "text or json")
	return c
}
