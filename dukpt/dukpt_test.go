package dukpt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

const (
	testBDK  = "0123456789ABCDEFFEDCBA9876543210" // X9.24-1:2009 A.4 BDK
	testIKSN = "FFFF9876543210E00000"
	testIPEK = "6AC292FAA1315B4D858AB3A3D7D5933A"
	// X9.24-3:2017 supplement AES-128 BDK, initial key ID and initial key.
	testAESBDK = "FEDCBA9876543210F1F1F1F1F1F1F1F1"
	testIKID   = "1234567890123456"
	testAESIK  = "1273671EA26AC29AFA4D1084127652A1"
)

func TestKeyFormattingNeverLeaks(t *testing.T) {
	k := mustKey(t, TDES2, testBDK)
	ak := mustKey(t, AES128, testAESBDK)
	hk := mustKey(t, HMAC256, strings.Repeat("AB", 32))
	type holder struct {
		secret Key
		Public Key
		tx     TDESTransactionKey
		atx    AESTransactionKey
		dev    TDESDevice
		adev   *AESDevice
	}
	tk, err := DeriveTDESTransactionKeyFromBDK(k, mustTDESKSN(t, "FFFF9876543210E00001"))
	if err != nil {
		t.Fatal(err)
	}
	var dev TDESDevice
	if err := dev.LoadInitialKey(mustKey(t, TDES2, testIPEK), mustTDESKSN(t, testIKSN)); err != nil {
		t.Fatal(err)
	}
	var adev AESDevice
	if err := adev.LoadInitialKey(mustKey(t, AES128, testAESIK), mustIKID(t, testIKID)); err != nil {
		t.Fatal(err)
	}
	atk, err := DeriveAESTransactionKey(mustKey(t, AES128, testAESIK), NewAESKSN(mustIKID(t, testIKID), 1))
	if err != nil {
		t.Fatal(err)
	}
	h := holder{secret: k, Public: ak, tx: tk, atx: atk, dev: dev, adev: &adev}
	secrets := []string{testBDK, testAESBDK, testIPEK, testAESIK, strings.Repeat("AB", 32), keyHex(tk.Key()), keyHex(atk.Key())}
	values := []any{k, &k, ak, hk, h, &h, tk, &tk, dev, &dev, adev, &adev, []Key{k, ak}, map[string]Key{"k": k}}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d", "%T %v"}
	for _, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				for _, form := range []string{s, strings.ToLower(s), s[:12], strings.ToLower(s[:12])} {
					if strings.Contains(strings.ToUpper(out), strings.ToUpper(form)) {
						t.Fatalf("%s of %T leaks key material: %s", verb, v, out)
					}
				}
			}
			// Byte-slice style output ([106 194 ...]) must not appear either.
			if strings.Contains(out, fmt.Sprint(k.Bytes()[:4])[1:8]) {
				t.Fatalf("%s of %T leaks key bytes: %s", verb, v, out)
			}
		}
	}
	j, err := json.Marshal(h)
	if err != nil || bytes.Contains(bytes.ToUpper(j), []byte(testAESBDK)) {
		t.Fatalf("JSON leaks: %s %v", j, err)
	}
	if got := k.String(); got != "TDES2Key(KCV 08D7B4)" {
		t.Fatalf("String = %q", got)
	}
	if !strings.HasPrefix(ak.String(), "AES128Key(KCV ") || len(ak.String()) != len("AES128Key(KCV 0011223344)") {
		t.Fatalf("AES String = %q", ak.String())
	}
	if hk.String() != "HMAC256Key(no KCV)" || (Key{}).String() != "Key(zero)" {
		t.Fatalf("%q %q", hk.String(), Key{}.String())
	}
}

func TestKCV(t *testing.T) {
	k := mustKey(t, TDES2, testBDK)
	c, _ := k.Cipher()
	var z [8]byte
	c.Encrypt(z[:], z[:])
	if !bytes.Equal(k.KCV(), z[:3]) {
		t.Fatalf("TDES KCV %X", k.KCV())
	}
	// AES KCV: CMAC over 16 zero bytes, first 5 bytes. For an all-zero
	// message of one full block CMAC is E(K, K1) with K1 the first subkey.
	a := mustKey(t, AES256, strings.Repeat("01", 32))
	ac, _ := a.Cipher()
	var l, k1 [16]byte
	ac.Encrypt(l[:], l[:])
	for i := 0; i < 15; i++ {
		k1[i] = l[i]<<1 | l[i+1]>>7
	}
	k1[15] = l[15] << 1
	if l[0]&0x80 != 0 {
		k1[15] ^= 0x87
	}
	ac.Encrypt(k1[:], k1[:])
	if !bytes.Equal(a.KCV(), k1[:5]) {
		t.Fatalf("AES KCV %X want %X", a.KCV(), k1[:5])
	}
}

