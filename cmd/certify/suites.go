package main

// The suites and reference IUTs linked into certify. A new suite or
// reference IUT adds its blank import here.
import (
	_ "github.com/paycert/paycert/suites/emv"
)
