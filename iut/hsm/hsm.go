// Package hsm is paycert's reference HSM set-up: it provisions a SoftHSM2
// token in a directory of its own, through PKCS#11 (github.com/miekg/pkcs11),
// with the key objects of a token platform (issuer master keys, token
// vault key, LUK master key, BDK, KEK), compliant or with one named fault,
// and records what a key ceremony would record: each key's label, purpose
// and key check value, as an ICS hsm section.
//
// Every key is generated inside the token (C_GenerateKey), so that no key
// value ever exists outside it and CKA_ALWAYS_SENSITIVE and
// CKA_NEVER_EXTRACTABLE hold; the declared KCVs are read from the token
// (CKA_CHECK_VALUE) right after generation.
//
// SoftHSM2 reads its configuration from $SOFTHSM2_CONF when the module is
// initialised, so Provision sets that variable for the process; a process
// uses one reference token at a time.
package hsm

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	ck "github.com/miekg/pkcs11"

	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/internal/p11param"
)

// TokenLabel is the label of the reference token.
const TokenLabel = "paycert-ref"

// ModuleEnv names the environment variable that overrides where the
// SoftHSM2 module is looked for; the value "none" makes paycert behave as
// if SoftHSM2 were not installed (ref: then has no HSM).
const ModuleEnv = "PAYCERT_SOFTHSM2_MODULE"

// modulePaths are where distributions install SoftHSM2's module.
var modulePaths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",                   // Debian, Ubuntu
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",  // multiarch
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", // multiarch
	"/usr/lib64/pkcs11/libsofthsm2.so",                  // Fedora, RHEL
	"/usr/lib/pkcs11/libsofthsm2.so",                    // Arch
	"/usr/local/lib/softhsm/libsofthsm2.so",             // from source
	"/opt/homebrew/lib/softhsm/libsofthsm2.so",          // Homebrew
}

// ErrNoSoftHSM is returned by Module when SoftHSM2 is not installed.
var ErrNoSoftHSM = errors.New("SoftHSM2 is not installed (no libsofthsm2.so found; Debian: apt-get install softhsm2)")

// Module returns the path of SoftHSM2's PKCS#11 module: $PAYCERT_SOFTHSM2_MODULE
// if set, else the first of the usual install paths that exists.
func Module() (string, error) {
	if p := os.Getenv(ModuleEnv); p == "none" {
		return "", fmt.Errorf("%w (%s=none)", ErrNoSoftHSM, ModuleEnv)
	} else if p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", ModuleEnv, err)
		}
		return p, nil
	}
	for _, p := range modulePaths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNoSoftHSM
}

// Token is a provisioned reference token.
type Token struct {
	// Dir holds the SoftHSM2 configuration, the token and the PIN file;
	// Close removes it.
	Dir string
	// URI is the PKCS#11 URI of the token, with a pin-source in Dir.
	URI string
	// PINFile is the file holding the user PIN.
	PINFile string
	// Declared is what the key ceremony recorded: the hsm section of the
	// reference ICS.
	Declared *ics.HSM
	// Fault is the fault the token was provisioned with ("" for none).
	Fault string
}

// Close removes the token's directory.
func (t *Token) Close() error { return os.RemoveAll(t.Dir) }

// mu serialises use of the module by this package: SoftHSM2's
// configuration is per process.
var mu sync.Mutex