func TestNewKeyErrors(t *testing.T) {
	for _, c := range []struct {
		t KeyType
		n int
	}{{TDES2, 8}, {TDES3, 16}, {AES128, 15}, {AES256, 24}, {KeyType(99), 16}, {0, 0}} {
		if _, err := NewKey(c.t, make([]byte, c.n)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("NewKey(%v, %d bytes): %v", c.t, c.n, err)
		}
	}
	if _, err := ParseKey(AES128, "zz"); !errors.Is(err, ErrInvalidKey) {
		t.Error("bad hex accepted")
	}
	var zero Key
	if zero.Bytes() != nil || zero.KCV() != nil || !zero.IsZero() || zero.Type() != 0 {
		t.Error("zero key")
	}
	if _, err := zero.Cipher(); !errors.Is(err, ErrInvalidKey) {
		t.Error("zero key cipher")
	}
	if _, err := DeriveTDESIPEK(mustKey(t, AES128, testAESBDK), mustTDESKSN(t, testIKSN)); !errors.Is(err, ErrInvalidKey) {
		t.Error("AES BDK accepted for TDES")
	}
	if _, err := DeriveAESInitialKey(mustKey(t, TDES2, testBDK), InitialKeyID{}); !errors.Is(err, ErrInvalidKey) {
		t.Error("TDES BDK accepted for AES")
	}
	if _, err := DeriveTDESTransactionKey(mustKey(t, TDES2, testIPEK), mustTDESKSN(t, testIKSN)); !errors.Is(err, ErrInvalidCounter) {
		t.Error("counter 0 accepted")
	}
	if _, err := (TDESTransactionKey{}).WorkingKey(VariantPIN); !errors.Is(err, ErrInvalidKey) {
		t.Error("zero transaction key")
	}
	tk, _ := DeriveTDESTransactionKeyFromBDK(mustKey(t, TDES2, testBDK), mustTDESKSN(t, "FFFF9876543210E00001"))
	if _, err := tk.VariantKey(Variant(42)); !errors.Is(err, ErrInvalidKey) {
		t.Error("unknown variant")
	}
	k := mustKey(t, AES128, testAESBDK)
	if !k.Equal(mustKey(t, AES128, testAESBDK)) || k.Equal(mustKey(t, HMAC128, testAESBDK)) || k.Equal(Key{}) || !(Key{}).Equal(Key{}) {
		t.Error("Equal")
	}
	b := k.Bytes()
	b[0] ^= 1
	if !k.Equal(mustKey(t, AES128, testAESBDK)) {
		t.Error("Bytes is not a copy")
	}
}

