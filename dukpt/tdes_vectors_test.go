package dukpt

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/paycert/paycert/dukpt/mac"
	"github.com/paycert/paycert/dukpt/pinblock"
)

func mustTDESKSN(t testing.TB, s string) TDESKSN {
	t.Helper()
	k, err := ParseTDESKSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTDESVectors(t *testing.T) {
	v := loadVectors(t, "dukpt-tdes.json")
	if v.file.Algorithm != "TDES-DUKPT" {
		t.Fatalf("algorithm %q", v.file.Algorithm)
	}

	// IPEK.
	type ipekGroup struct {
		BDK string `json:"bdk"`
	}
	type ipekTest struct {
		KSN  string `json:"ksn"`
		IPEK string `json:"ipek"`
	}
	forGroups(v, "TdesDukptIpek", func(g ipekGroup, tests []json.RawMessage) {
		bdk := mustKey(t, TDES2, g.BDK)
		runTests(v, tests, func(t *testing.T, h testHeader, tc ipekTest) {
			ipek, err := DeriveTDESIPEK(bdk, mustTDESKSN(t, tc.KSN))
			if err != nil {
				t.Fatal(err)
			}
			if got := keyHex(ipek); !eqHex(got, tc.IPEK) {
				t.Fatalf("IPEK = %s, want %s", got, tc.IPEK)
			}
		})
	})

	// Transaction sequences.
	type txGroup struct {
		BDK           string `json:"bdk"`
		IPEK          string `json:"ipek"`
		PIN           string `json:"pin"`
		PAN           string `json:"pan"`
		ClearPINBlock string `json:"clearPinBlock"`
		Data          string `json:"data"`
		DataASCII     string `json:"dataAscii"`
	}
	expectedFields := []string{
		"transactionKey", "pinKey", "macRequestKey", "macResponseKey", "dataRequestKey",
		"dataResponseKey", "encryptedPinBlock", "requestMac", "responseMac",
		"encryptedRequestData", "requestCmac", "responseCmac",
	}
	forGroups(v, "TdesDukptTransaction", func(g txGroup, tests []json.RawMessage) {
		bdk := mustKey(t, TDES2, g.BDK)
		data := unhex(t, g.Data)
		if string(data) != g.DataASCII {
			t.Fatalf("data hex and ASCII disagree")
		}
		clearBlock, err := pinblock.EncodeFormat0(g.PIN, g.PAN)
		if err != nil || !eqHex(hexU(clearBlock), g.ClearPINBlock) {
			t.Fatalf("clear PIN block %X (%v), want %s", clearBlock, err, g.ClearPINBlock)
		}
		runTests(v, tests, func(t *testing.T, h testHeader, tc txTest) {
			ksn := mustTDESKSN(t, tc.KSN)
			if ksn.Counter() != parseCounter(t, tc.Counter) {
				t.Fatalf("KSN counter %X != counter field %s", ksn.Counter(), tc.Counter)
			}
			ipek, err := DeriveTDESIPEK(bdk, ksn)
			if err != nil {
				t.Fatal(err)
			}
			if !eqHex(keyHex(ipek), g.IPEK) {
				t.Fatalf("IPEK from KSN %v = %s, want %s", ksn, keyHex(ipek), g.IPEK)
			}
			got := computeTDESTransaction(t, ipek, ksn, g.PIN, g.PAN, data)
			for _, f := range expectedFields {
				want, ok := tc.Strings[f]
				if !ok {
					t.Fatalf("test has no field %q", f)
				}
				compareField(t, "", f, got, h, want)
			}
			for _, cc := range tc.CrossCheck {
				for f, want := range cc.Values {
					compareField(t, cc.Source, f, got, h, want)
				}
			}
		})
	})

	// Variant keys.
	type variantGroup struct {
		BDK string `json:"bdk"`
	}
	type variantTest struct {
		KSN     string `json:"ksn"`
		Variant string `json:"variant"`
		OWF     bool   `json:"oneWayFunction"`
		Key     string `json:"key"`
	}
	forGroups(v, "TdesDukptVariantKey", func(g variantGroup, tests []json.RawMessage) {
		bdk := mustKey(t, TDES2, g.BDK)
		runTests(v, tests, func(t *testing.T, h testHeader, tc variantTest) {
			k := tdesVariantForTest(t, bdk, mustTDESKSN(t, tc.KSN), tc.Variant, tc.OWF)
			match := eqHex(keyHex(k), tc.Key)
			if match != (h.Result == "valid") {
				t.Fatalf("key %s vs %s: match=%v, result %s", keyHex(k), tc.Key, match, h.Result)
			}
		})
	})

	// Track data decryption.
	type trackGroup struct {
		BDK string `json:"bdk"`
	}
	type trackTest struct {
		KSN        string `json:"ksn"`
		Variant    string `json:"variant"`
		OWF        bool   `json:"oneWayFunction"`
		Ciphertext string `json:"ciphertext"`
		Plaintext  string `json:"plaintextAscii"`
	}
	forGroups(v, "TdesDukptTrackData", func(g trackGroup, tests []json.RawMessage) {
		bdk := mustKey(t, TDES2, g.BDK)
		runTests(v, tests, func(t *testing.T, h testHeader, tc trackTest) {
			k := tdesVariantForTest(t, bdk, mustTDESKSN(t, tc.KSN), tc.Variant, tc.OWF)
			ct := unhex(t, tc.Ciphertext)
			pt, err := DecryptData(k, ct)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]byte, len(ct))
			copy(want, tc.Plaintext)
			match := bytes.Equal(pt, want)
			if match != (h.Result == "valid") {
				t.Fatalf("plaintext %q: match=%v, result %s", pt, match, h.Result)
			}
			if match {
				// And the other direction.
				enc, err := EncryptData(k, []byte(tc.Plaintext))
				if err != nil || !bytes.Equal(enc, ct) {
					t.Fatalf("re-encryption differs: %X", enc)
				}
			}
		})
	})

	checkCounterVectors(v, "TdesDukpt", ValidTDESCounter, NextTDESCounter)

	// Counter space.
	type spaceTest struct {
		CounterBits int    `json:"counterBits"`
		MaxOneBits  int    `json:"maxOneBits"`
		Last        string `json:"lastValidCounter"`
		Count       int    `json:"validCounterCount"`
	}
	forGroups(v, "TdesDukptCounterSpace", func(_ struct{}, tests []json.RawMessage) {
		runTests(v, tests, func(t *testing.T, h testHeader, tc spaceTest) {
			if tc.CounterBits != TDESCounterBits || tc.MaxOneBits != TDESMaxOneBits || tc.Count != TDESKeysPerInitialKey {
				t.Fatalf("constants disagree: %+v", tc)
			}
			count, last := 0, uint32(0)
			for c := uint32(0); c < 1<<(tc.CounterBits+1); c++ {
				if tdesCounterOK(c) {
					count++
					last = c
				}
			}
			if count != tc.Count || last != parseCounter(t, tc.Last) || last != TDESLastCounter {
				t.Fatalf("count %d last %X, want %d %s", count, last, tc.Count, tc.Last)
			}
			for c := uint32(0); c < 1<<(tc.CounterBits+1); c += 997 {
				if (ValidTDESCounter(c) == nil) != tdesCounterOK(c) {
					t.Fatalf("ValidTDESCounter and tdesCounterOK disagree at %X", c)
				}
			}
			// The device order visits exactly the valid counters.
			n, c := 1, uint32(1)
			for {
				next, err := NextTDESCounter(c)
				if errors.Is(err, ErrExhausted) {
					break
				}
				if err != nil || next <= c {
					t.Fatalf("next(%X) = %X, %v", c, next, err)
				}
				c = next
				n++
			}
			if n != tc.Count || c != last {
				t.Fatalf("device order: %d counters ending at %X", n, c)
			}
		})
	})
}

