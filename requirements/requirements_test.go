package requirements

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/requirements.md from requirements.yaml")

const docFile = "../docs/requirements.md"

// TestDocGenerated holds docs/requirements.md to the catalogue it is
// generated from.
func TestDocGenerated(t *testing.T) {
	got := Embedded().Markdown()
	if *update {
		if err := os.WriteFile(docFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from requirements.yaml; run go generate ./requirements", docFile)
	}
}

func TestEmbedded(t *testing.T) {
	all := Embedded().All()
	if len(all) < 30 {
		t.Fatalf("%d requirements", len(all))
	}
	r, ok := Embedded().Lookup("PCI DSS v4.0.1 3.4.1")
	if !ok || r.Document != "PCI DSS v4.0.1" || r.Clause != "3.4.1" {
		t.Errorf("Lookup: %+v %v", r, ok)
	}
	if _, ok := Embedded().Lookup("no such requirement"); ok {
		t.Error("Lookup found an unknown ID")
	}
}

func TestParseRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": "groups: [{title: a, requirements: [{id: x, document: d, paraphrase: p, text: quoted}]}]",
		"duplicate":     "groups: [{title: a, requirements: [{id: x, document: d, paraphrase: p}, {id: x, document: d, paraphrase: p}]}]",
		"no paraphrase": "groups: [{title: a, requirements: [{id: x, document: d}]}]",
		"no title":      "groups: [{requirements: []}]",
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Parse([]byte("groups: [{title: a, requirements: [{id: x, document: d, paraphrase: p}]}]")); err != nil {
		t.Error(err)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	c := &Catalogue{Groups: []Group{{Title: "g", Requirements: []Requirement{{ID: "a|b", Document: "d", Paraphrase: "p"}}}}}
	if !strings.Contains(string(c.Markdown()), `| a\|b | d |  | p |`) {
		t.Errorf("%s", c.Markdown())
	}
}
