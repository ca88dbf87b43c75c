package main

// The suites and reference IUTs linked into certify. A new suite or
// reference IUT adds its blank import here.
import (
	_ "github.com/paycert/paycert/iut/pinpad"
	_ "github.com/paycert/paycert/iut/tsp"
	_ "github.com/paycert/paycert/suites/emv"
	_ "github.com/paycert/paycert/suites/keymgmt"
	_ "github.com/paycert/paycert/suites/token"
)
