package pkcs11

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	ck "github.com/miekg/pkcs11"

	"github.com/paycert/paycert/internal/p11param"
	"github.com/paycert/paycert/probes"
)

// HSM is an open session on one PKCS#11 token. Its methods are what the
// hsm suite needs to examine key objects; Ctx and Session give the raw
// module for anything else. PKCS#11 calls are synchronous and cannot be
// cancelled: the suites run one test case at a time, and a module that
// hangs hangs the test case until its spec timeout.
type HSM struct {
	mu        sync.Mutex
	uri       *URI
	ctx       *ck.Ctx
	slot      uint
	sess      ck.SessionHandle
	pin       string // the user PIN once known; never printed
	loggedIn  bool
	finalize  bool // this HSM initialised the module and finalises it
	tokenInfo ck.TokenInfo
}

// Open loads the module a PKCS#11 URI names, finds its token, opens a
// read-write session and, when the URI has a pin-source, logs in as the
// user. Errors in the URI or the PIN file wrap probes.ErrUsage; a module
// that cannot be loaded or a token that is not there wraps
// probes.ErrTransport. No error repeats the PIN.
func Open(_ context.Context, raw string) (*HSM, error) {
	u, err := ParseURI(raw)
	if err != nil {
		return nil, err
	}
	var pin string
	if u.PINSource != "" {
		if pin, err = readPIN(u.PINSource); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(u.ModulePath); err != nil {
		return nil, fmt.Errorf("%w: pkcs11: module %s: %v", probes.ErrTransport, u.ModulePath, errors.Unwrap(err))
	}
	c := ck.New(u.ModulePath)
	if c == nil {
		return nil, fmt.Errorf("%w: pkcs11: cannot load the module %s (not a PKCS#11 library?)", probes.ErrTransport, u.ModulePath)
	}
	h := &HSM{uri: u, ctx: c, finalize: true}
	if err := c.Initialize(); err != nil {
		if code(err) != ck.CKR_CRYPTOKI_ALREADY_INITIALIZED {
			c.Destroy()
			return nil, fmt.Errorf("%w: pkcs11: C_Initialize: %v", probes.ErrTransport, err)
		}
		h.finalize = false
	}
	if err := h.findToken(); err != nil {
		h.Close()
		return nil, err
	}
	if h.sess, err = c.OpenSession(h.slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION); err != nil {
		h.Close()
		return nil, fmt.Errorf("%w: pkcs11: C_OpenSession: %v", probes.ErrTransport, err)
	}
	if pin != "" {
		if err := h.Login(pin); err != nil {
			h.Close()
			return nil, err
		}
	}
	return h, nil
}

// readPIN reads the first line of the PIN file.
func readPIN(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%w: pkcs11: pin-source: %v", probes.ErrUsage, err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("%w: pkcs11: pin-source %s is empty", probes.ErrUsage, path)
	}
	pin := strings.TrimRight(line, "\r\n")
	if pin == "" {
		return "", fmt.Errorf("%w: pkcs11: pin-source %s: the first line is empty", probes.ErrUsage, path)
	}
	return pin, nil
}

func (h *HSM) findToken() error {
	u := h.uri
	slots, err := h.ctx.GetSlotList(true)
	if err != nil {
		return fmt.Errorf("%w: pkcs11: C_GetSlotList: %v", probes.ErrTransport, err)
	}
	var found []uint
	for _, s := range slots {
		if u.HasSlotID && s != u.SlotID {
			continue
		}
		ti, err := h.ctx.GetTokenInfo(s)
		if err != nil {
			continue
		}
		if (u.Token == "" || strings.TrimRight(ti.Label, " ") == u.Token) &&
			(u.Serial == "" || strings.TrimRight(ti.SerialNumber, " ") == u.Serial) &&
			(u.Manufacturer == "" || strings.TrimRight(ti.ManufacturerID, " ") == u.Manufacturer) &&
			(u.Model == "" || strings.TrimRight(ti.Model, " ") == u.Model) {
			found = append(found, s)
			h.tokenInfo = ti
		}
	}
	switch len(found) {
	case 0:
		return fmt.Errorf("%w: pkcs11: no token matches %s", probes.ErrTransport, u)
	case 1:
		h.slot = found[0]
		return nil
	}
	return fmt.Errorf("%w: pkcs11: %d tokens match %s; add serial= or slot-id=", probes.ErrUsage, len(found), u)
}

// URI names the module and the token, without the PIN source.
func (h *HSM) URI() string { return h.uri.String() }

// Token describes the token: label, manufacturer, model, serial number.
func (h *HSM) Token() string {
	ti := h.tokenInfo
	return fmt.Sprintf("%s (%s %s, serial %s, firmware %d.%d)", strings.TrimRight(ti.Label, " "),
		strings.TrimRight(ti.ManufacturerID, " "), strings.TrimRight(ti.Model, " "),
		strings.TrimRight(ti.SerialNumber, " "), ti.FirmwareVersion.Major, ti.FirmwareVersion.Minor)
}

