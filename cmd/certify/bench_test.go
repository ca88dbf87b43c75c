package main

import (
	"os/exec"
	"testing"
)

// BenchmarkEMVSuite measures one whole `certify run --suite emv` against the
// embedded reference card, process start included.
func BenchmarkEMVSuite(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		out, err := exec.Command("certify", "run", "--suite", "emv", "--seed", "1", "--out", dir).CombinedOutput()
		if err != nil {
			b.Fatalf("certify: %v\n%s", err, out)
		}
	}
}