type crossCheck struct {
	Source string            `json:"source"`
	Values map[string]string `json:"values"`
}

// txTest is a TdesDukptTransaction test; Strings holds every top-level
// string field.
type txTest struct {
	KSN        string       `json:"ksn"`
	Counter    string       `json:"counter"`
	CrossCheck []crossCheck `json:"crossCheck"`
	Strings    map[string]string
}

func (tc *txTest) UnmarshalJSON(b []byte) error {
	type plain txTest
	if err := json.Unmarshal(b, (*plain)(tc)); err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	tc.Strings = map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			tc.Strings[k] = s
		}
	}
	return nil
}

// compareField checks an expected value against the computed outputs. MAC
// values may be given truncated (4 bytes) or in full (8 bytes).
func compareField(t *testing.T, source, f string, got map[string][]byte, h testHeader, want string) {
	t.Helper()
	g, ok := got[f]
	if !ok {
		t.Fatalf("%s: no computed value for field %q", source, f)
	}
	gs := hexU(g)
	if f == "requestMac" || f == "responseMac" {
		if len(want) < 8 || len(want) > len(gs) {
			t.Fatalf("%s: %s has odd length %d", source, f, len(want))
		}
		gs = gs[:len(want)]
	}
	if !eqHex(gs, want) {
		t.Errorf("%s %s = %s, want %s", source, f, gs, want)
	}
}

