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

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/dukpt/mac"
	"github.com/paycert/paycert/dukpt/pinblock"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/mask"
)

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

// callTimeout bounds one adapter call.
func callTimeout() time.Duration { return harness.ExchangeTimeout }

// pinpadClient returns the IUT's adapter client.
func pinpadClient(t *harness.T) *adapter.Client {
	c := t.Session().Hosts[Role]
	if c == nil {
		t.NotApplicable("the probe offers no pinpad IUT")
	}
	return c
}

// icsOf returns the run's ICS, or nil.
func icsOf(t *harness.T) *ics.ICS {
	c := t.Session().ICS
	return c
}

// scheme is one DUKPT scheme under test, with the key the suite uses for
// it.
type scheme struct {
	name    ics.DUKPTScheme // dukpt-tdes, dukpt-aes128, ...
	wire    string          // tdes, aes128, ... (pinpad.load_initial_key)
	bdkType dukpt.KeyType
}

func (s scheme) tdes() bool { return s.name == ics.DUKPTTDES }

var allSchemes = []scheme{
	{ics.DUKPTTDES, "tdes", dukpt.TDES2},
	{ics.DUKPTAES128, "aes128", dukpt.AES128},
	{ics.DUKPTAES192, "aes192", dukpt.AES192},
	{ics.DUKPTAES256, "aes256", dukpt.AES256},
}

// schemes returns the schemes to test: those the device declares in hello,
// less those an ICS (when given) does not declare. It ends the test as not
// applicable when the ICS has no keymgmt section or nothing is left.
func schemes(t *harness.T, c *adapter.Client) []scheme {
	out := declaredSchemes(t, c)
	if len(out) == 0 {
		t.NotApplicable("the PIN pad declares no DUKPT scheme (dukpt-tdes, dukpt-aes128/192/256) that the ICS lists")
	}
	return out
}

// declaredSchemes is schemes without the not-applicable ending when no
// scheme is left.
func declaredSchemes(t *harness.T, c *adapter.Client) []scheme {
	conf := icsOf(t)
	if conf != nil {
		if why := conf.NotApplicable("keymgmt"); why != "" {
			t.NotApplicable(why)
		}
	}
	var out []scheme
	for _, s := range allSchemes {
		if !c.HasCapability(string(s.name)) {
			continue
		}
		if conf != nil && conf.NotApplicable("keymgmt."+string(s.name)) != "" {
			continue
		}
		out = append(out, s)
	}
	return out
}

// find returns the scheme if it is under test.
func find(t *harness.T, c *adapter.Client, name ics.DUKPTScheme) (scheme, bool) {
	for _, s := range schemes(t, c) {
		if s.name == name {
			return s, true
		}
	}
	return scheme{}, false
}

// formats returns the PIN block formats the device declares for s: for
// TDES "iso0" and/or "iso3" (primary first: format 0 unless only 3 is
// declared), for AES "iso4".
func formats(c *adapter.Client, s scheme) []string {
	var out []string
	if s.tdes() {
		if c.HasCapability(capISO0) {
			out = append(out, "iso0")
		}
		if c.HasCapability(capISO3) {
			out = append(out, "iso3")
		}
		return out
	}
	if c.HasCapability(capISO4) {
		out = append(out, "iso4")
	}
	return out
}

// keyCtx is a DUKPT initial key in the device, as the suite knows it.
type keyCtx struct {
	s       scheme
	bdk     dukpt.Key
	ik      dukpt.Key          // IPEK (TDES) or initial key (AES)
	iksn    dukpt.TDESKSN      // TDES initial KSN (counter 0)
	id      dukpt.InitialKeyID // AES initial key ID
	loaded  bool               // loaded by the suite: the counter starts at 0
	history []seen             // transactions of this key seen so far
}

// seen is one transaction the device answered.
type seen struct {
	ksn     []byte
	counter uint32
}

