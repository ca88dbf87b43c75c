// Package ics reads paycert implementation conformance statements (ICS).
//
// An ICS is a YAML file in which a vendor declares what its implementation
// under test is and what it supports: the EMV/qPBOC card profile and
// cryptogram keys, the token service's limited-use key policy and the DUKPT
// key management schemes of a PIN pad. The suites select their test cases
// from it (an absent section makes a whole suite not applicable) and
// cross-check the declarations against what the implementation does.
//
// Parse and Load decode schema version 1 strictly: unknown fields, duplicate
// keys, wrong types and invalid values are all errors, each naming the file,
// line and field path, and every error in a file is reported at once
// (errors.Join of *FieldError). Parsing never panics.
//
// Keys in an ICS are test keys. They are held as emvcrypto.Key and dukpt.Key
// values, which print only their key check value whatever the fmt verb, and
// Summary reports them as KCVs; no error message repeats key material.
//
// Default returns the embedded ICS of paycert's reference implementations
// (default.yaml). The schema is documented in docs/ics.md.
package ics
