package dukpt

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/paycert/paycert/vectors"
)

// publishedKeys returns counter -> transaction key for every test of the
// given group type in a vector file.
func publishedKeys(t *testing.T, file, groupType string) map[uint32]string {
	t.Helper()
	raw, err := vectors.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		TestGroups []struct {
			Type  string `json:"type"`
			Tests []struct {
				Counter        string `json:"counter"`
				TransactionKey string `json:"transactionKey"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	m := map[uint32]string{}
	for _, g := range f.TestGroups {
		if g.Type != groupType {
			continue
		}
		for _, tc := range g.Tests {
			if tc.TransactionKey != "" {
				m[parseCounter(t, tc.Counter)] = tc.TransactionKey
			}
		}
	}
	if len(m) == 0 {
		t.Fatalf("no published keys in %s", file)
	}
	return m
}

// TestTDESDeviceAgainstVectors runs the originator state machine and checks
// every published X9.24-1:2009 A.4 transaction key it reaches: A.4.2 from
// the IPEK, A.4.3 from a device state built just before counter 0x0FF800
// (later keys there come from the device's own future key registers).
func TestTDESDeviceAgainstVectors(t *testing.T) {
	pub := publishedKeys(t, "dukpt-tdes.json", "TdesDukptTransaction")
	ipek := mustKey(t, TDES2, testIPEK)
	iksn := mustTDESKSN(t, testIKSN)
	checked := 0
	var d TDESDevice
	if err := d.LoadInitialKey(ipek, iksn); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 0x15; i++ {
		ksn, tk, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if want, ok := pub[ksn.Counter()]; ok {
			if !eqHex(keyHex(tk.Key()), want) {
				t.Fatalf("device key for %v = %s, published %s", ksn, keyHex(tk.Key()), want)
			}
			checked++
		}
	}
	dev, err := newTDESDeviceAt(ipek, iksn, 0x0FF800)
	if err != nil {
		t.Fatal(err)
	}
	for {
		ksn, tk, err := dev.Next()
		if err != nil {
			t.Fatal(err)
		}
		if want, ok := pub[ksn.Counter()]; ok {
			if !eqHex(keyHex(tk.Key()), want) {
				t.Fatalf("device key for %v = %s, published %s", ksn, keyHex(tk.Key()), want)
			}
			checked++
		}
		if ksn.Counter() == 0x100000 {
			break
		}
	}
	if checked != len(pub) {
		t.Fatalf("checked %d of %d published keys", checked, len(pub))
	}
}

// TestAESDeviceAgainstVectors does the same for the X9.24-3:2017
// supplement: the first eight counters from the initial key, the counters
// around 0x20000 (the device skips the invalid 0x1FFFF) and the last four
// counters before exhaustion.
func TestAESDeviceAgainstVectors(t *testing.T) {
	pub := publishedKeys(t, "dukpt-aes.json", "AesDukptTransaction")
	ik := mustKey(t, AES128, testAESIK)
	id := mustIKID(t, testIKID)
	checked := map[uint32]bool{}
	check := func(ksn AESKSN, tk AESTransactionKey) {
		if want, ok := pub[ksn.Counter()]; ok {
			if !eqHex(keyHex(tk.Key()), want) {
				t.Fatalf("device key for %v = %s, published %s", ksn, keyHex(tk.Key()), want)
			}
			checked[ksn.Counter()] = true
		}
	}
	var d AESDevice
	if err := d.LoadInitialKey(ik, id); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		ksn, tk, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		check(ksn, tk)
	}
	for _, start := range []struct {
		from uint32
		n    int
	}{{0x0001FFFE, 3}, {0xFFFE2000, 4}} {
		dev, err := newAESDeviceAt(ik, id, start.from)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < start.n; i++ {
			ksn, tk, err := dev.Next()
			if err != nil {
				t.Fatal(err)
			}
			check(ksn, tk)
		}
		if start.from == 0xFFFE2000 {
			if _, _, err := dev.Next(); !errors.Is(err, ErrExhausted) {
				t.Fatalf("after 0xFFFF0000: %v", err)
			}
		}
	}
	// Every published key except the one of the invalid counter 0x1FFFF,
	// which no device ever uses.
	for c := range pub {
		if !checked[c] && c != 0x1FFFF {
			t.Errorf("published key for counter %08X not reached by the device", c)
		}
	}
	if checked[0x1FFFF] {
		t.Error("device used the invalid counter 0x1FFFF")
	}
}