// Provision creates a SoftHSM2 token with the reference keys (or with the
// named fault) in a new directory under dir ("" for the system's temporary
// directory) and returns it. It sets SOFTHSM2_CONF for the process.
func Provision(dir, fault string) (tok *Token, err error) {
	if _, err := Lookup(fault); err != nil {
		return nil, err
	}
	module, err := Module()
	if err != nil {
		return nil, err
	}
	d, err := os.MkdirTemp(dir, "paycert-hsm-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(d)
		}
	}()
	tokens := filepath.Join(d, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		return nil, err
	}
	conf := filepath.Join(d, "softhsm2.conf")
	text := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	userPIN, soPIN := randomPIN(), randomPIN()
	pinFile := filepath.Join(d, "user.pin")
	if err := os.WriteFile(pinFile, []byte(userPIN+"\n"), 0o600); err != nil {
		return nil, err
	}

	mu.Lock()
	defer mu.Unlock()
	if err := os.Setenv("SOFTHSM2_CONF", conf); err != nil {
		return nil, err
	}
	p := ck.New(module)
	if p == nil {
		return nil, fmt.Errorf("hsm: cannot load %s", module)
	}
	defer p.Destroy()
	if err := p.Initialize(); err != nil {
		if e, ok := err.(ck.Error); ok && e == ck.CKR_CRYPTOKI_ALREADY_INITIALIZED {
			return nil, errors.New("hsm: SoftHSM2 is already initialised in this process (an HSM probe is open): a process provisions one reference token at a time")
		}
		return nil, fmt.Errorf("hsm: C_Initialize: %w", err)
	}
	defer p.Finalize()
	slots, err := p.GetSlotList(false)
	if err != nil || len(slots) == 0 {
		return nil, fmt.Errorf("hsm: no free SoftHSM2 slot: %v", err)
	}
	if err := p.InitToken(slots[0], soPIN, TokenLabel); err != nil {
		return nil, fmt.Errorf("hsm: C_InitToken: %w", err)
	}
	slot, err := findSlot(p)
	if err != nil {
		return nil, err
	}
	s, err := p.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		return nil, fmt.Errorf("hsm: C_OpenSession: %w", err)
	}
	defer p.CloseSession(s)
	if err := p.Login(s, ck.CKU_SO, soPIN); err != nil {
		return nil, fmt.Errorf("hsm: SO login: %w", err)
	}
	if err := p.InitPIN(s, userPIN); err != nil {
		return nil, fmt.Errorf("hsm: C_InitPIN: %w", err)
	}
	if err := p.Logout(s); err != nil {
		return nil, fmt.Errorf("hsm: C_Logout: %w", err)
	}
	if err := p.Login(s, ck.CKU_USER, userPIN); err != nil {
		return nil, fmt.Errorf("hsm: user login: %w", err)
	}
	declared := &ics.HSM{}
	for _, k := range keysFor(fault) {
		kcv, err := k.generate(p, s)
		if err != nil {
			return nil, fmt.Errorf("hsm: key %s: %w", k.label, err)
		}
		if fault == FaultKCVMismatch && k.purpose == ics.PurposeIMKAC {
			// The key ceremony recorded this key; then it was replaced.
			recorded := kcv
			for kcv == recorded {
				if err := destroyLabel(p, s, k.label); err != nil {
					return nil, err
				}
				if kcv, err = k.generate(p, s); err != nil {
					return nil, fmt.Errorf("hsm: key %s: %w", k.label, err)
				}
			}
			kcv = recorded
		}
		declared.Keys = append(declared.Keys, ics.HSMKey{Label: k.label, Purpose: k.purpose, KCV: kcv})
	}
	_ = p.Logout(s)
	uri := "pkcs11:token=" + TokenLabel + "?module-path=" + escapePath(module) + "&pin-source=file:" + escapePath(pinFile)
	return &Token{Dir: d, URI: uri, PINFile: pinFile, Declared: declared, Fault: fault}, nil
}

func findSlot(p *ck.Ctx) (uint, error) {
	slots, err := p.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("hsm: C_GetSlotList: %w", err)
	}
	for _, s := range slots {
		if ti, err := p.GetTokenInfo(s); err == nil && strings.TrimRight(ti.Label, " ") == TokenLabel {
			return s, nil
		}
	}
	return 0, errors.New("hsm: the initialised token is not found")
}

func destroyLabel(p *ck.Ctx, s ck.SessionHandle, label string) error {
	if err := p.FindObjectsInit(s, []*ck.Attribute{ck.NewAttribute(ck.CKA_LABEL, label)}); err != nil {
		return err
	}
	objs, _, err := p.FindObjects(s, 10)
	p.FindObjectsFinal(s)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := p.DestroyObject(s, o); err != nil {
			return err
		}
	}
	return nil
}

// randomPIN returns 16 random hex digits.
func randomPIN() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// escapePath percent-encodes what a PKCS#11 URI value may not hold.
func escapePath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/:@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// keyType is an algorithm and length of a generated key.
type keyType struct {
	name string
	gen  uint // key generation mechanism
	kt   uint // CKK_
	size int  // bytes, for AES (CKA_VALUE_LEN); 0 for DES keys
}

var (
	aes128 = keyType{"AES-128", ck.CKM_AES_KEY_GEN, ck.CKK_AES, 16}
	aes256 = keyType{"AES-256", ck.CKM_AES_KEY_GEN, ck.CKK_AES, 32}
	tdes2  = keyType{"TDES 2-key", ck.CKM_DES2_KEY_GEN, ck.CKK_DES2, 0}
	tdes3  = keyType{"TDES 3-key", ck.CKM_DES3_KEY_GEN, ck.CKK_DES3, 0}
	des1   = keyType{"single DES", ck.CKM_DES_KEY_GEN, ck.CKK_DES, 0}
)