// ksnLen is the KSN length of the key's scheme.
func (k *keyCtx) ksnLen() int {
	if k.s.tdes() {
		return dukpt.TDESKSNSize
	}
	return dukpt.AESKSNSize
}

// prefix is the part of every KSN that identifies the initial key.
func (k *keyCtx) prefix() []byte {
	if k.s.tdes() {
		return k.iksn[:]
	}
	return k.id[:]
}

// useKey makes a key of scheme s current in the device: the suite's test
// key when the device declares load-initial-key (loading it, so the counter
// starts at 0), else the key the ICS declares preloaded. It returns nil and
// the reason when neither is available.
func useKey(t *harness.T, c *adapter.Client, s scheme) (*keyCtx, string) {
	if c.HasCapability(capLoad) {
		k, err := testKey(s)
		if err != nil {
			t.Errorf("test key for %s: %v", s.name, err)
		}
		loadKey(t, c, k)
		return k, ""
	}
	if conf := icsOf(t); conf != nil {
		if p, ok := conf.KeyMgmt.PreloadedKey(s.name); ok {
			k, err := preloadedKey(s, p)
			if err != nil {
				t.Errorf("ICS preloaded key for %s: %v", s.name, err)
			}
			return k, ""
		}
	}
	return nil, fmt.Sprintf("%s: the PIN pad does not declare %s and the ICS declares no preloaded %s key", s.name, capLoad, s.name)
}

// needKey is useKey for a test case about one scheme: no key is not
// applicable.
func needKey(t *harness.T, c *adapter.Client, s scheme) *keyCtx {
	k, why := useKey(t, c, s)
	if k == nil {
		t.NotApplicable(why)
	}
	return k
}

// preloadedKey builds the key context of an ICS preloaded key.
func preloadedKey(s scheme, p ics.Preloaded) (*keyCtx, error) {
	k := &keyCtx{s: s, bdk: p.BDK}
	raw, err := hex.DecodeString(p.KSN)
	if err != nil {
		return nil, fmt.Errorf("ksn: %w", err)
	}
	if s.tdes() {
		ksn, err := dukpt.TDESKSNFromBytes(raw)
		if err != nil {
			return nil, err
		}
		k.iksn = ksn.InitialKSN()
		if k.ik, err = dukpt.DeriveTDESIPEK(p.BDK, k.iksn); err != nil {
			return nil, err
		}
		return k, nil
	}
	if len(raw) != dukpt.AESKSNSize {
		return nil, fmt.Errorf("ksn: %d bytes, want %d", len(raw), dukpt.AESKSNSize)
	}
	k.id = dukpt.AESKSN(raw).InitialKeyID()
	if k.ik, err = dukpt.DeriveAESInitialKey(p.BDK, k.id); err != nil {
		return nil, err
	}
	return k, nil
}

// loadKey sends pinpad.load_initial_key for k.
func loadKey(t *harness.T, c *adapter.Client, k *keyCtx) {
	ksn := hex.EncodeToString(k.iksn[:])
	if !k.s.tdes() {
		z := dukpt.NewAESKSN(k.id, 0)
		ksn = hex.EncodeToString(z[:])
	}
	ikb := k.ik.Bytes()
	// The initial key goes over the wire: no file of the run may contain it.
	t.Session().Masker.AddSecret(hex.EncodeToString(ikb))
	params := map[string]string{"scheme": k.s.wire, "initial_key": strings.ToUpper(hex.EncodeToString(ikb)), "ksn": strings.ToUpper(ksn)}
	clear(ikb)
	err := callRPC(t, c, mLoad, params, nil, fmt.Sprintf("scheme %s, initial_key %s, ksn %s", k.s.wire, k.ik, strings.ToUpper(ksn)))
	mustOK(t, err, mLoad)
	k.loaded = true
	k.history = nil
}