// computeTDESTransaction computes every value the TDES vectors give for one
// KSN, through the public API.
func computeTDESTransaction(t *testing.T, ipek Key, ksn TDESKSN, pin, pan string, data []byte) map[string][]byte {
	t.Helper()
	tk, err := DeriveTDESTransactionKey(ipek, ksn)
	if err != nil {
		t.Fatal(err)
	}
	if tk.KSN() != ksn {
		t.Fatalf("KSN %v", tk.KSN())
	}
	out := map[string][]byte{"transactionKey": tk.Key().Bytes()}
	keys := map[Variant]string{
		VariantPIN: "pinKey", VariantMACRequest: "macRequestKey", VariantMACResponse: "macResponseKey",
		VariantDataRequest: "dataRequestKey", VariantDataResponse: "dataResponseKey",
	}
	wk := map[Variant]Key{}
	for vr, name := range keys {
		k, err := tk.WorkingKey(vr)
		if err != nil {
			t.Fatal(err)
		}
		wk[vr] = k
		out[name] = k.Bytes()
	}
	pc, err := wk[VariantPIN].Cipher()
	if err != nil {
		t.Fatal(err)
	}
	epb, err := pinblock.EncryptFormat0(pc, pin, pan)
	if err != nil {
		t.Fatal(err)
	}
	out["encryptedPinBlock"] = epb
	if p, f, err := pinblock.Decrypt(pc, epb, pan); err != nil || p != pin || f != pinblock.Format0 {
		t.Fatalf("PIN block round trip: %q %v %v", p, f, err)
	}
	for name, vr := range map[string]Variant{"requestMac": VariantMACRequest, "responseMac": VariantMACResponse} {
		m, err := mac.RetailMAC(wk[vr].Bytes(), data)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = m
	}
	for name, vr := range map[string]Variant{"requestCmac": VariantMACRequest, "responseCmac": VariantMACResponse} {
		c, err := wk[vr].Cipher()
		if err != nil {
			t.Fatal(err)
		}
		m, err := mac.CMAC(c, data)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = m
	}
	for name, vr := range map[string]Variant{"encryptedRequestData": VariantDataRequest, "encryptedResponseData": VariantDataResponse} {
		e, err := EncryptData(wk[vr], data)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = e
		d, err := DecryptData(wk[vr], e)
		if err != nil || !bytes.Equal(d[:len(data)], data) {
			t.Fatalf("data round trip failed")
		}
	}
	return out
}

func tdesVariantForTest(t *testing.T, bdk Key, ksn TDESKSN, name string, owf bool) Key {
	t.Helper()
	tk, err := DeriveTDESTransactionKeyFromBDK(bdk, ksn)
	if err != nil {
		t.Fatal(err)
	}
	if name == "none" {
		return tk.Key()
	}
	vr := map[string]Variant{
		"pin": VariantPIN, "macRequest": VariantMACRequest, "macResponse": VariantMACResponse,
		"dataRequest": VariantDataRequest, "dataResponse": VariantDataResponse,
	}[name]
	var k Key
	if owf {
		k, err = tk.WorkingKey(vr)
	} else {
		k, err = tk.VariantKey(vr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}
