// Package gentest checks that a generated file is what its generator
// writes now, for the go:generate programs of package dukpt and its
// internal packages.
package gentest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Check runs the generator gen (a go:build ignore program in the current
// directory taking -out FILE) with go run and compares its output with the
// committed file. It skips the test when there is no go command.
func Check(t *testing.T, gen, committed string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out := filepath.Join(t.TempDir(), filepath.Base(committed))
	if b, err := exec.Command(goBin, "run", gen, "-out", out).CombinedOutput(); err != nil {
		t.Fatalf("go run %s: %v\n%s", gen, err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want) {
		t.Fatalf("%s is not what %s generates: run go generate", committed, gen)
	}
}