func TestKSN(t *testing.T) {
	k, err := ParseTDESKSN("ffff9876543210e00015")
	if err != nil || k.String() != "FFFF9876543210E00015" || k.Counter() != 0x15 {
		t.Fatalf("%v %v", k, err)
	}
	if k.InitialKSN().String() != testIKSN {
		t.Fatal(k.InitialKSN())
	}
	k2, err := k.WithCounter(0x1FF800)
	if err != nil || k2.String() != "FFFF9876543210FFF800" || k2.Counter() != 0x1FF800 {
		t.Fatalf("%v %v", k2, err)
	}
	if _, err := k.WithCounter(0x200000); !errors.Is(err, ErrInvalidCounter) {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "FFFF9876543210E0000", "FFFF9876543210E000000", "GFFF9876543210E00000"} {
		if _, err := ParseTDESKSN(bad); !errors.Is(err, ErrInvalidKSN) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := TDESKSNFromBytes(make([]byte, 8)); !errors.Is(err, ErrInvalidKSN) {
		t.Error("8-byte KSN accepted")
	}
	a, err := ParseAESKSN("123456789012345600000001")
	if err != nil || a.Counter() != 1 || a.InitialKeyID().String() != testIKID || a.String() != "123456789012345600000001" {
		t.Fatalf("%v %v", a, err)
	}
	if NewAESKSN(a.InitialKeyID(), 1) != a {
		t.Fatal("NewAESKSN")
	}
	for _, bad := range []string{"", "12345678901234560000000", "12345678901234560000000X"} {
		if _, err := ParseAESKSN(bad); !errors.Is(err, ErrInvalidKSN) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := ParseInitialKeyID("12"); !errors.Is(err, ErrInvalidKSN) {
		t.Error("short IKID")
	}
}

func TestCounterErrors(t *testing.T) {
	for c, want := range map[uint32]string{0: "zero", 0x200000: "exceeds 21 bits", 0x7FF: "11 one bits"} {
		err := ValidTDESCounter(c)
		if !errors.Is(err, ErrInvalidCounter) || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidTDESCounter(%#x) = %v", c, err)
		}
	}
	if err := ValidAESCounter(0x1FFFF); !errors.Is(err, ErrInvalidCounter) || !strings.Contains(err.Error(), "17 one bits") {
		t.Errorf("ValidAESCounter: %v", err)
	}
	if _, err := NextAESCounter(0); !errors.Is(err, ErrInvalidCounter) {
		t.Error(err)
	}
}

// TestTDESDeviceMatchesHost runs a device from its IPEK and checks the
// first 5000 keys against host-side derivation, and the counter order
// against NextTDESCounter.
func TestTDESDeviceMatchesHost(t *testing.T) {
	ipek := mustKey(t, TDES2, testIPEK)
	iksn := mustTDESKSN(t, testIKSN)
	var d TDESDevice
	if _, _, err := d.Next(); !errors.Is(err, ErrNoInitialKey) {
		t.Fatalf("Next before load: %v", err)
	}
	if err := d.LoadInitialKey(mustKey(t, AES128, testAESBDK), iksn); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("AES key loaded: %v", err)
	}
	// The counter bits of the KSN given to LoadInitialKey are ignored.
	k5, _ := iksn.WithCounter(5)
	if err := d.LoadInitialKey(ipek, k5); err != nil {
		t.Fatal(err)
	}
	want := uint32(1)
	for i := 0; i < 5000; i++ {
		ksn, tk, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ksn.Counter() != want || tk.KSN() != ksn || ksn.InitialKSN() != iksn {
			t.Fatalf("step %d: KSN %v, want counter %X", i, ksn, want)
		}
		host, err := DeriveTDESTransactionKey(ipek, ksn)
		if err != nil {
			t.Fatal(err)
		}
		if !host.Key().Equal(tk.Key()) {
			t.Fatalf("KSN %v: device %v host %v", ksn, tk, host)
		}
		want, _ = NextTDESCounter(want)
	}
	if d.Exhausted() {
		t.Fatal("exhausted early")
	}
	if !strings.Contains(d.String(), "next KSN") {
		t.Fatal(d.String())
	}
}

// TestTDESDeviceRolloverAndExhaustion starts devices near the top of the
// counter space: the A.4.3 rollover region and the last counters before
// exhaustion.
func TestTDESDeviceRolloverAndExhaustion(t *testing.T) {
	ipek := mustKey(t, TDES2, testIPEK)
	iksn := mustTDESKSN(t, testIKSN)
	// X9.24-1:2009 A.4.3 device order from 0x0FF800.
	wantOrder := []uint32{0x0FF800, 0x0FF801, 0x0FF802, 0x0FF804, 0x0FF808, 0x0FF810, 0x0FF820,
		0x0FF840, 0x0FF880, 0x0FF900, 0x0FFA00, 0x0FFC00, 0x100000}
	d, err := newTDESDeviceAt(ipek, iksn, 0x0FF800)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range wantOrder {
		ksn, tk, err := d.Next()
		if err != nil || ksn.Counter() != c {
			t.Fatalf("got %v %v, want counter %X", ksn, err, c)
		}
		host, _ := DeriveTDESTransactionKey(ipek, ksn)
		if !host.Key().Equal(tk.Key()) {
			t.Fatalf("counter %X: device and host disagree", c)
		}
	}
	// From 0x1FF000 to exhaustion.
	d, err = newTDESDeviceAt(ipek, iksn, 0x1FF000)
	if err != nil {
		t.Fatal(err)
	}
	var wantCounters []uint32
	for c := uint32(0x1FF000); c <= TDESCounterMask; c++ {
		if tdesCounterOK(c) {
			wantCounters = append(wantCounters, c)
		}
	}
	var got []uint32
	for {
		ksn, tk, err := d.Next()
		if errors.Is(err, ErrExhausted) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		host, _ := DeriveTDESTransactionKey(ipek, ksn)
		if !host.Key().Equal(tk.Key()) {
			t.Fatalf("counter %X: device and host disagree", ksn.Counter())
		}
		got = append(got, ksn.Counter())
	}
	if !slices.Equal(got, wantCounters) || got[len(got)-1] != TDESLastCounter {
		t.Fatalf("counters %X, want %X", got, wantCounters)
	}
	if !d.Exhausted() || d.String() != "TDESDevice(exhausted)" {
		t.Fatal("not exhausted")
	}
	if _, _, err := d.Next(); !errors.Is(err, ErrExhausted) {
		t.Fatalf("Next after exhaustion: %v", err)
	}
	if _, err := newTDESDeviceAt(ipek, iksn, 0x7FF); err == nil {
		t.Fatal("invalid start counter accepted")
	}
}

func TestAESDeviceMatchesHost(t *testing.T) {
	id := mustIKID(t, testIKID)
	for _, c := range []struct {
		kt KeyType
		ik string
		n  int
	}{
		{AES128, testAESIK, 2000},
		{AES192, strings.Repeat("5A", 24), 300},
		{AES256, strings.Repeat("A5", 32), 300},
	} {
		ik := mustKey(t, c.kt, c.ik)
		var d AESDevice
		if _, _, err := d.Next(); !errors.Is(err, ErrNoInitialKey) {
			t.Fatal(err)
		}
		if err := d.LoadInitialKey(mustKey(t, TDES2, testBDK), id); !errors.Is(err, ErrInvalidKey) {
			t.Fatal(err)
		}
		if err := d.LoadInitialKey(ik, id); err != nil {
			t.Fatal(err)
		}
		want := uint32(1)
		for i := 0; i < c.n; i++ {
			ksn, tk, err := d.Next()
			if err != nil || ksn.Counter() != want || ksn.InitialKeyID() != id {
				t.Fatalf("%v step %d: %v %v want %X", c.kt, i, ksn, err, want)
			}
			host, err := DeriveAESTransactionKey(ik, ksn)
			if err != nil || !host.Key().Equal(tk.Key()) || tk.Key().Type() != c.kt {
				t.Fatalf("%v KSN %v: device and host disagree (%v)", c.kt, ksn, err)
			}
			want, _ = NextAESCounter(want)
		}
	}
}

func TestAESDeviceExhaustion(t *testing.T) {
	id := mustIKID(t, testIKID)
	ik := mustKey(t, AES128, testAESIK)
	d, err := newAESDeviceAt(ik, id, 0xFFFE0000)
	if err != nil {
		t.Fatal(err)
	}
	var got []uint32
	for {
		ksn, tk, err := d.Next()
		if errors.Is(err, ErrExhausted) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		host, _ := DeriveAESTransactionKey(ik, ksn)
		if !host.Key().Equal(tk.Key()) {
			t.Fatalf("counter %X: device and host disagree", ksn.Counter())
		}
		got = append(got, ksn.Counter())
	}
	var want []uint32
	for c := uint64(0xFFFE0000); c <= 0xFFFFFFFF; c++ {
		if ValidAESCounter(uint32(c)) == nil {
			want = append(want, uint32(c))
		}
	}
	if !slices.Equal(got, want) || got[len(got)-1] != AESLastCounter {
		t.Fatalf("counters %X, want %X", got, want)
	}
	if !d.Exhausted() || d.String() != "AESDevice(exhausted)" {
		t.Fatal("not exhausted")
	}
}

func TestAESWorkingKeyStrength(t *testing.T) {
	id := mustIKID(t, testIKID)
	usages := []KeyUsage{KeyUsageKeyEncryption, KeyUsagePINEncryption, KeyUsageMACGeneration, KeyUsageMACVerification,
		KeyUsageMACBoth, KeyUsageDataEncrypt, KeyUsageDataDecrypt, KeyUsageDataBoth, KeyUsageKeyDerivation}
	types := []KeyType{TDES2, TDES3, AES128, AES192, AES256, HMAC128, HMAC192, HMAC256}
	for _, bt := range []KeyType{AES128, AES192, AES256} {
		bdk := mustKey(t, bt, strings.Repeat("3C", bt.Size()))
		tk, err := DeriveAESTransactionKeyFromBDK(bdk, NewAESKSN(id, 0x1234))
		if err != nil {
			t.Fatal(err)
		}
		if tk.Key().Type() != bt {
			t.Fatalf("intermediate key type %v", tk.Key().Type())
		}
		seen := map[string]bool{}
		for _, u := range usages {
			for _, wt := range types {
				k, err := tk.WorkingKey(u, wt)
				if wt.strength() > bt.strength() {
					if !errors.Is(err, ErrKeyTooStrong) {
						t.Fatalf("%v from %v: %v", wt, bt, err)
					}
					continue
				}
				if err != nil || k.Type() != wt || len(k.Bytes()) != wt.Size() {
					t.Fatalf("%v/%v from %v: %v %v", u, wt, bt, k, err)
				}
				if seen[keyHex(k)] {
					t.Fatalf("working key repeated for %v/%v", u, wt)
				}
				seen[keyHex(k)] = true
			}
		}
		if _, err := tk.WorkingKey(KeyUsageKeyDerivationInitial, AES128); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("usage 8001 as working key: %v", err)
		}
		if _, err := tk.WorkingKey(KeyUsage(0x4242), AES128); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("unknown usage: %v", err)
		}
	}
}