// refKey is one key of the reference token.
type refKey struct {
	label   string
	purpose ics.KeyPurpose
	typ     keyType
	// functions: the CKA_ENCRYPT, ... attributes set true.
	functions []uint
	mechs     []uint // CKA_ALLOWED_MECHANISMS
	// The protection attributes.
	sensitive, extractable, private bool
}

var allFunctions = []uint{ck.CKA_ENCRYPT, ck.CKA_DECRYPT, ck.CKA_SIGN, ck.CKA_VERIFY, ck.CKA_WRAP, ck.CKA_UNWRAP, ck.CKA_DERIVE}

// deriveMechs are the derivation mechanisms of a key type.
func deriveMechs(t keyType) []uint {
	switch t.kt {
	case ck.CKK_AES:
		return []uint{ck.CKM_AES_ECB_ENCRYPT_DATA, ck.CKM_AES_CBC_ENCRYPT_DATA}
	case ck.CKK_DES:
		return []uint{ck.CKM_DES_ECB_ENCRYPT_DATA, ck.CKM_DES_CBC_ENCRYPT_DATA}
	}
	return []uint{ck.CKM_DES3_ECB_ENCRYPT_DATA, ck.CKM_DES3_CBC_ENCRYPT_DATA}
}

func deriver(label string, p ics.KeyPurpose, t keyType) refKey {
	return refKey{label: label, purpose: p, typ: t, functions: []uint{ck.CKA_DERIVE}, mechs: deriveMechs(t), sensitive: true, private: true}
}

// keysFor returns the reference keys, with the fault applied.
func keysFor(fault string) []refKey {
	keys := []refKey{
		deriver("paycert-imk-ac", ics.PurposeIMKAC, tdes2),
		deriver("paycert-imk-smi", ics.PurposeIMKSMI, tdes3),
		deriver("paycert-imk-smc", ics.PurposeIMKSMC, aes128),
		{label: "paycert-token-vault", purpose: ics.PurposeTokenVault, typ: aes256, functions: []uint{ck.CKA_ENCRYPT, ck.CKA_DECRYPT},
			mechs: []uint{ck.CKM_AES_GCM, ck.CKM_AES_CBC_PAD}, sensitive: true, private: true},
		deriver("paycert-luk-master", ics.PurposeLUKMaster, aes128),
		deriver("paycert-bdk", ics.PurposeBDK, aes256),
		{label: "paycert-kek", purpose: ics.PurposeKEK, typ: aes256, functions: []uint{ck.CKA_WRAP, ck.CKA_UNWRAP},
			mechs: []uint{ck.CKM_AES_KEY_WRAP, ck.CKM_AES_KEY_WRAP_PAD}, sensitive: true, private: true},
	}
	for i := range keys {
		k := &keys[i]
		switch {
		case fault == FaultExtractableBDK && k.purpose == ics.PurposeBDK:
			k.extractable = true
		case fault == FaultNotSensitive && k.purpose == ics.PurposeTokenVault:
			k.sensitive = false
		case fault == FaultSingleDES && k.purpose == ics.PurposeLUKMaster:
			k.typ = des1
			k.mechs = deriveMechs(des1)
		case fault == FaultMultiPurpose && k.purpose == ics.PurposeBDK:
			k.functions = append(k.functions, ck.CKA_ENCRYPT, ck.CKA_DECRYPT, ck.CKA_SIGN, ck.CKA_VERIFY)
			k.mechs = append(k.mechs, ck.CKM_AES_ECB, ck.CKM_AES_CBC, ck.CKM_AES_CMAC)
		case fault == FaultWeakKEK && k.purpose == ics.PurposeKEK:
			k.typ = aes128
		case fault == FaultPublicKey && k.purpose == ics.PurposeIMKSMI:
			k.private = false
		}
	}
	return keys
}

