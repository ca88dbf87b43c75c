package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/paycert/paycert/harness"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as certify, for testscript files and
// for the end-to-end tests that run it as a process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"certify": func() { os.Exit(run(os.Args[1:])) },
	})
}

// TestScripts runs the CLI end to end from testdata/script/*.txtar. Each
// script gets two free loopback TCP ports in $PORT and $PORT2 for the
// servers it starts, so that scripts running in parallel, or other programs
// on the machine, do not collide on fixed ports; and the catalogue's test
// counts ($N_ALL, and $N_EMV, $N_TOKEN, $N_KEYMGMT per suite), which
// TestCatalogue holds to testdata/catalogue.yaml, so that no script
// hard-codes them.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			ports, err := freePorts(2)
			if err != nil {
				return err
			}
			env.Setenv("PORT", ports[0])
			env.Setenv("PORT2", ports[1])
			counts := map[string]int{}
			for _, tc := range harness.Catalog() {
				counts[tc.Suite]++
			}
			env.Setenv("N_ALL", strconv.Itoa(len(harness.Catalog())))
			for suite, n := range counts {
				env.Setenv("N_"+strings.ToUpper(suite), strconv.Itoa(n))
			}
			return nil
		},
	})
}

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago: all n listeners are open at once, then closed.
func freePorts(n int) ([]string, error) {
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		defer l.Close()
		_, p, _ := net.SplitHostPort(l.Addr().String())
		ports = append(ports, p)
	}
	return ports, nil
}