func TestDataHelpers(t *testing.T) {
	tk := mustKey(t, TDES2, testIPEK)
	ak := mustKey(t, AES256, strings.Repeat("11", 32))
	for _, c := range []struct {
		k    Key
		n    int
		want int
	}{{tk, 0, 8}, {tk, 8, 8}, {tk, 9, 16}, {ak, 0, 16}, {ak, 17, 32}, {ak, 32, 32}} {
		data := bytes.Repeat([]byte{7}, c.n)
		ct, err := EncryptData(c.k, data)
		if err != nil || len(ct) != c.want {
			t.Fatalf("%v %d: %d %v", c.k, c.n, len(ct), err)
		}
		pt, err := DecryptData(c.k, ct)
		if err != nil || !bytes.Equal(pt[:c.n], data) || !bytes.Equal(pt[c.n:], make([]byte, c.want-c.n)) {
			t.Fatalf("round trip %v %d", c.k, c.n)
		}
	}
	if _, err := DecryptData(tk, make([]byte, 7)); err == nil {
		t.Fatal("7-byte ciphertext accepted")
	}
	if _, err := DecryptData(tk, nil); err == nil {
		t.Fatal("empty ciphertext accepted")
	}
	if _, err := EncryptData(mustKey(t, HMAC128, testAESBDK), nil); !errors.Is(err, ErrInvalidKey) {
		t.Fatal("HMAC key encrypted data")
	}
}