// callRPC makes one adapter call with a per-call deadline and records it
// as evidence, described by what (never key bytes).
func callRPC(t *harness.T, c *adapter.Client, method string, params, result any, what string) error {
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout())
	defer cancel()
	start := time.Now()
	err := c.Call(ctx, method, params, result)
	d := time.Since(start).Round(time.Microsecond)
	switch {
	case err != nil:
		t.Evidence("rpc", fmt.Sprintf("%s {%s} -> error: %v (%s)", method, what, err, d))
	case result == nil:
		t.Evidence("rpc", fmt.Sprintf("%s {%s} -> {} (%s)", method, what, d))
	default:
		t.Evidence("rpc", fmt.Sprintf("%s {%s} -> %s (%s)", method, what, describeResult(result), d))
	}
	return err
}

func describeResult(r any) string {
	switch r := r.(type) {
	case *pinResult:
		return "ksn " + r.KSN + ", pin_block " + r.PINBlock
	case *macResult:
		return "ksn " + r.KSN + ", mac " + r.MAC
	case *dataResult:
		return "ksn " + r.KSN + ", ciphertext " + r.Ciphertext
	}
	return fmt.Sprintf("%v", r)
}

// mustOK ends the test when a call that has to succeed did not: verdict
// fail when the PIN pad answered with an error object (it refused a valid
// request of a method it declares), verdict error when the exchange itself
// broke (timeout, protocol violation, lost connection).
func mustOK(t *harness.T, err error, method string) {
	if err == nil {
		return
	}
	var e *adapter.Error
	if errors.As(err, &e) && (adapter.IsRefusal(err) || e.Code == adapter.CodeInvalidParams || e.Code == adapter.CodeMethodNotFound) {
		t.Failf("%s: the PIN pad refused a valid request: %v", method, err)
	}
	t.Errorf("%v", err)
}

// Results of the pinpad methods. Validate makes the adapter client report a
// missing, empty or non-hex member as a protocol violation naming the
// method. (It checks presence itself rather than through RequiredFields,
// which would parse every result twice: the exhaustive test decodes a
// million of them.)
type pinResult struct {
	KSN      string `json:"ksn"`
	PINBlock string `json:"pin_block"`
}

func (r *pinResult) Validate() error {
	return validHex(map[string]string{"ksn": r.KSN, "pin_block": r.PINBlock})
}

type macResult struct {
	KSN string `json:"ksn"`
	MAC string `json:"mac"`
}

func (r *macResult) Validate() error {
	return validHex(map[string]string{"ksn": r.KSN, "mac": r.MAC})
}

type dataResult struct {
	KSN        string `json:"ksn"`
	Ciphertext string `json:"ciphertext"`
}

func (r *dataResult) Validate() error {
	return validHex(map[string]string{"ksn": r.KSN, "ciphertext": r.Ciphertext})
}

func validHex(fields map[string]string) error {
	for _, name := range []string{"ksn", "pin_block", "mac", "ciphertext"} {
		v, ok := fields[name]
		if !ok {
			continue
		}
		if v == "" {
			return fmt.Errorf("member %q is missing or empty", name)
		}
		if _, err := hex.DecodeString(v); err != nil {
			return fmt.Errorf("%s %q is not hexadecimal", name, v)
		}
	}
	return nil
}

func unhex(s string) []byte {
	b, _ := hex.DecodeString(s) // validated by the result type
	return b
}

type pinParams struct {
	PIN    string `json:"pin"`
	PAN    string `json:"pan"`
	Format string `json:"format"`
}

type dataParams struct {
	Data string `json:"data"`
}

// encryptPIN runs one pinpad.encrypt_pin transaction.
func encryptPIN(t *harness.T, c *adapter.Client, pin, pan, format string) (ksn, block []byte) {
	var r pinResult
	// Evidence never shows a PIN (sensitive authentication data, even in a
	// test) nor more of the PAN than its first six and last four digits.
	t.Session().Masker.Add(pan)
	err := callRPC(t, c, mPIN, pinParams{pin, pan, format}, &r, fmt.Sprintf("pin %s, pan %s, format %s", strings.Repeat("*", len(pin)), mask.PAN(pan), format))
	mustOK(t, err, mPIN)
	return unhex(r.KSN), unhex(r.PINBlock)
}

