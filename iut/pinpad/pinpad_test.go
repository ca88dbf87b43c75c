package pinpad

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/dukpt/mac"
	"github.com/paycert/paycert/dukpt/pinblock"
)

// The ANSI X9.24-1:2009 A.4 test key and the first published PIN blocks
// (PIN 1234, PAN 4012345678909, format 0), as in vectors/dukpt-tdes.json.
const (
	tdesBDK  = "0123456789ABCDEFFEDCBA9876543210"
	tdesIKSN = "FFFF9876543210E00000"
	tdesIPEK = "6AC292FAA1315B4D858AB3A3D7D5933A"
	aesIK    = "1273671EA26AC29AFA4D1084127652A1" // X9.24-3 supplement, AES-128
	aesKSN0  = "123456789012345600000000"
)

var tdesKAT = []struct{ ksn, block string }{
	{"FFFF9876543210E00001", "1B9C1845EB993A7A"},
	{"FFFF9876543210E00002", "10A01C8D02C69107"},
	{"FFFF9876543210E00003", "18DC07B94797B466"},
}

func open(t *testing.T, fault string, opts ...Option) *adapter.Client {
	t.Helper()
	srv, err := New(fault, opts...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := adapter.Pipe(context.Background(), srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func call(t *testing.T, c *adapter.Client, method string, params, result any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Call(ctx, method, params, result)
}

func load(t *testing.T, c *adapter.Client, scheme, key, ksn string) {
	t.Helper()
	if err := call(t, c, MethodLoadInitialKey, map[string]string{"scheme": scheme, "initial_key": key, "ksn": ksn}, nil); err != nil {
		t.Fatalf("load %s: %v", scheme, err)
	}
}

func pin(t *testing.T, c *adapter.Client, format string) (PINResult, error) {
	t.Helper()
	var r PINResult
	err := call(t, c, MethodEncryptPIN, map[string]string{"pin": "1234", "pan": "4012345678909", "format": format}, &r)
	return r, err
}

func code(err error) int {
	n, _ := adapter.ErrorCode(err)
	return n
}

func TestHello(t *testing.T) {
	h := open(t, "", WithTestSeek(false)).Hello()
	for _, c := range []string{CapTDES, CapAES128, CapAES192, CapAES256, CapISO0, CapISO3, CapISO4, CapLoadInitialKey, CapMAC, CapDataEncryption} {
		if !h.HasCapability(c) {
			t.Errorf("hello lacks capability %s", c)
		}
	}
	if h.HasCapability(CapTestSeek) || !h.HasRole(Role) {
		t.Errorf("hello: %+v", h)
	}
	if !open(t, "", WithTestSeek(true)).HasCapability(CapTestSeek) {
		t.Error("WithTestSeek(true) does not declare test-seek")
	}
	if _, err := New("nope"); err == nil || !strings.Contains(err.Error(), `unknown fault "nope"`) {
		t.Errorf("New(nope): %v", err)
	}
}

func TestKnownAnswersAndCounters(t *testing.T) {
	c := open(t, "")
	if _, err := pin(t, c, FormatISO0); code(err) != adapter.CodeNotFound {
		t.Errorf("encrypt_pin without a key: %v, want 1005", err)
	}
	load(t, c, SchemeTDES, tdesIPEK, tdesIKSN)
	for i, want := range tdesKAT {
		r, err := pin(t, c, FormatISO0)
		if err != nil {
			t.Fatal(err)
		}
		if r.KSN != want.ksn || r.PINBlock != want.block {
			t.Errorf("transaction %d: %+v, want %+v", i+1, r, want)
		}
		if i > 0 {
			continue
		}
		// Requests refused for bad parameters use no counter.
		for _, bad := range []map[string]any{
			{"pin": "12", "pan": "4012345678909", "format": "iso0"},
			{"pin": "1234", "pan": "4012345678909", "format": "iso4"},
			{"pin": "1234", "pan": "40123456789x9", "format": "iso0"},
			{"pin": "1234", "pan": "4012345678909"},
			{"pin": 1234, "pan": "4012345678909", "format": "iso0"},
		} {
			if err := call(t, c, MethodEncryptPIN, bad, nil); code(err) != adapter.CodeInvalidParams {
				t.Errorf("encrypt_pin %v: %v, want -32602", bad, err)
			}
		}
		for _, bad := range []map[string]any{{}, {"data": "XY"}, {"data": nil}} {
			if err := call(t, c, MethodMAC, bad, nil); code(err) != adapter.CodeInvalidParams {
				t.Errorf("mac %v: %v, want -32602", bad, err)
			}
		}
	}
	// MAC and data encryption: each one transaction, under its own key.
	ipek, _ := dukpt.ParseKey(dukpt.TDES2, tdesIPEK)
	data := []byte("4012345678909D987")
	var m MACResult
	if err := call(t, c, MethodMAC, map[string]string{"data": hex.EncodeToString(data)}, &m); err != nil {
		t.Fatal(err)
	}
	var d DataResult
	if err := call(t, c, MethodEncryptData, map[string]string{"data": ""}, &d); err != nil {
		t.Fatal(err)
	}
	if m.KSN != "FFFF9876543210E00004" || d.KSN != "FFFF9876543210E00005" {
		t.Fatalf("KSNs %s %s", m.KSN, d.KSN)
	}
	ksn, _ := dukpt.ParseTDESKSN(m.KSN)
	tk, _ := dukpt.DeriveTDESTransactionKey(ipek, ksn)
	mk, _ := tk.WorkingKey(dukpt.VariantMACRequest)
	want, _ := mac.RetailMAC(mk.Bytes(), data)
	if m.MAC != strings.ToUpper(hex.EncodeToString(want)) {
		t.Errorf("MAC %s, want %X", m.MAC, want)
	}
	ksn, _ = dukpt.ParseTDESKSN(d.KSN)
	tk, _ = dukpt.DeriveTDESTransactionKey(ipek, ksn)
	dk, _ := tk.WorkingKey(dukpt.VariantDataRequest)
	want, _ = dukpt.EncryptData(dk, nil)
	if d.Ciphertext != strings.ToUpper(hex.EncodeToString(want)) || len(want) != 8 {
		t.Errorf("ciphertext %s, want %X", d.Ciphertext, want)
	}

	// AES-128: format 4 under the PIN working key.
	load(t, c, SchemeAES128, aesIK, aesKSN0)
	if _, err := pin(t, c, FormatISO0); code(err) != adapter.CodeInvalidParams {
		t.Errorf("iso0 with an AES key: %v", err)
	}
	r, err := pin(t, c, FormatISO4)
	if err != nil || r.KSN != "123456789012345600000001" {
		t.Fatalf("AES encrypt_pin: %+v %v", r, err)
	}
	pk, _ := dukpt.ParseKey(dukpt.AES128, "AF8CB133A78F8DC2D1359F18527593FB") // published PIN key, counter 1
	ci, _ := pk.Cipher()
	blk, _ := hex.DecodeString(r.PINBlock)
	if got, err := pinblock.DecryptFormat4(ci, blk, "4012345678909"); err != nil || got != "1234" {
		t.Errorf("AES PIN block: %q %v", got, err)
	}
}

func TestLoadInitialKeyParams(t *testing.T) {
	c := open(t, "")
	for _, bad := range []map[string]string{
		{"scheme": "des", "initial_key": tdesIPEK, "ksn": tdesIKSN},
		{"scheme": "tdes", "initial_key": tdesIPEK[:30], "ksn": tdesIKSN},
		{"scheme": "tdes", "initial_key": tdesIPEK, "ksn": "FFFF9876543210E00001"},
		{"scheme": "tdes", "initial_key": tdesIPEK, "ksn": aesKSN0},
		{"scheme": "aes256", "initial_key": aesIK, "ksn": aesKSN0},
		{"scheme": "aes128", "initial_key": aesIK, "ksn": "123456789012345600000001"},
		{"scheme": "aes128", "initial_key": "zz", "ksn": aesKSN0},
		{"scheme": "tdes", "ksn": tdesIKSN},
	} {
		if err := call(t, c, MethodLoadInitialKey, bad, nil); code(err) != adapter.CodeInvalidParams {
			t.Errorf("load %v: %v, want -32602", bad, err)
		}
	}
	load(t, c, SchemeTDES, strings.ToLower(tdesIPEK), strings.ToLower(tdesIKSN))
	if r, err := pin(t, c, FormatISO3); err != nil || r.KSN != tdesKAT[0].ksn {
		t.Errorf("after a lower-case load: %+v %v", r, err)
	}
}

// walkToEnd seeks a TDES device near the end of its counter space and
// runs it to exhaustion, returning the counters seen and the first error
// after the last answer.
func walkToEnd(t *testing.T, c *adapter.Client, from uint32, extra int) ([]uint32, error) {
	t.Helper()
	load(t, c, SchemeTDES, tdesIPEK, tdesIKSN)
	if err := call(t, c, MethodTestSeek, map[string]uint32{"counter": from}, nil); err != nil {
		t.Fatal(err)
	}
	var out []uint32
	for {
		r, err := pin(t, c, FormatISO0)
		if err != nil {
			return out, err
		}
		ksn, err := dukpt.ParseTDESKSN(r.KSN)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ksn.Counter())
		if len(out) > extra+4096 {
			return out, nil
		}
	}
}

func TestTestSeekAndExhaustion(t *testing.T) {
	c := open(t, "", WithTestSeek(true))
	if err := call(t, c, MethodTestSeek, map[string]uint32{"counter": 0x7FF}, nil); code(err) != adapter.CodeInvalidParams {
		t.Errorf("seek to an invalid counter: %v", err)
	}
	counters, err := walkToEnd(t, c, 0x1FF000, 0)
	if code(err) != adapter.CodeExhausted {
		t.Fatalf("after %d transactions: %v, want 1003", len(counters), err)
	}
	var e *adapter.Error
	if errors.As(err, &e); e.Message != "exhausted" {
		t.Errorf("message %q", e.Message)
	}
	want := []uint32{}
	for c := uint32(0x1FF000); ; {
		want = append(want, c)
		n, err := dukpt.NextTDESCounter(c)
		if err != nil {
			break
		}
		c = n
	}
	if len(counters) != len(want) || counters[len(counters)-1] != dukpt.TDESLastCounter {
		t.Fatalf("counters %X, want %X", counters, want)
	}
	// Every further request is refused too, and a new key starts afresh.
	if _, err := pin(t, c, FormatISO0); code(err) != adapter.CodeExhausted {
		t.Errorf("second request after exhaustion: %v", err)
	}
	load(t, c, SchemeTDES, tdesIPEK, tdesIKSN)
	if r, err := pin(t, c, FormatISO0); err != nil || r.PINBlock != tdesKAT[0].block {
		t.Errorf("after reloading: %+v %v", r, err)
	}
	if err := call(t, open(t, "", WithTestSeek(false)), MethodTestSeek, map[string]uint32{"counter": 1}, nil); code(err) != adapter.CodeMethodNotFound {
		t.Errorf("test_seek without the capability: %v", err)
	}
}

// TestFaults checks that each fault shows the defect it names.
func TestFaults(t *testing.T) {
	run := func(t *testing.T, fault string, scheme string, n int) (ksns []string, blocks []string) {
		c := open(t, fault, WithTestSeek(true))
		if scheme == SchemeTDES {
			load(t, c, SchemeTDES, tdesIPEK, tdesIKSN)
		} else {
			load(t, c, SchemeAES128, aesIK, aesKSN0)
		}
		f := FormatISO0
		if scheme != SchemeTDES {
			f = FormatISO4
		}
		for range n {
			r, err := pin(t, c, f)
			if err != nil {
				t.Fatal(err)
			}
			ksns, blocks = append(ksns, r.KSN), append(blocks, r.PINBlock)
		}
		return ksns, blocks
	}
	t.Run(FaultFixedKey, func(t *testing.T) {
		ksns, blocks := run(t, FaultFixedKey, SchemeTDES, 3)
		if blocks[0] != blocks[2] || ksns[0] == ksns[2] {
			t.Errorf("%v %v", ksns, blocks)
		}
	})
	t.Run(FaultKeyReuse, func(t *testing.T) {
		ksns, blocks := run(t, FaultKeyReuse, SchemeTDES, keyReuseAt)
		if blocks[keyReuseAt-1] != blocks[keyReuseAt-2] || ksns[keyReuseAt-1] != "FFFF9876543210E00030" {
			t.Errorf("%v %v", ksns[keyReuseAt-2:], blocks[keyReuseAt-2:])
		}
	})
	t.Run(FaultKSNRepeat, func(t *testing.T) {
		ksns, _ := run(t, FaultKSNRepeat, SchemeAES128, ksnRepeatAt+2)
		if ksns[ksnRepeatAt] != ksns[ksnRepeatAt-1] || ksns[ksnRepeatAt+1] != "123456789012345600000029" {
			t.Errorf("%v", ksns[ksnRepeatAt-1:])
		}
	})
	t.Run(FaultCounterInvalid, func(t *testing.T) {
		ksns, _ := run(t, FaultCounterInvalid, SchemeTDES, 0x800)
		if ksns[0x7FE] != "FFFF9876543210E007FF" || ksns[0x7FF] != "FFFF9876543210E00800" {
			t.Errorf("%v", ksns[0x7FD:])
		}
	})
	t.Run(FaultCounterZero, func(t *testing.T) {
		ksns, blocks := run(t, FaultCounterZero, SchemeTDES, 2)
		if ksns[0] != tdesIKSN || blocks[0] != tdesKAT[0].block || ksns[1] != tdesKAT[1].ksn {
			t.Errorf("%v %v", ksns, blocks)
		}
	})
	t.Run(FaultWrongVariant, func(t *testing.T) {
		ksns, blocks := run(t, FaultWrongVariant, SchemeTDES, 1)
		ipek, _ := dukpt.ParseKey(dukpt.TDES2, tdesIPEK)
		ksn, _ := dukpt.ParseTDESKSN(ksns[0])
		tk, _ := dukpt.DeriveTDESTransactionKey(ipek, ksn)
		dk, _ := tk.WorkingKey(dukpt.VariantDataRequest)
		ci, _ := dk.Cipher()
		b, _ := hex.DecodeString(blocks[0])
		if p, _, err := pinblock.Decrypt(ci, b, "4012345678909"); err != nil || p != "1234" {
			t.Errorf("PIN block not under the data key: %v", err)
		}
	})
	t.Run(FaultNoExhaustion, func(t *testing.T) {
		c := open(t, FaultNoExhaustion, WithTestSeek(true))
		counters, err := walkToEnd(t, c, 0x1FF000, 2)
		if err != nil || counters[len(counters)-1] != dukpt.TDESLastCounter {
			t.Errorf("%v; last counters %X", err, counters[len(counters)-3:])
		}
	})
	t.Run(FaultAESStrongerKey, func(t *testing.T) {
		c := open(t, FaultAESStrongerKey)
		load(t, c, SchemeAES128, aesIK, aesKSN0)
		var m MACResult
		if err := call(t, c, MethodMAC, map[string]string{"data": "00"}, &m); err != nil {
			t.Fatal(err)
		}
		ik, _ := dukpt.ParseKey(dukpt.AES128, aesIK)
		ksn, _ := dukpt.ParseAESKSN(m.KSN)
		tk, _ := dukpt.DeriveAESTransactionKey(ik, ksn)
		if _, err := tk.WorkingKey(dukpt.KeyUsageMACGeneration, dukpt.AES256); !errors.Is(err, dukpt.ErrKeyTooStrong) {
			t.Fatalf("dukpt allows a stronger key: %v", err)
		}
		kb, err := StrongerWorkingKey(tk.Key().Bytes(), dukpt.KeyUsageMACGeneration, dukpt.AES256, ksn.InitialKeyID(), ksn.Counter())
		if err != nil {
			t.Fatal(err)
		}
		k256, _ := dukpt.NewKey(dukpt.AES256, kb)
		ci, _ := k256.Cipher()
		want, _ := mac.CMAC(ci, []byte{0})
		if m.MAC != strings.ToUpper(hex.EncodeToString(want)) {
			t.Errorf("MAC %s is not under the AES-256 key", m.MAC)
		}
	})
}

// TestStrongerWorkingKeyAgrees checks the unchecked derivation against
// dukpt for a type dukpt allows.
func TestStrongerWorkingKeyAgrees(t *testing.T) {
	ik, _ := dukpt.ParseKey(dukpt.AES256, strings.Repeat("5A", 32))
	id, _ := dukpt.ParseInitialKeyID("1234567890123456")
	tk, err := dukpt.DeriveAESTransactionKey(ik, dukpt.NewAESKSN(id, 7))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := tk.WorkingKey(dukpt.KeyUsageDataEncrypt, dukpt.AES256)
	got, err := StrongerWorkingKey(tk.Key().Bytes(), dukpt.KeyUsageDataEncrypt, dukpt.AES256, id, 7)
	if err != nil || !strings.EqualFold(hex.EncodeToString(got), hex.EncodeToString(want.Bytes())) {
		t.Errorf("StrongerWorkingKey disagrees with dukpt: %v", err)
	}
}
