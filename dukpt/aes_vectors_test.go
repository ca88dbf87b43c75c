package dukpt

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/big"
	"testing"

	"github.com/paycert/paycert/dukpt/mac"
	"github.com/paycert/paycert/dukpt/pinblock"
)

func mustAESKSN(t testing.TB, s string) AESKSN {
	t.Helper()
	k, err := ParseAESKSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustIKID(t testing.TB, s string) InitialKeyID {
	t.Helper()
	id, err := ParseInitialKeyID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func parseKeyType(t testing.TB, s string) KeyType {
	t.Helper()
	for kt, name := range keyTypeNames {
		if name == s {
			return kt
		}
	}
	t.Fatalf("unknown key type %q", s)
	return 0
}

func parseUsage(t testing.TB, s string) KeyUsage {
	t.Helper()
	return KeyUsage(parseCounter(t, s))
}

func TestAESVectors(t *testing.T) {
	v := loadVectors(t, "dukpt-aes.json")
	if v.file.Algorithm != "AES-DUKPT" {
		t.Fatalf("algorithm %q", v.file.Algorithm)
	}

	type ikGroup struct {
		BDK     string `json:"bdk"`
		BDKType string `json:"bdkType"`
	}
	type ikTest struct {
		IKID           string `json:"initialKeyId"`
		BDKID          string `json:"bdkId"`
		DerivationID   string `json:"derivationId"`
		DerivationData string `json:"derivationData"`
		InitialKey     string `json:"initialKey"`
	}
	forGroups(v, "AesDukptInitialKey", func(g ikGroup, tests []json.RawMessage) {
		bdk := mustKey(t, parseKeyType(t, g.BDKType), g.BDK)
		runTests(v, tests, func(t *testing.T, h testHeader, tc ikTest) {
			id := mustIKID(t, tc.IKID)
			if !eqHex(hexU(id[:4]), tc.BDKID) || !eqHex(hexU(id[4:]), tc.DerivationID) {
				t.Fatalf("BDK ID / derivation ID split of %v", id)
			}
			if tc.DerivationData != "" {
				d, err := DerivationData(KeyUsageKeyDerivationInitial, bdk.Type(), id, 0)
				if err != nil || !eqHex(hexU(d[:]), tc.DerivationData) {
					t.Fatalf("derivation data %X (%v), want %s", d, err, tc.DerivationData)
				}
			}
			ik, err := DeriveAESInitialKey(bdk, id)
			if err != nil {
				t.Fatal(err)
			}
			if !eqHex(keyHex(ik), tc.InitialKey) {
				t.Fatalf("initial key %s, want %s", keyHex(ik), tc.InitialKey)
			}
		})
	})

	type txGroup struct {
		BDK        string `json:"bdk"`
		BDKType    string `json:"bdkType"`
		IKID       string `json:"initialKeyId"`
		InitialKey string `json:"initialKey"`
		PIN        string `json:"pin"`
		PAN        string `json:"pan"`
		PINField   string `json:"pinField"`
		Data       string `json:"data"`
		DataASCII  string `json:"dataAscii"`
	}
	type implGen struct {
		RequestCmac           string `json:"requestCmac"`
		ResponseCmac          string `json:"responseCmac"`
		RequestHmacSha256     string `json:"requestHmacSha256"`
		ResponseHmacSha256    string `json:"responseHmacSha256"`
		EncryptedRequestData  string `json:"encryptedRequestData"`
		EncryptedResponseData string `json:"encryptedResponseData"`
	}
	type txTest struct {
		KSN               string       `json:"ksn"`
		Counter           string       `json:"counter"`
		Flags             []string     `json:"flags"`
		TransactionKey    string       `json:"transactionKey"`
		PinKey            string       `json:"pinKey"`
		MacGenerationKey  string       `json:"macGenerationKey"`
		DataEncryptKey    string       `json:"dataEncryptKey"`
		EncryptedPinBlock string       `json:"encryptedPinBlock"`
		Impl              *implGen     `json:"implementationGenerated"`
		CrossCheck        []crossCheck `json:"crossCheck"`
	}
	forGroups(v, "AesDukptTransaction", func(g txGroup, tests []json.RawMessage) {
		bdk := mustKey(t, parseKeyType(t, g.BDKType), g.BDK)
		id := mustIKID(t, g.IKID)
		ik, err := DeriveAESInitialKey(bdk, id)
		if err != nil || !eqHex(keyHex(ik), g.InitialKey) {
			t.Fatalf("initial key %v %v", ik, err)
		}
		data := unhex(t, g.Data)
		if string(data) != g.DataASCII {
			t.Fatal("data hex and ASCII disagree")
		}
		pinField := unhex(t, g.PINField)
		runTests(v, tests, func(t *testing.T, h testHeader, tc txTest) {
			ksn := mustAESKSN(t, tc.KSN)
			c := parseCounter(t, tc.Counter)
			if ksn.Counter() != c || ksn.InitialKeyID() != id {
				t.Fatalf("KSN %v does not match counter %s / IKID", ksn, tc.Counter)
			}
			var tk AESTransactionKey
			if containsFlag(tc.Flags, "InvalidDeviceCounter") {
				// The host-side API refuses such a KSN ...
				if _, err := DeriveAESTransactionKey(ik, ksn); !errors.Is(err, ErrInvalidCounter) {
					t.Fatalf("DeriveAESTransactionKey accepted invalid counter: %v", err)
				}
				// ... but the published key is defined by the walk.
				k, err := aesIntermediate(ik, id, c)
				if err != nil {
					t.Fatal(err)
				}
				tk = AESTransactionKey{key: k, ksn: ksn}
			} else {
				tk, err = DeriveAESTransactionKey(ik, ksn)
				if err != nil {
					t.Fatal(err)
				}
				tk2, err := DeriveAESTransactionKeyFromBDK(bdk, ksn)
				if err != nil || !tk2.Key().Equal(tk.Key()) {
					t.Fatalf("FromBDK differs: %v", err)
				}
			}
			got := map[string]string{"transactionKey": keyHex(tk.Key())}
			wk := func(u KeyUsage, kt KeyType) Key {
				k, err := tk.WorkingKey(u, kt)
				if err != nil {
					t.Fatal(err)
				}
				return k
			}
			pinKey := wk(KeyUsagePINEncryption, AES128)
			got["pinKey"] = keyHex(pinKey)
			got["macGenerationKey"] = keyHex(wk(KeyUsageMACGeneration, AES128))
			got["dataEncryptKey"] = keyHex(wk(KeyUsageDataEncrypt, AES128))
			d, err := DerivationData(KeyUsagePINEncryption, AES128, id, c)
			if err != nil {
				t.Fatal(err)
			}
			got["pinDerivationData"] = hexU(d[:])
			pc, err := pinKey.Cipher()
			if err != nil {
				t.Fatal(err)
			}
			epb, err := pinblock.EncryptFormat4(pc, g.PIN, g.PAN, bytes.NewReader(pinField[8:]))
			if err != nil {
				t.Fatal(err)
			}
			got["encryptedPinBlock"] = hexU(epb)
			if p, f, err := pinblock.Decrypt(pc, epb, g.PAN); err != nil || p != g.PIN || f != pinblock.Format4 {
				t.Fatalf("format 4 round trip: %q %v %v", p, f, err)
			}
			for f, want := range map[string]string{
				"transactionKey": tc.TransactionKey, "pinKey": tc.PinKey, "macGenerationKey": tc.MacGenerationKey,
				"dataEncryptKey": tc.DataEncryptKey, "encryptedPinBlock": tc.EncryptedPinBlock,
			} {
				if want != "" && !eqHex(got[f], want) {
					t.Errorf("%s = %s, want %s", f, got[f], want)
				}
			}
			for _, cc := range tc.CrossCheck {
				for f, want := range cc.Values {
					g, ok := got[f]
					if !ok {
						t.Fatalf("%s: no computed value for %q", cc.Source, f)
					}
					if !eqHex(g, want) {
						t.Errorf("%s: %s = %s, want %s", cc.Source, f, g, want)
					}
				}
			}
			if tc.Impl != nil {
				cmacOf := func(u KeyUsage) string {
					c, err := wk(u, AES128).Cipher()
					if err != nil {
						t.Fatal(err)
					}
					m, err := mac.CMAC(c, data)
					if err != nil {
						t.Fatal(err)
					}
					return hexU(m)
				}
				hmacOf := func(u KeyUsage) string {
					m := hmac.New(sha256.New, wk(u, HMAC128).Bytes())
					m.Write(data)
					return hexU(m.Sum(nil))
				}
				encOf := func(u KeyUsage) string {
					e, err := EncryptData(wk(u, AES128), data)
					if err != nil {
						t.Fatal(err)
					}
					return hexU(e)
				}
				for name, pair := range map[string][2]string{
					"requestCmac":           {cmacOf(KeyUsageMACGeneration), tc.Impl.RequestCmac},
					"responseCmac":          {cmacOf(KeyUsageMACVerification), tc.Impl.ResponseCmac},
					"requestHmacSha256":     {hmacOf(KeyUsageMACGeneration), tc.Impl.RequestHmacSha256},
					"responseHmacSha256":    {hmacOf(KeyUsageMACVerification), tc.Impl.ResponseHmacSha256},
					"encryptedRequestData":  {encOf(KeyUsageDataEncrypt), tc.Impl.EncryptedRequestData},
					"encryptedResponseData": {encOf(KeyUsageDataDecrypt), tc.Impl.EncryptedResponseData},
				} {
					if pair[1] == "" || !eqHex(pair[0], pair[1]) {
						t.Errorf("implementation-generated %s = %s, want %s", name, pair[0], pair[1])
					}
				}
			}
		})
	})

	type wkGroup struct {
		BDK        string `json:"bdk"`
		BDKType    string `json:"bdkType"`
		InitialKey string `json:"initialKey"`
	}
	type wkTest struct {
		KSN     string `json:"ksn"`
		Usage   string `json:"usage"`
		KeyType string `json:"keyType"`
		Key     string `json:"key"`
	}
	forGroups(v, "AesDukptWorkingKey", func(g wkGroup, tests []json.RawMessage) {
		ik := mustKey(t, parseKeyType(t, g.BDKType), g.InitialKey)
		runTests(v, tests, func(t *testing.T, h testHeader, tc wkTest) {
			tk, err := DeriveAESTransactionKey(ik, mustAESKSN(t, tc.KSN))
			if err != nil {
				t.Fatal(err)
			}
			k, err := tk.WorkingKey(parseUsage(t, tc.Usage), parseKeyType(t, tc.KeyType))
			if h.Result == "invalid" {
				if !errors.Is(err, ErrKeyTooStrong) {
					t.Fatalf("got %v, %v; want ErrKeyTooStrong", k, err)
				}
				return
			}
			if err != nil || !eqHex(keyHex(k), tc.Key) {
				t.Fatalf("key %s (%v), want %s", keyHex(k), err, tc.Key)
			}
		})
	})

	type ukGroup struct {
		IKID       string `json:"initialKeyId"`
		InitialKey string `json:"initialKey"`
		BDKType    string `json:"bdkType"`
	}
	type ukTest struct {
		KeyType    string       `json:"keyType"`
		Key        string       `json:"key"`
		CrossCheck []crossCheck `json:"crossCheck"`
	}
	forGroups(v, "AesDukptUpdateKey", func(g ukGroup, tests []json.RawMessage) {
		ik := mustKey(t, parseKeyType(t, g.BDKType), g.InitialKey)
		runTests(v, tests, func(t *testing.T, h testHeader, tc ukTest) {
			k, err := DeriveAESUpdateKey(ik, mustIKID(t, g.IKID), parseKeyType(t, tc.KeyType))
			if err != nil || !eqHex(keyHex(k), tc.Key) {
				t.Fatalf("update key %s (%v), want %s", keyHex(k), err, tc.Key)
			}
			for _, cc := range tc.CrossCheck {
				if !eqHex(keyHex(k), cc.Values["key"]) {
					t.Errorf("%s: %s", cc.Source, cc.Values["key"])
				}
			}
		})
	})

	type ddTest struct {
		Usage          string `json:"usage"`
		KeyType        string `json:"keyType"`
		IKID           string `json:"initialKeyId"`
		Counter        string `json:"counter"`
		DerivationData string `json:"derivationData"`
	}
	forGroups(v, "AesDukptDerivationData", func(_ struct{}, tests []json.RawMessage) {
		runTests(v, tests, func(t *testing.T, h testHeader, tc ddTest) {
			d, err := DerivationData(parseUsage(t, tc.Usage), parseKeyType(t, tc.KeyType), mustIKID(t, tc.IKID), parseCounter(t, tc.Counter))
			if err != nil || !eqHex(hexU(d[:]), tc.DerivationData) {
				t.Fatalf("derivation data %X (%v), want %s", d, err, tc.DerivationData)
			}
		})
	})

	type pfTest struct {
		PIN      string `json:"pin"`
		PAN      string `json:"pan"`
		PINField string `json:"pinField"`
		PANField string `json:"panField"`
	}
	forGroups(v, "PinBlockFormat4Fields", func(_ struct{}, tests []json.RawMessage) {
		runTests(v, tests, func(t *testing.T, h testHeader, tc pfTest) {
			want := unhex(t, tc.PINField)
			f, err := pinblock.PINField4(tc.PIN, bytes.NewReader(want[8:]))
			if err != nil || !bytes.Equal(f, want) {
				t.Fatalf("PIN field %X (%v)", f, err)
			}
			if p, err := pinblock.DecodePINField4(f); err != nil || p != tc.PIN {
				t.Fatalf("decode PIN field: %q %v", p, err)
			}
			pf, err := pinblock.PANField4(tc.PAN)
			if err != nil || !eqHex(hexU(pf), tc.PANField) {
				t.Fatalf("PAN field %X (%v)", pf, err)
			}
		})
	})

	checkCounterVectors(v, "AesDukpt", ValidAESCounter, NextAESCounter)
	type spaceTest struct {
		CounterBits int    `json:"counterBits"`
		MaxOneBits  int    `json:"maxOneBits"`
		Last        string `json:"lastValidCounter"`
		Count       int64  `json:"validCounterCount"`
	}
	forGroups(v, "AesDukptCounterSpace", func(_ struct{}, tests []json.RawMessage) {
		runTests(v, tests, func(t *testing.T, h testHeader, tc spaceTest) {
			if tc.CounterBits != AESCounterBits || tc.MaxOneBits != AESMaxOneBits {
				t.Fatalf("constants disagree: %+v", tc)
			}
			sum := new(big.Int)
			for k := 1; k <= tc.MaxOneBits; k++ {
				sum.Add(sum, new(big.Int).Binomial(int64(tc.CounterBits), int64(k)))
			}
			if sum.Int64() != tc.Count {
				t.Fatalf("sum C(32,k) = %v, want %d", sum, tc.Count)
			}
			last := parseCounter(t, tc.Last)
			if last != AESLastCounter || ValidAESCounter(last) != nil {
				t.Fatalf("last counter %X", last)
			}
			for c := uint64(last) + 1; c <= 0xFFFFFFFF; c++ {
				if ValidAESCounter(uint32(c)) == nil {
					t.Fatalf("counter %X after the last is valid", c)
				}
			}
			if _, err := NextAESCounter(last); !errors.Is(err, ErrExhausted) {
				t.Fatalf("NextAESCounter(last) = %v", err)
			}
		})
	})
}

func containsFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}