// TestTDESKeyTree checks the depth-first walk: on a subtree (always) every
// key equals the host-side derivation; on the whole tree (not under the race
// detector, not in -short mode) the counters are exactly the valid ones and
// ProveTDESKeysDistinct succeeds.
func TestTDESKeyTree(t *testing.T) {
	ipek := mustKey(t, TDES2, testIPEK)
	iksn := mustTDESKSN(t, testIKSN)
	kl := binary.BigEndian.Uint64(ipek.b()[:8])
	kr := binary.BigEndian.Uint64(ipek.b()[8:])
	base := iksn.right64Base()

	// Subtree under counter 1<<12 (counters 0x1000..0x1FFF with at most
	// 10 one bits: 4017 keys).
	const sub = 1 << 12
	l, r := nrkgp(kl, kr, base|sub)
	size := tdesSubtreeSize(12, 1)
	w := tdesWalker{base: base, out: make([]key128, size), ctr: make([]uint32, size)}
	w.walk(l, r, sub, 12, 1)
	wantSize := 0
	for c := uint32(sub); c < 2*sub; c++ {
		if tdesCounterOK(c) {
			wantSize++
		}
	}
	if w.i != size || size != wantSize {
		t.Fatalf("walked %d keys, subtree size %d", w.i, size)
	}
	for i, c := range w.ctr {
		ksn, _ := iksn.WithCounter(c)
		host, err := DeriveTDESTransactionKey(ipek, ksn)
		if err != nil {
			t.Fatal(err)
		}
		hb := host.Key().Bytes()
		if binary.BigEndian.Uint64(hb[:8]) != w.out[i].hi || binary.BigEndian.Uint64(hb[8:]) != w.out[i].lo {
			t.Fatalf("counter %X: walk and host disagree", c)
		}
	}
	if _, _, dup := firstDuplicate(w.out, 2); dup {
		t.Fatal("duplicate in subtree")
	}
	// A key equal to another up to parity bits is detected.
	withDup := append(slices.Clone(w.out), key128{w.out[77].hi ^ 0x0100000000000001, w.out[77].lo ^ 1})
	if a, b, dup := firstDuplicate(withDup, 3); !dup || a != 77 || b != len(withDup)-1 {
		t.Fatalf("injected duplicate not found: %d %d %v", a, b, dup)
	}

	if raceEnabled || testing.Short() {
		t.Skip("whole-tree walk skipped under -race / -short (see BenchmarkAllTDESKeys)")
	}
	keys, ctr := allTDESKeys(kl, kr, base, 2, true)
	sorted := slices.Clone(ctr)
	slices.Sort(sorted)
	i := 0
	for c := uint32(0); c <= TDESCounterMask; c++ {
		if tdesCounterOK(c) {
			if sorted[i] != c {
				t.Fatalf("walk counters: position %d is %X, want %X", i, sorted[i], c)
			}
			i++
		}
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for n := 0; n < 2000; n++ {
		j := rng.IntN(len(keys))
		ksn, _ := iksn.WithCounter(ctr[j])
		host, _ := DeriveTDESTransactionKey(ipek, ksn)
		hb := host.Key().Bytes()
		if binary.BigEndian.Uint64(hb[:8]) != keys[j].hi || binary.BigEndian.Uint64(hb[8:]) != keys[j].lo {
			t.Fatalf("counter %X: walk and host disagree", ctr[j])
		}
	}
	count, err := ProveTDESKeysDistinct(mustKey(t, TDES2, testBDK), iksn)
	if err != nil || count != TDESKeysPerInitialKey {
		t.Fatalf("ProveTDESKeysDistinct = %d, %v", count, err)
	}

	// A device run from the IPEK to exhaustion yields exactly the keys of
	// the tree, in counter order, and then ErrExhausted.
	index := make([]int32, 1<<TDESCounterBits)
	for i, c := range ctr {
		index[c] = int32(i)
	}
	var d TDESDevice
	if err := d.LoadInitialKey(ipek, iksn); err != nil {
		t.Fatal(err)
	}
	n, prev := 0, uint32(0)
	for {
		ksn, tk, err := d.Next()
		if errors.Is(err, ErrExhausted) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c := ksn.Counter()
		if c <= prev {
			t.Fatalf("counter %X after %X", c, prev)
		}
		prev = c
		kb := tk.Key().b()
		k := keys[index[c]]
		if ctr[index[c]] != c || binary.BigEndian.Uint64(kb[:8]) != k.hi || binary.BigEndian.Uint64(kb[8:]) != k.lo {
			t.Fatalf("counter %X: device and tree disagree", c)
		}
		n++
	}
	if n != TDESKeysPerInitialKey || prev != TDESLastCounter {
		t.Fatalf("device gave %d keys, last counter %X", n, prev)
	}
}

func TestSubtreeSizes(t *testing.T) {
	if tdesSubtreeSize(TDESCounterBits, 0) != TDESKeysPerInitialKey+1 {
		t.Fatal("root subtree")
	}
	// Brute force for a few nodes.
	for _, c := range []uint32{1 << 20, 1<<20 | 1<<19, 0x0FF800, 0x000400} {
		p := bits.TrailingZeros32(c)
		n := 0
		for x := uint32(0); x < 1<<p; x++ {
			if tdesCounterOK(c | x) {
				n++
			}
		}
		if got := tdesSubtreeSize(p, bits.OnesCount32(c)); got != n {
			t.Fatalf("subtree of %X: %d want %d", c, got, n)
		}
	}
}

func FuzzParseTDESKSN(f *testing.F) {
	f.Add("FFFF9876543210E00001")
	f.Add("ffff9876543210e00000")
	f.Add("")
	f.Add("FFFF9876543210E0000G")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseTDESKSN(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidKSN) {
				t.Fatalf("error does not wrap ErrInvalidKSN: %v", err)
			}
			return
		}
		if !strings.EqualFold(k.String(), s) {
			t.Fatalf("round trip %q -> %v", s, k)
		}
		c := k.Counter()
		if c > TDESCounterMask {
			t.Fatalf("counter %X", c)
		}
		k2, err := k.InitialKSN().WithCounter(c)
		if err != nil || k2 != k {
			t.Fatalf("counter split/merge: %v %v", k2, err)
		}
	})
}