// generate generates the key in the token and returns its KCV (the token's
// CKA_CHECK_VALUE), upper-case hex.
func (k refKey) generate(p *ck.Ctx, s ck.SessionHandle) (string, error) {
	tmpl := []*ck.Attribute{
		ck.NewAttribute(ck.CKA_CLASS, ck.CKO_SECRET_KEY),
		ck.NewAttribute(ck.CKA_KEY_TYPE, k.typ.kt),
		ck.NewAttribute(ck.CKA_TOKEN, true),
		ck.NewAttribute(ck.CKA_LABEL, k.label),
		ck.NewAttribute(ck.CKA_ID, []byte(k.label)),
		ck.NewAttribute(ck.CKA_PRIVATE, k.private),
		ck.NewAttribute(ck.CKA_SENSITIVE, k.sensitive),
		ck.NewAttribute(ck.CKA_EXTRACTABLE, k.extractable),
		ck.NewAttribute(ck.CKA_MODIFIABLE, false),
		ck.NewAttribute(ck.CKA_ALLOWED_MECHANISMS, ulongs(k.mechs...)),
	}
	if k.typ.size > 0 {
		tmpl = append(tmpl, ck.NewAttribute(ck.CKA_VALUE_LEN, k.typ.size))
	}
	for _, f := range allFunctions {
		on := false
		for _, g := range k.functions {
			on = on || g == f
		}
		tmpl = append(tmpl, ck.NewAttribute(f, on))
	}
	var o ck.ObjectHandle
	var err error
	if k.typ.kt == ck.CKK_DES {
		o, err = k.generateDES(p, s, tmpl)
	} else {
		o, err = p.GenerateKey(s, []*ck.Mechanism{ck.NewMechanism(k.typ.gen, nil)}, tmpl)
	}
	if err != nil {
		return "", fmt.Errorf("C_GenerateKey (%s): %w", k.typ.name, err)
	}
	a, err := p.GetAttributeValue(s, o, []*ck.Attribute{ck.NewAttribute(ck.CKA_CHECK_VALUE, nil)})
	if err == nil && len(a) == 1 && len(a[0].Value) >= ics.KCVSize {
		return strings.ToUpper(hex.EncodeToString(a[0].Value[:ics.KCVSize])), nil
	}
	return "", fmt.Errorf("CKA_CHECK_VALUE: %v", err)
}

// generateDES makes the single-DES key of FaultSingleDES. SoftHSM2 2.6
// built with OpenSSL 3 has no single DES (it is in OpenSSL's legacy
// provider): it cannot generate a DES key with a check value, and no DES
// mechanism works. So the key is derived inside the token from a fresh
// AES key (AES_ECB_ENCRYPT_DATA), which keeps it always sensitive and never
// extractable, and the base is destroyed. SoftHSM2 then gives it a
// CKA_CHECK_VALUE, but not the DES encryption of a zero block: the first
// bytes of the SHA-1 of the key, its fallback when it cannot encrypt. The
// set-up records what the token reports, as a ceremony would.
func (k refKey) generateDES(p *ck.Ctx, s ck.SessionHandle, tmpl []*ck.Attribute) (ck.ObjectHandle, error) {
	base, err := p.GenerateKey(s, []*ck.Mechanism{ck.NewMechanism(ck.CKM_AES_KEY_GEN, nil)}, []*ck.Attribute{
		ck.NewAttribute(ck.CKA_CLASS, ck.CKO_SECRET_KEY), ck.NewAttribute(ck.CKA_KEY_TYPE, ck.CKK_AES),
		ck.NewAttribute(ck.CKA_TOKEN, false), ck.NewAttribute(ck.CKA_VALUE_LEN, 32),
		ck.NewAttribute(ck.CKA_SENSITIVE, true), ck.NewAttribute(ck.CKA_EXTRACTABLE, false), ck.NewAttribute(ck.CKA_DERIVE, true),
	})
	if err != nil {
		return 0, fmt.Errorf("C_GenerateKey (AES base): %w", err)
	}
	defer p.DestroyObject(s, base)
	data := make([]byte, 16)
	_, _ = rand.Read(data)
	param, free := p11param.StringData(data)
	defer free()
	var dt []*ck.Attribute
	for _, a := range tmpl {
		if a.Type != ck.CKA_MODIFIABLE { // read-only in SoftHSM2's C_DeriveKey
			dt = append(dt, a)
		}
	}
	o, err := p.DeriveKey(s, []*ck.Mechanism{ck.NewMechanism(ck.CKM_AES_ECB_ENCRYPT_DATA, param)}, base, dt)
	if err != nil {
		return 0, fmt.Errorf("C_DeriveKey (single DES): %w", err)
	}
	return o, nil
}

// ulongs encodes CK_ULONG values (unsigned long: the size of uint on the
// LP64 and ILP32 platforms paycert builds for).
func ulongs(v ...uint) []byte {
	const size = strconv.IntSize / 8
	b := make([]byte, size*len(v))
	for i, x := range v {
		if size == 8 {
			binary.NativeEndian.PutUint64(b[8*i:], uint64(x))
		} else {
			binary.NativeEndian.PutUint32(b[4*i:], uint32(x))
		}
	}
	return b
}