// macData runs one pinpad.mac transaction.
func macData(t *harness.T, c *adapter.Client, data []byte) (ksn, m []byte) {
	var r macResult
	h := strings.ToUpper(hex.EncodeToString(data))
	err := callRPC(t, c, mMAC, dataParams{h}, &r, "data "+shortHex(h))
	mustOK(t, err, mMAC)
	return unhex(r.KSN), unhex(r.MAC)
}

// encryptData runs one pinpad.encrypt_data transaction.
func encryptData(t *harness.T, c *adapter.Client, data []byte) (ksn, ct []byte) {
	var r dataResult
	h := strings.ToUpper(hex.EncodeToString(data))
	err := callRPC(t, c, mData, dataParams{h}, &r, "data "+shortHex(h))
	mustOK(t, err, mData)
	return unhex(r.KSN), unhex(r.Ciphertext)
}

func shortHex(h string) string {
	if h == "" {
		return `""`
	}
	if len(h) > 48 {
		return fmt.Sprintf("%s... (%d bytes)", h[:48], len(h)/2)
	}
	return h
}

// checkKSN checks a KSN the device returned for transactions of k: its
// length, the initial-key part and the counter's validity. It returns the
// counter and "" or a description of the problem.
func (k *keyCtx) checkKSN(ksn []byte) (uint32, string) {
	if len(ksn) != k.ksnLen() {
		return 0, fmt.Sprintf("KSN %X has %d bytes; a %s KSN has %d", ksn, len(ksn), k.s.name, k.ksnLen())
	}
	if k.s.tdes() {
		x, _ := dukpt.TDESKSNFromBytes(ksn)
		if x.InitialKSN() != k.iksn {
			return x.Counter(), fmt.Sprintf("KSN %X does not carry the initial KSN %X of the loaded key", ksn, k.iksn[:])
		}
		if err := dukpt.ValidTDESCounter(x.Counter()); err != nil {
			return x.Counter(), fmt.Sprintf("KSN %X: counter %06X is not one a TDES DUKPT device may use (%v)", ksn, x.Counter(), err)
		}
		return x.Counter(), ""
	}
	x := dukpt.AESKSN(ksn)
	if x.InitialKeyID() != k.id {
		return x.Counter(), fmt.Sprintf("KSN %X does not carry the initial key ID %s of the loaded key", ksn, k.id)
	}
	if err := dukpt.ValidAESCounter(x.Counter()); err != nil {
		return x.Counter(), fmt.Sprintf("KSN %X: counter %08X is not one an AES DUKPT device may use (%v)", ksn, x.Counter(), err)
	}
	return x.Counter(), ""
}

// txKey is the host-side transaction key of one KSN.
type txKey struct {
	k    *keyCtx
	tdes dukpt.TDESTransactionKey
	aes  dukpt.AESTransactionKey
}

// derive returns the transaction key of a KSN that passed checkKSN.
func (k *keyCtx) derive(ksn []byte) (txKey, error) {
	if k.s.tdes() {
		x, _ := dukpt.TDESKSNFromBytes(ksn)
		tk, err := dukpt.DeriveTDESTransactionKey(k.ik, x)
		return txKey{k: k, tdes: tk}, err
	}
	tk, err := dukpt.DeriveAESTransactionKey(k.ik, dukpt.AESKSN(ksn))
	return txKey{k: k, aes: tk}, err
}

// keyed is one candidate key, named for messages.
type keyed struct {
	name string
	key  dukpt.Key
}

// pinKey is the key a PIN block under this transaction must be encrypted
// with: the PIN variant (TDES) or the PIN working key of the derivation
// key's type (AES).
func (x txKey) pinKey() (dukpt.Key, error) {
	if x.k.s.tdes() {
		return x.tdes.WorkingKey(dukpt.VariantPIN)
	}
	return x.aes.WorkingKey(dukpt.KeyUsagePINEncryption, x.k.s.bdkType)
}

