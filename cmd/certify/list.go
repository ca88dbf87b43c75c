package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

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
			case "yaml":
				return writeCatalogue(c.OutOrStdout())
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
			return usageErr("--format %q: use text, json or yaml", format)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "text, json or yaml (the catalogue kept as cmd/certify/testdata/catalogue.yaml)")
	return c
}

// catalogueEntry is one test case as the YAML catalogue lists it: what
// must never change silently (ID, requirement, requirement IDs) and the
// reference faults that prove it can fail.
type catalogueEntry struct {
	ID           string   `yaml:"id"`
	Suite        string   `yaml:"suite"`
	Title        string   `yaml:"title"`
	Requirement  string   `yaml:"requirement"`
	Requirements []string `yaml:"requirementIDs,flow"`
	Needs        string   `yaml:"needs"`
	KilledBy     []string `yaml:"killedBy,flow"`
}

// writeCatalogue writes the test-case catalogue as YAML, in the manner of
// Kubernetes' conformance.yaml.
func writeCatalogue(w io.Writer) error {
	killers := map[string][]string{}
	for _, f := range target.Faults() {
		for _, id := range f.Killed() {
			killers[id] = append(killers[id], f.Name)
		}
	}
	var out []catalogueEntry
	for _, tc := range harness.Catalog() {
		k := killers[tc.ID]
		slices.Sort(k)
		out = append(out, catalogueEntry{tc.ID, tc.Suite, tc.Title, tc.Requirement, tc.Requirements, tc.Needs, k})
	}
	fmt.Fprintln(w, "# The paycert test-case catalogue: certify list --format yaml.")
	fmt.Fprintln(w, "# A test checks it against the binary; regenerate with go test ./cmd/certify -run TestCatalogue -update.")
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(out); err != nil {
		return err
	}
	return enc.Close()
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
					must := strings.Join(f.MustFail, "\n")
					if f.Hostile {
						must = "(hostile: every test case ends in error)"
					}
					t.Append([]string{f.IUT, f.Name, f.Breaks, must})
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
