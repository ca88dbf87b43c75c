package ics

import (
	"embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed profiles/*.yaml
var profileFS embed.FS

// ProfileNames lists the reference card profiles that have an ICS, the
// default (upi-qpboc, whose ICS is Default) first.
func ProfileNames() []string {
	return []string{"upi-qpboc", "visa-cvn18", "visa-cvn22", "mc-cvn17"}
}

// ProfileYAML returns the text of the ICS of a reference card profile
// ("" or "upi-qpboc" is the default ICS).
func ProfileYAML(name string) ([]byte, error) {
	if name == "" || name == "upi-qpboc" {
		return DefaultYAML(), nil
	}
	if !slices.Contains(ProfileNames(), name) {
		return nil, fmt.Errorf("ics: unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
	}
	return profileFS.ReadFile("profiles/" + name + ".yaml")
}

// Profile returns the parsed ICS of a reference card profile.
func Profile(name string) (*ICS, error) {
	b, err := ProfileYAML(name)
	if err != nil {
		return nil, err
	}
	if name == "" || name == "upi-qpboc" {
		return Default(), nil
	}
	return Parse(b, name+".yaml")
}