// macKey and dataKey are the MAC and data-encryption (request) keys.
func (x txKey) macKey() (dukpt.Key, error) {
	if x.k.s.tdes() {
		return x.tdes.WorkingKey(dukpt.VariantMACRequest)
	}
	return x.aes.WorkingKey(dukpt.KeyUsageMACGeneration, x.k.s.bdkType)
}

func (x txKey) dataKey() (dukpt.Key, error) {
	if x.k.s.tdes() {
		return x.tdes.WorkingKey(dukpt.VariantDataRequest)
	}
	return x.aes.WorkingKey(dukpt.KeyUsageDataEncrypt, x.k.s.bdkType)
}

// others lists every other key of this transaction a confused device might
// use, for diagnosis: the other variants or usages, the transaction key
// itself and, for AES, working keys stronger than the derivation key.
func (x txKey) others() []keyed {
	var out []keyed
	add := func(name string, k dukpt.Key, err error) {
		if err == nil {
			out = append(out, keyed{name, k})
		}
	}
	if x.k.s.tdes() {
		for _, v := range []dukpt.Variant{dukpt.VariantPIN, dukpt.VariantMACRequest, dukpt.VariantMACResponse, dukpt.VariantDataRequest, dukpt.VariantDataResponse} {
			k, err := x.tdes.WorkingKey(v)
			add(fmt.Sprintf("the %v key", v), k, err)
		}
		for _, v := range []dukpt.Variant{dukpt.VariantDataRequest, dukpt.VariantDataResponse} {
			k, err := x.tdes.VariantKey(v)
			add(fmt.Sprintf("the %v variant without the one-way function", v), k, err)
		}
		out = append(out, keyed{"the transaction key itself (no variant)", x.tdes.Key()})
		return out
	}
	usages := []dukpt.KeyUsage{dukpt.KeyUsagePINEncryption, dukpt.KeyUsageMACGeneration, dukpt.KeyUsageMACVerification, dukpt.KeyUsageMACBoth, dukpt.KeyUsageDataEncrypt, dukpt.KeyUsageDataDecrypt, dukpt.KeyUsageDataBoth}
	for _, u := range usages {
		k, err := x.aes.WorkingKey(u, x.k.s.bdkType)
		add(fmt.Sprintf("the usage %v %v working key", u, x.k.s.bdkType), k, err)
	}
	out = append(out, keyed{"the intermediate derivation key itself", x.aes.Key()})
	for _, st := range []dukpt.KeyType{dukpt.AES192, dukpt.AES256} {
		if st.Size() <= x.k.s.bdkType.Size() {
			continue
		}
		for _, u := range usages {
			if k, err := strongerKey(x.aes, u, st); err == nil {
				out = append(out, keyed{fmt.Sprintf("a STRONGER usage %v %v working key derived from the %v intermediate key", u, st, x.k.s.bdkType), k})
			}
		}
	}
	return out
}

// strongerKey derives the working key of type wt and usage u from an AES
// intermediate key with the X9.24-3 derivation function, ignoring the rule
// that a working key may not be stronger than its derivation key (which
// dukpt enforces). Only for naming a device's defect.
func strongerKey(tk dukpt.AESTransactionKey, u dukpt.KeyUsage, wt dukpt.KeyType) (dukpt.Key, error) {
	d, err := dukpt.DerivationData(u, wt, tk.KSN().InitialKeyID(), tk.KSN().Counter())
	if err != nil {
		return dukpt.Key{}, err
	}
	c, err := tk.Key().Cipher()
	if err != nil {
		return dukpt.Key{}, err
	}
	out := make([]byte, 0, 32)
	var blk [16]byte
	for len(out) < wt.Size() {
		c.Encrypt(blk[:], d[:])
		out = append(out, blk[:]...)
		d[1]++
	}
	defer clear(out)
	return dukpt.NewKey(wt, out[:wt.Size()])
}