func FuzzParseAESKSN(f *testing.F) {
	f.Add("123456789012345600000001")
	f.Add("")
	f.Add("12345678901234560000000x")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseAESKSN(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidKSN) {
				t.Fatalf("error does not wrap ErrInvalidKSN: %v", err)
			}
			return
		}
		if !strings.EqualFold(k.String(), s) || NewAESKSN(k.InitialKeyID(), k.Counter()) != k {
			t.Fatalf("round trip %q -> %v", s, k)
		}
	})
}

func FuzzValidTDESCounter(f *testing.F) {
	for _, c := range []uint32{0, 1, 0x7FF, 0x3FF, 0x1FF800, 0x200000, 0xFFFFFFFF} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c uint32) {
		err := ValidTDESCounter(c)
		want := c != 0 && c < 1<<21 && bits.OnesCount32(c) <= 10
		if (err == nil) != want {
			t.Fatalf("ValidTDESCounter(%X) = %v", c, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidCounter) {
			t.Fatalf("unwrapped error %v", err)
		}
		n, err := NextTDESCounter(c)
		switch {
		case !want:
			if !errors.Is(err, ErrInvalidCounter) {
				t.Fatalf("Next of invalid %X: %v", c, err)
			}
		case c == TDESLastCounter:
			if !errors.Is(err, ErrExhausted) {
				t.Fatalf("Next of last: %v", err)
			}
		default:
			if err != nil || n <= c || ValidTDESCounter(n) != nil {
				t.Fatalf("Next(%X) = %X, %v", c, n, err)
			}
			// Nothing valid is skipped.
			for x := c + 1; x < n; x++ {
				if tdesCounterOK(x) {
					t.Fatalf("Next(%X) = %X skips valid %X", c, n, x)
				}
			}
		}
	})
}

