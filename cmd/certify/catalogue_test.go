package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/requirements"
)

var update = flag.Bool("update", false, "rewrite testdata/catalogue.yaml from the binary's catalogue")

const catalogueFile = "testdata/catalogue.yaml"

// TestCatalogue holds the test-case catalogue to its golden file, as
// Kubernetes holds its conformance tests to conformance.yaml: an ID, a
// requirement or the faults that kill a test case never change without a
// reviewed change to the file.
func TestCatalogue(t *testing.T) {
	var got bytes.Buffer
	if err := writeCatalogue(&got); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(catalogueFile, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(catalogueFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("the catalogue differs from %s; review the change and run go test ./cmd/certify -run TestCatalogue -update\n%s", catalogueFile, firstDiff(string(want), got.String()))
	}
}

// TestCatalogueRequirements checks that every requirement ID a test case
// cites is in the requirements catalogue, so that every report's
// traceability matrix can name its source.
func TestCatalogueRequirements(t *testing.T) {
	cat := requirements.Embedded()
	for _, tc := range harness.Catalog() {
		for _, id := range tc.Requirements {
			if _, ok := cat.Lookup(id); !ok {
				t.Errorf("%s cites %q, which requirements/requirements.yaml does not list", tc.ID, id)
			}
		}
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := bytes.Split([]byte(a), []byte("\n")), bytes.Split([]byte(b), []byte("\n"))
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y []byte
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if !bytes.Equal(x, y) {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return ""
}