// fingerprint identifies a key for distinctness checks, ignoring DES
// parity bits for TDES keys. It is never shown.
func fingerprint(k dukpt.Key) string {
	b := k.Bytes()
	defer clear(b)
	if k.Type() == dukpt.TDES2 || k.Type() == dukpt.TDES3 {
		for i := range b {
			b[i] &= 0xFE
		}
	}
	return string(b)
}

// randomPIN and randomPAN draw test values from the run's seeded source.
func randomPIN(t *harness.T) string {
	n := 4 + t.Session().IntN(9)
	return randomDigits(t, n)
}

func randomPAN(t *harness.T) string {
	n := 13 + t.Session().IntN(7)
	return "4" + randomDigits(t, n-1)
}

func randomDigits(t *harness.T, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + t.Session().IntN(10))
	}
	return string(b)
}

// problems collects failures to report together, up to a bound.
type problems struct {
	list []string
	n    int
}

func (p *problems) add(format string, args ...any) {
	p.n++
	if len(p.list) < 12 {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

func (p *problems) String() string {
	s := strings.Join(p.list, "\n  ")
	if p.n > len(p.list) {
		s += fmt.Sprintf("\n  ... and %d more", p.n-len(p.list))
	}
	return s
}

// batchPerCall is what a pipelined batch allows per call on top of one call
// timeout: a device behind an adapter may take tens of milliseconds per
// transaction, and pipelining does not make it faster.
const batchPerCall = 50 * time.Millisecond

// batch pipelines calls with one deadline for the lot and records a
// summary as evidence; the caller checks the errors.
func batch(t *harness.T, c *adapter.Client, calls []adapter.Call) []error {
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout()+time.Duration(len(calls))*batchPerCall)
	defer cancel()
	start := time.Now()
	errs := c.Batch(ctx, calls)
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
		}
	}
	t.Evidence("rpc", fmt.Sprintf("%d pipelined calls (%s ...) in %s, %d answered with an error", len(calls), calls[0].Method, time.Since(start).Round(time.Millisecond), failed))
	return errs
}

// decrypts reports whether block decrypts under key to pin with pan.
func decrypts(key dukpt.Key, block []byte, pin, pan string) bool {
	c, err := key.Cipher()
	if err != nil {
		return false
	}
	got, _, err := pinblock.Decrypt(c, block, pan)
	return err == nil && got == pin
}

// computeMAC is the pinpad.mac value under key: the X9.19 retail MAC for
// a TDES key, AES-CMAC for an AES key.
func computeMAC(key dukpt.Key, data []byte) ([]byte, error) {
	if key.Type() == dukpt.TDES2 {
		kb := key.Bytes()
		defer clear(kb)
		return mac.RetailMAC(kb, data)
	}
	c, err := key.Cipher()
	if err != nil {
		return nil, err
	}
	return mac.CMAC(c, data)
}

// identify names the key under which match holds, among the other keys of
// this transaction (x may be nil), the keys of the key's earlier
// transactions and the initial key; "" when none.
func (k *keyCtx) identify(x *txKey, match func(dukpt.Key) bool) string {
	if x != nil {
		for _, cand := range x.others() {
			if match(cand.key) {
				return cand.name + " of its own KSN"
			}
		}
	}
	for i, n := len(k.history)-1, 0; i >= 0 && n < 64; i, n = i-1, n+1 {
		h := k.history[i]
		hx, err := k.derive(h.ksn)
		if err != nil {
			continue
		}
		for _, f := range []struct {
			name string
			get  func() (dukpt.Key, error)
		}{{"PIN", hx.pinKey}, {"MAC", hx.macKey}, {"data", hx.dataKey}} {
			if key, err := f.get(); err == nil && match(key) {
				return fmt.Sprintf("the %s key of an earlier transaction (KSN %X): a transaction key used twice", f.name, h.ksn)
			}
		}
	}
	if match(k.ik) {
		return "the initial key itself"
	}
	return ""
}