func FuzzValidAESCounter(f *testing.F) {
	for _, c := range []uint32{0, 1, 0x1FFFF, 0xFFFF0000, 0xFFFFFFFF, 0x0001FFFE} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c uint32) {
		err := ValidAESCounter(c)
		want := c != 0 && bits.OnesCount32(c) <= 16
		if (err == nil) != want {
			t.Fatalf("ValidAESCounter(%X) = %v", c, err)
		}
		n, err := NextAESCounter(c)
		switch {
		case !want:
			if !errors.Is(err, ErrInvalidCounter) {
				t.Fatalf("Next of invalid %X: %v", c, err)
			}
		case c == AESLastCounter:
			if !errors.Is(err, ErrExhausted) {
				t.Fatalf("Next of last: %v", err)
			}
		default:
			if err != nil || n <= c || ValidAESCounter(n) != nil {
				t.Fatalf("Next(%X) = %X, %v", c, n, err)
			}
			if n-c < 1<<16 {
				for x := c + 1; x < n; x++ {
					if ValidAESCounter(x) == nil {
						t.Fatalf("Next(%X) = %X skips valid %X", c, n, x)
					}
				}
			}
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add(int(TDES2), testBDK)
	f.Add(int(AES128), "00")
	f.Add(0, "")
	f.Fuzz(func(t *testing.T, kt int, s string) {
		k, err := ParseKey(KeyType(kt), s)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("unwrapped error %v", err)
			}
			return
		}
		if !strings.EqualFold(keyHex(k), s) || strings.Contains(strings.ToUpper(k.String()), strings.ToUpper(s)) {
			t.Fatalf("key %q: %v", s, k)
		}
		_ = k.KCV()
	})
}
