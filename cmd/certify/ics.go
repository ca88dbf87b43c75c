package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/paycert/paycert/ics"
)

func newICSCmd() *cobra.Command {
	var profile string
	c := &cobra.Command{
		Use:   "ics [--profile NAME]",
		Short: "Print the ICS of a reference card profile (YAML, docs/ics.md)",
		Long: `Print the implementation conformance statement of the reference IUTs, with the
card as profile NAME (default ` + ics.ProfileNames()[0] + `). Profiles: ` + strings.Join(ics.ProfileNames(), ", ") + `.

Use it for a reference card served with 'certify serve card --profile NAME':

  certify ics --profile NAME > card.yaml
  certify run --probe vpcd://HOST:PORT --ics card.yaml`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			b, err := ics.ProfileYAML(profile)
			if err != nil {
				return usageErr("ics: %v", err)
			}
			_, err = fmt.Fprint(c.OutOrStdout(), string(b))
			return err
		},
	}
	c.Flags().StringVar(&profile, "profile", "", "the reference card profile ("+strings.Join(ics.ProfileNames(), ", ")+")")
	return c
}
