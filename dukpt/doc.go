// Package dukpt implements Derived Unique Key Per Transaction key
// management for payment terminals and hosts:
//
//   - TDES DUKPT, ANSI X9.24-1:2009: IPEK derivation from a double-length
//     BDK and a 10-byte KSN (DeriveTDESIPEK), host-side transaction key
//     derivation for any KSN (DeriveTDESTransactionKey; the working key in
//     one call with DeriveTDESWorkingKey), the table A-1 variants and the
//     data-key one-way function (TDESTransactionKey WorkingKey and
//     VariantKey), counter rules (ValidTDESCounter, NextTDESCounter) and
//     the originating device's 21 future key registers (TDESDevice).
//   - AES DUKPT, ANSI X9.24-3:2017: initial key derivation from an AES-128,
//     -192 or -256 BDK and the 8-byte initial key ID (DeriveAESInitialKey),
//     derivation data (DerivationData), intermediate derivation keys for any
//     KSN (DeriveAESTransactionKey), working keys of every usage and type
//     with the strength rule (AESTransactionKey.WorkingKey), the update key
//     (DeriveAESUpdateKey), counter rules and the originating device's 32
//     intermediate derivation key registers (AESDevice).
//   - Data encryption helpers (EncryptData, DecryptData: CBC, zero IV, zero
//     fill) and key check values (Key.KCV).
//   - ProveTDESKeysDistinct, which derives all 1,048,575 transaction keys
//     of one TDES initial key and proves them distinct.
//
// PIN blocks (ISO 9564-1 formats 0, 3 and 4) are in package
// dukpt/pinblock; the ANSI X9.19 retail MAC and CMAC are in dukpt/mac.
//
// # Keys
//
// Secret keys are values of type Key: immutable, typed (KeyType) and
// redacted when printed or marshalled, showing only the type and the key
// check value, e.g. "TDES2Key(KCV 08D7B4)". Create them with NewKey or
// ParseKey; obtain a block cipher with Key.Cipher and, when unavoidable, a
// copy of the bytes with Key.Bytes.
//
// The KCV is, for TDES keys, the first 3 bytes of the encryption of eight
// zero bytes; for AES keys, the first 5 bytes of AES-CMAC over sixteen zero
// bytes (the CMAC-based KCV of X9.24-1:2017 and ASC X9 TR-31:2018, which
// unlike the legacy "encrypt zeros" method does not reveal a ciphertext
// block of the key). HMAC keys have no KCV here.
//
// # Errors
//
// No function panics on bad input. Errors are wrapped with context and
// match these sentinels with errors.Is: ErrInvalidKey, ErrInvalidKSN,
// ErrInvalidCounter, ErrKeyTooStrong, ErrExhausted, ErrNoInitialKey.
//
// # Implementation
//
// TDES derivation does not use crypto/des, which builds a cipher object per
// key: DUKPT needs a new key schedule for every step. The package has its
// own portable table-driven DES in Go (FIPS 46-3 tables; the schedule is
// linear, so it is the XOR of eight precomputed rows), the only DES of the
// derivations on every platform. It is tested bit for bit against
// crypto/des, and the derivations against the published X9.24 vectors; the
// timings are in docs/performance-dukpt.md.
//
// # Counters
//
// Host-side derivation functions reject counters a device never uses
// (counter zero, which would give the initial key itself; more than 10
// (TDES) or 16 (AES) one bits; more than 21 bits for TDES). Device order is
// c+1 while c has fewer than the maximum number of one bits, else c plus its
// lowest set bit; a TDES device is exhausted after 0x1FF800, an AES device
// after 0xFFFF0000.
package dukpt