// Close closes the session and, if this HSM initialised the module,
// finalises it.
func (h *HSM) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ctx == nil {
		return nil
	}
	if h.sess != 0 {
		_ = h.ctx.CloseSession(h.sess)
	}
	var err error
	if h.finalize {
		err = h.ctx.Finalize()
	}
	h.ctx.Destroy()
	h.ctx = nil
	h.pin = ""
	return err
}

// Ctx and Session expose the raw module and session.
func (h *HSM) Ctx() *ck.Ctx              { return h.ctx }
func (h *HSM) Session() ck.SessionHandle { return h.sess }

// LoggedIn reports whether the session is logged in as the user.
func (h *HSM) LoggedIn() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.loggedIn
}

// Login logs in as the user with pin (from the ICS's hsm.pin-env when the
// URI has no pin-source). The error never contains the PIN.
func (h *HSM) Login(pin string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.login(pin)
}

func (h *HSM) login(pin string) error {
	err := h.ctx.Login(h.sess, ck.CKU_USER, pin)
	if err != nil && code(err) != ck.CKR_USER_ALREADY_LOGGED_IN {
		switch code(err) {
		case ck.CKR_PIN_INCORRECT, ck.CKR_PIN_INVALID, ck.CKR_PIN_LEN_RANGE, ck.CKR_PIN_LOCKED, ck.CKR_USER_PIN_NOT_INITIALIZED:
			return fmt.Errorf("%w: pkcs11: the token refuses the user PIN: %v", probes.ErrUsage, err)
		}
		return fmt.Errorf("%w: pkcs11: C_Login: %v", probes.ErrTransport, err)
	}
	h.pin, h.loggedIn = pin, true
	return nil
}

// Code returns the PKCS#11 return value of err (CKR_*) and true, or false
// when err is not a PKCS#11 error.
func Code(err error) (uint, bool) {
	var e ck.Error
	if errors.As(err, &e) {
		return uint(e), true
	}
	return 0, false
}

func code(err error) uint {
	c, _ := Code(err)
	return c
}

// Broken reports whether err means the token could not be exercised (it
// is gone, the session is gone, the module failed) rather than that it
// refused the request.
func Broken(err error) bool {
	c, ok := Code(err)
	if !ok {
		return err != nil
	}
	switch c {
	case ck.CKR_DEVICE_ERROR, ck.CKR_DEVICE_MEMORY, ck.CKR_DEVICE_REMOVED, ck.CKR_TOKEN_NOT_PRESENT,
		ck.CKR_SESSION_CLOSED, ck.CKR_SESSION_HANDLE_INVALID, ck.CKR_GENERAL_ERROR, ck.CKR_HOST_MEMORY,
		ck.CKR_CRYPTOKI_NOT_INITIALIZED, ck.CKR_FUNCTION_FAILED, ck.CKR_USER_NOT_LOGGED_IN:
		return true
	}
	return false
}

// ErrName returns the CKR_ name of a PKCS#11 error, or the error text.
func ErrName(err error) string {
	if err == nil {
		return "CKR_OK"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.HasPrefix(s[i+2:], "CKR_") {
		return s[i+2:]
	}
	return s
}

// FindSecretKeys returns the secret-key objects labelled label, and the
// number of objects of any class with that label.
func (h *HSM) FindSecretKeys(label string) (keys []ck.ObjectHandle, all int, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	objs, err := h.find(h.sess, []*ck.Attribute{ck.NewAttribute(ck.CKA_LABEL, label)})
	if err != nil {
		return nil, 0, err
	}
	for _, o := range objs {
		a, err := h.ctx.GetAttributeValue(h.sess, o, []*ck.Attribute{ck.NewAttribute(ck.CKA_CLASS, nil)})
		if err == nil && len(a) == 1 && decodeULong(a[0].Value) == ck.CKO_SECRET_KEY {
			keys = append(keys, o)
		}
	}
	return keys, len(objs), nil
}

func (h *HSM) find(sess ck.SessionHandle, tmpl []*ck.Attribute) ([]ck.ObjectHandle, error) {
	if err := h.ctx.FindObjectsInit(sess, tmpl); err != nil {
		return nil, err
	}
	defer h.ctx.FindObjectsFinal(sess)
	var out []ck.ObjectHandle
	for len(out) < 10000 {
		objs, _, err := h.ctx.FindObjects(sess, 100)
		if err != nil {
			return nil, err
		}
		if len(objs) == 0 {
			break
		}
		out = append(out, objs...)
	}
	return out, nil
}

// Attribute reads one attribute of an object. A sensitive attribute comes
// back as an error (CKR_ATTRIBUTE_SENSITIVE); the caller must never record
// the value of CKA_VALUE.
func (h *HSM) Attribute(o ck.ObjectHandle, typ uint) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, err := h.ctx.GetAttributeValue(h.sess, o, []*ck.Attribute{ck.NewAttribute(typ, nil)})
	if err != nil {
		return nil, err
	}
	if len(a) != 1 {
		return nil, fmt.Errorf("pkcs11: C_GetAttributeValue returned %d attributes for one", len(a))
	}
	return a[0].Value, nil
}

