// Package keymgmt is paycert's key-management suite: what a DUKPT PIN pad
// must do, checked over the pinpad role of the adapter protocol
// (docs/adapter-protocol.md, "### pinpad"). It covers TDES DUKPT (ANSI
// X9.24-1:2009) and AES DUKPT (ANSI X9.24-3:2017): known answers, the key
// and variant behind every PIN block, MAC and ciphertext, KSN and counter
// rules, one key per transaction, the working-key strength rule and, opt-in,
// the whole TDES counter space.
//
// Every expected value is computed host-side with package dukpt from the
// base derivation key: the suite's own test keys, which it loads with
// pinpad.load_initial_key when the device declares "load-initial-key", or
// the keys the ICS declares as preloaded. Test cases are declared with
// harness.Case and run through certify or `go test`.
package keymgmt

import "time"

// Requirement IDs used by this suite; docs/requirements.md paraphrases each.
const (
	reqSeedKeys  = "SEED-Q7 unique keys"
	reqPIN1      = "PCI PIN 1-1"
	reqPIN18     = "PCI PIN 18-3"
	reqDSS36     = "PCI DSS v4.0.1 3.6.1"
	reqDSS37     = "PCI DSS v4.0.1 3.7.1"
	reqX924_1    = "ANSI X9.24-1:2009 A.4"
	reqX924_1A   = "ANSI X9.24-1:2009 Annex A"
	reqX924_3    = "ANSI X9.24-3:2017 6.1.3"
	reqX924_3KAT = "ANSI X9.24-3:2017 supplement"
)

// Role is the adapter role the suite tests.
const Role = "pinpad"

// Capabilities of the pinpad role (see the protocol document).
const (
	capLoad     = "load-initial-key"
	capMAC      = "mac"
	capData     = "data-encryption"
	capISO0     = "pin-iso0"
	capISO3     = "pin-iso3"
	capISO4     = "pin-iso4"
	capTestSeek = "test-seek"
)

// Methods of the pinpad role.
const (
	mLoad     = "pinpad.load_initial_key"
	mPIN      = "pinpad.encrypt_pin"
	mMAC      = "pinpad.mac"
	mData     = "pinpad.encrypt_data"
	mTestSeek = "pinpad.test_seek"
)

// batchPerCall is what a pipelined batch allows per call on top of one call
// timeout: a device behind an adapter may take tens of milliseconds per
// transaction, and pipelining does not make it faster.
const batchPerCall = 50 * time.Millisecond
