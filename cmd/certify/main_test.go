package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as certify, for testscript files and
// for the end-to-end tests that run it as a process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"certify": func() { os.Exit(run(os.Args[1:])) },
	})
}

// TestScripts runs the CLI end to end from testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