// Bool reads a boolean attribute.
func (h *HSM) Bool(o ck.ObjectHandle, typ uint) (bool, error) {
	v, err := h.Attribute(o, typ)
	if err != nil {
		return false, err
	}
	if len(v) != 1 {
		return false, fmt.Errorf("pkcs11: boolean attribute %#x of %d bytes", typ, len(v))
	}
	return v[0] != 0, nil
}

// ULong reads a CK_ULONG attribute.
func (h *HSM) ULong(o ck.ObjectHandle, typ uint) (uint, error) {
	v, err := h.Attribute(o, typ)
	if err != nil {
		return 0, err
	}
	if len(v) != ulongSize {
		return 0, fmt.Errorf("pkcs11: CK_ULONG attribute %#x of %d bytes", typ, len(v))
	}
	return decodeULong(v), nil
}

// Mechanisms reads CKA_ALLOWED_MECHANISMS.
func (h *HSM) Mechanisms(o ck.ObjectHandle) ([]uint, error) {
	v, err := h.Attribute(o, ck.CKA_ALLOWED_MECHANISMS)
	if err != nil {
		return nil, err
	}
	if len(v)%ulongSize != 0 {
		return nil, fmt.Errorf("pkcs11: CKA_ALLOWED_MECHANISMS of %d bytes", len(v))
	}
	out := make([]uint, 0, len(v)/ulongSize)
	for i := 0; i < len(v); i += ulongSize {
		out = append(out, decodeULong(v[i:i+ulongSize]))
	}
	return out, nil
}

// Op is a cryptographic function a key may be asked to perform.
type Op string

// The functions Try can attempt.
const (
	OpEncrypt Op = "encrypt"
	OpDecrypt Op = "decrypt"
	OpSign    Op = "sign"
	OpVerify  Op = "verify"
)

// Try starts op with mechanism mech and key and, if the token accepts,
// completes it on one zero block and discards the output. It returns the
// token's answer: nil when the key performed the function.
func (h *HSM) Try(op Op, mech uint, key ck.ObjectHandle, block int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := []*ck.Mechanism{ck.NewMechanism(mech, nil)}
	data := make([]byte, block)
	switch op {
	case OpEncrypt:
		if err := h.ctx.EncryptInit(h.sess, m, key); err != nil {
			return err
		}
		out, err := h.ctx.Encrypt(h.sess, data)
		clear(out)
		return err
	case OpDecrypt:
		if err := h.ctx.DecryptInit(h.sess, m, key); err != nil {
			return err
		}
		out, err := h.ctx.Decrypt(h.sess, data)
		clear(out)
		return err
	case OpSign:
		if err := h.ctx.SignInit(h.sess, m, key); err != nil {
			return err
		}
		out, err := h.ctx.Sign(h.sess, data)
		clear(out)
		return err
	case OpVerify:
		if err := h.ctx.VerifyInit(h.sess, m, key); err != nil {
			return err
		}
		// A zero signature does not verify; what matters is that the
		// operation started.
		_ = h.ctx.Verify(h.sess, data, make([]byte, 8))
		return nil
	}
	return fmt.Errorf("pkcs11: unknown operation %s", op)
}

// EncryptZeroBlock encrypts one zero block with key (mechanism mech, ECB)
// and returns the ciphertext: the basis of a key check value.
func (h *HSM) EncryptZeroBlock(mech uint, key ck.ObjectHandle, block int) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.ctx.EncryptInit(h.sess, []*ck.Mechanism{ck.NewMechanism(mech, nil)}, key); err != nil {
		return nil, err
	}
	return h.ctx.Encrypt(h.sess, make([]byte, block))
}

// Wrap asks the token to wrap key under wrapping with mech. It returns the
// length of the wrapped key when the token did it; the wrapped bytes are
// cleared and never returned.
func (h *HSM) Wrap(mech uint, wrapping, key ck.ObjectHandle) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out, err := h.ctx.WrapKey(h.sess, []*ck.Mechanism{ck.NewMechanism(mech, nil)}, wrapping, key)
	n := len(out)
	clear(out)
	return n, err
}

