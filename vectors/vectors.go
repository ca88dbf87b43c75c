// Package vectors embeds paycert's known-answer test vectors.
//
// Each file is JSON in a Wycheproof-like layout: a header naming the
// algorithm and the provenance of the values (standard annex, publication,
// or the public source it was transcribed from), then groups of test cases,
// each with a tcId, a comment, flags and an expected result. Packages load
// the files through FS so the binary carries its vectors with it.
package vectors

import "embed"

// FS holds every vector file of this directory.
//
//go:embed *.json
var FS embed.FS

// Read returns the named vector file's contents.
func Read(name string) ([]byte, error) { return FS.ReadFile(name) }