// remember adds a transaction to the key's history.
func (k *keyCtx) remember(ksn []byte, counter uint32) {
	k.history = append(k.history, seen{ksn: ksn, counter: counter})
}

// checkPINBlock checks one PIN block: its KSN, and that it decrypts to pin
// under the PIN key the suite derives for that KSN, in the requested
// format. It returns "" or the problem.
func (k *keyCtx) checkPINBlock(ksn, block []byte, pin, pan, format string) string {
	counter, prob := k.checkKSN(ksn)
	if prob != "" {
		return prob
	}
	defer k.remember(ksn, counter)
	x, err := k.derive(ksn)
	if err != nil {
		return fmt.Sprintf("KSN %X: no key derivable: %v", ksn, err)
	}
	pk, err := x.pinKey()
	if err != nil {
		return fmt.Sprintf("KSN %X: no PIN key derivable: %v", ksn, err)
	}
	c, err := pk.Cipher()
	if err != nil {
		return fmt.Sprintf("KSN %X: %v", ksn, err)
	}
	got, f, err := pinblock.Decrypt(c, block, pan)
	want := map[string]pinblock.Format{"iso0": pinblock.Format0, "iso3": pinblock.Format3, "iso4": pinblock.Format4}[format]
	switch {
	case err == nil && got == pin && f == want:
		return ""
	case err == nil && got == pin:
		return fmt.Sprintf("KSN %X: the PIN block decrypts under the right key but is ISO format %d, not the requested %s", ksn, f, format)
	}
	what := "does not decrypt to the PIN sent"
	if err != nil {
		what = "is not a well-formed PIN block"
	}
	msg := fmt.Sprintf("KSN %X: PIN block %X, deciphered with the PIN key the host derives for this KSN, %s", ksn, block, what)
	if name := k.identify(&x, func(key dukpt.Key) bool { return decrypts(key, block, pin, pan) }); name != "" {
		msg += "; it was encrypted under " + name
	}
	return msg
}

// checkMAC checks a pinpad.mac answer against the MAC key of its KSN.
func (k *keyCtx) checkMAC(ksn, data, got []byte) string {
	return k.checkWith(ksn, data, got, "MAC", "MAC", txKey.macKey, computeMAC)
}

// checkData checks a pinpad.encrypt_data answer against the data key of
// its KSN.
func (k *keyCtx) checkData(ksn, data, got []byte) string {
	return k.checkWith(ksn, data, got, "ciphertext", "data-encryption", txKey.dataKey, dukpt.EncryptData)
}

func (k *keyCtx) checkWith(ksn, data, got []byte, what, keyName string, keyOf func(txKey) (dukpt.Key, error), compute func(dukpt.Key, []byte) ([]byte, error)) string {
	counter, prob := k.checkKSN(ksn)
	if prob != "" {
		return prob
	}
	defer k.remember(ksn, counter)
	x, err := k.derive(ksn)
	if err != nil {
		return fmt.Sprintf("KSN %X: no key derivable: %v", ksn, err)
	}
	wk, err := keyOf(x)
	if err != nil {
		return fmt.Sprintf("KSN %X: %v", ksn, err)
	}
	want, err := compute(wk, data)
	if err != nil {
		return fmt.Sprintf("KSN %X: %v", ksn, err)
	}
	if mac.Equal(got, want) {
		return ""
	}
	msg := fmt.Sprintf("KSN %X, data of %d bytes: the %s %X is not the one under the %s key the host derives for this KSN", ksn, len(data), what, got, keyName)
	if name := k.identify(&x, func(key dukpt.Key) bool {
		v, err := compute(key, data)
		return err == nil && mac.Equal(v, got)
	}); name != "" {
		msg += "; it was computed under " + name
	}
	return msg
}

// key is the transaction key itself (TDES) or the intermediate derivation
// key (AES).
func (x txKey) key() dukpt.Key {
	if x.k.s.tdes() {
		return x.tdes.Key()
	}
	return x.aes.Key()
}

func hexU(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