// Derive asks the token to derive a session AES-128 key from base with an
// *_ECB_ENCRYPT_DATA mechanism over data (a multiple of the block size),
// and destroys the derived key at once.
func (h *HSM) Derive(mech uint, base ck.ObjectHandle, data []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	param, free := p11param.StringData(data)
	defer free()
	o, err := h.ctx.DeriveKey(h.sess, []*ck.Mechanism{ck.NewMechanism(mech, param)}, base, []*ck.Attribute{
		ck.NewAttribute(ck.CKA_CLASS, ck.CKO_SECRET_KEY),
		ck.NewAttribute(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET),
		ck.NewAttribute(ck.CKA_TOKEN, false),
		ck.NewAttribute(ck.CKA_SENSITIVE, true),
		ck.NewAttribute(ck.CKA_EXTRACTABLE, false),
		ck.NewAttribute(ck.CKA_VALUE_LEN, len(data)),
	})
	if err == nil {
		_ = h.ctx.DestroyObject(h.sess, o)
	}
	return err
}

// GenerateSessionKey generates a session (CKA_TOKEN false) AES key of size
// bytes with the given extra attributes. Destroy it with Destroy.
func (h *HSM) GenerateSessionKey(size int, extra ...*ck.Attribute) (ck.ObjectHandle, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	tmpl := append([]*ck.Attribute{
		ck.NewAttribute(ck.CKA_CLASS, ck.CKO_SECRET_KEY),
		ck.NewAttribute(ck.CKA_KEY_TYPE, ck.CKK_AES),
		ck.NewAttribute(ck.CKA_TOKEN, false),
		ck.NewAttribute(ck.CKA_VALUE_LEN, size),
	}, extra...)
	return h.ctx.GenerateKey(h.sess, []*ck.Mechanism{ck.NewMechanism(ck.CKM_AES_KEY_GEN, nil)}, tmpl)
}

// Destroy destroys an object.
func (h *HSM) Destroy(o ck.ObjectHandle) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ctx.DestroyObject(h.sess, o)
}

// PublicObject is an object a session without login can see.
type PublicObject struct {
	Class   uint
	Label   string
	Private bool
}

// Unauthenticated logs the user out, opens a new read-only session that
// is not logged in and lists every object it can see, then closes that
// session and logs in again. state is the new session's CKS_ state, which
// must be CKS_RO_PUBLIC_SESSION for the list to mean anything.
func (h *HSM) Unauthenticated() (objs []PublicObject, state uint, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.loggedIn {
		if err := h.ctx.Logout(h.sess); err != nil && code(err) != ck.CKR_USER_NOT_LOGGED_IN {
			return nil, 0, err
		}
		h.loggedIn = false
		defer func() {
			if lerr := h.login(h.pin); lerr != nil && err == nil {
				err = lerr
			}
		}()
	}
	s, err := h.ctx.OpenSession(h.slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, 0, err
	}
	defer h.ctx.CloseSession(s)
	info, err := h.ctx.GetSessionInfo(s)
	if err != nil {
		return nil, 0, err
	}
	found, err := h.find(s, nil)
	if err != nil {
		return nil, info.State, err
	}
	for _, o := range found {
		po := PublicObject{Class: ^uint(0)}
		for _, typ := range []uint{ck.CKA_CLASS, ck.CKA_LABEL, ck.CKA_PRIVATE} {
			a, err := h.ctx.GetAttributeValue(s, o, []*ck.Attribute{ck.NewAttribute(typ, nil)})
			if err != nil || len(a) != 1 {
				continue
			}
			switch typ {
			case ck.CKA_CLASS:
				po.Class = decodeULong(a[0].Value)
			case ck.CKA_LABEL:
				po.Label = string(a[0].Value)
			case ck.CKA_PRIVATE:
				po.Private = len(a[0].Value) == 1 && a[0].Value[0] != 0
			}
		}
		objs = append(objs, po)
	}
	return objs, info.State, nil
}

// ulongSize is the size of CK_ULONG: unsigned long, the size of uint on
// the LP64 and ILP32 platforms paycert builds for.
const ulongSize = strconv.IntSize / 8

func decodeULong(b []byte) uint {
	switch len(b) {
	case 8:
		return uint(binary.NativeEndian.Uint64(b))
	case 4:
		return uint(binary.NativeEndian.Uint32(b))
	}
	return ^uint(0)
}

// ULongs encodes CK_ULONG values as an array attribute (e.g.
// CKA_ALLOWED_MECHANISMS).
func ULongs(v ...uint) []byte {
	b := make([]byte, ulongSize*len(v))
	for i, x := range v {
		if ulongSize == 8 {
			binary.NativeEndian.PutUint64(b[8*i:], uint64(x))
		} else {
			binary.NativeEndian.PutUint32(b[4*i:], uint32(x))
		}
	}
	return b
}
