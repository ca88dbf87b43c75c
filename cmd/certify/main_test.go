package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/iut/hsm"
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
// hard-codes them ($N_ALL leaves out the hsm suite where SoftHSM2 is not
// installed, outside CI, and the condition [softhsm] tells a script
// whether ref: has its SoftHSM2 token).
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
			all := len(harness.Catalog())
			if _, err := hsm.Module(); err != nil && os.Getenv("CI") != "true" {
				// Without SoftHSM2 ref: has no HSM and the hsm suite
				// does not run: the scripts count without it.
				all -= counts["hsm"]
				env.Setenv(hsm.ModuleEnv, "none")
			}
			env.Setenv("N_ALL", strconv.Itoa(all))
			for suite, n := range counts {
				env.Setenv("N_"+strings.ToUpper(suite), strconv.Itoa(n))
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "softhsm" {
				// [softhsm]: ref: provisions a SoftHSM2 token.
				_, err := hsm.Module()
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
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
