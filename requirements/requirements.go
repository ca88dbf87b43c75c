// Package requirements is paycert's requirements catalogue: every
// requirement ID a test case may cite, with the source document and clause
// where an auditor finds the requirement and paycert's paraphrase of it
// (never the standard's own text).
//
// The catalogue is requirements.yaml, embedded. docs/requirements.md is
// generated from it by Markdown (go generate ./requirements), and a test
// fails when the two differ. Reports read it to build their traceability
// matrix.
package requirements

//go:generate go test -run TestDocGenerated -update .

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

//go:embed requirements.yaml
var catalogueYAML []byte

// Requirement is one entry of the catalogue.
type Requirement struct {
	ID         string `yaml:"id"`         // what test cases cite, e.g. "PCI DSS v4.0.1 3.4.1"
	Document   string `yaml:"document"`   // the source document
	Clause     string `yaml:"clause"`     // where in it
	Paraphrase string `yaml:"paraphrase"` // paycert's words, not the standard's
}

// Group is a titled section of the catalogue, with optional notes
// (Markdown) shown after its table.
type Group struct {
	Title        string        `yaml:"title"`
	Requirements []Requirement `yaml:"requirements"`
	Notes        string        `yaml:"notes"`
}

// Catalogue is the whole catalogue: an introduction (Markdown) and the
// groups in document order.
type Catalogue struct {
	Intro  string  `yaml:"intro"`
	Groups []Group `yaml:"groups"`
}

var embedded = mustParse(catalogueYAML)

func mustParse(data []byte) *Catalogue {
	c, err := Parse(data)
	if err != nil {
		// The embedded file is tested; this is a build defect.
		panic(err)
	}
	return c
}

// Parse decodes a catalogue strictly (unknown fields are errors) and checks
// that every requirement has an ID, a document and a paraphrase, and that
// no ID appears twice.
func Parse(data []byte) (*Catalogue, error) {
	var c Catalogue
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("requirements: %w", err)
	}
	seen := map[string]bool{}
	var errs []error
	for _, g := range c.Groups {
		if g.Title == "" {
			errs = append(errs, errors.New("requirements: a group has no title"))
		}
		for _, r := range g.Requirements {
			switch {
			case r.ID == "" || r.Document == "" || r.Paraphrase == "":
				errs = append(errs, fmt.Errorf("requirements: %q in %q needs an id, a document and a paraphrase", r.ID, g.Title))
			case seen[r.ID]:
				errs = append(errs, fmt.Errorf("requirements: %q appears twice", r.ID))
			}
			seen[r.ID] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &c, nil
}

// Embedded returns paycert's catalogue. Callers must not modify it.
func Embedded() *Catalogue { return embedded }

// All returns every requirement, in catalogue order.
func (c *Catalogue) All() []Requirement {
	var out []Requirement
	for _, g := range c.Groups {
		out = append(out, g.Requirements...)
	}
	return out
}

// Lookup returns the requirement with the given ID.
func (c *Catalogue) Lookup(id string) (Requirement, bool) {
	for _, g := range c.Groups {
		for _, r := range g.Requirements {
			if r.ID == id {
				return r, true
			}
		}
	}
	return Requirement{}, false
}
