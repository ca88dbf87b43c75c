package main

// The suites linked into certify. A new suite adds its blank import here;
// the reference IUTs are wired into the probes by package probes/target.
import (
	_ "github.com/paycert/paycert/suites/emv"
	_ "github.com/paycert/paycert/suites/hsm"
	_ "github.com/paycert/paycert/suites/keymgmt"
	_ "github.com/paycert/paycert/suites/token"
)
