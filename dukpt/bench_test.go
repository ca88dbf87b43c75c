package dukpt

import (
	"encoding/binary"
	"runtime"
	"testing"
)

func reportKeysPerSecond(b *testing.B, keysPerOp int) {
	b.ReportMetric(float64(b.N)*float64(keysPerOp)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkAllTDESKeys is the whole proof: derive all 1,048,575 transaction
// keys of one initial key and check them pairwise distinct.
func BenchmarkAllTDESKeys(b *testing.B) {
	bdk := mustKey(b, TDES2, testBDK)
	ksn := mustTDESKSN(b, testIKSN)
	for b.Loop() {
		n, err := ProveTDESKeysDistinct(bdk, ksn)
		if err != nil || n != TDESKeysPerInitialKey {
			b.Fatal(n, err)
		}
	}
	reportKeysPerSecond(b, TDESKeysPerInitialKey)
}

// BenchmarkAllTDESKeysDeriveOnly is the tree walk alone, on GOMAXPROCS
// goroutines and on one.
func BenchmarkAllTDESKeysDeriveOnly(b *testing.B) {
	ipek := mustKey(b, TDES2, testIPEK)
	kl := binary.BigEndian.Uint64(ipek.b()[:8])
	kr := binary.BigEndian.Uint64(ipek.b()[8:])
	base := mustTDESKSN(b, testIKSN).right64Base()
	for _, c := range []struct {
		name    string
		workers int
	}{{"procs", runtime.GOMAXPROCS(0)}, {"1", 1}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				allTDESKeys(kl, kr, base, c.workers, false)
			}
			reportKeysPerSecond(b, TDESKeysPerInitialKey)
		})
	}
}

// BenchmarkAllTDESKeysDedupeOnly is the distinctness check alone.
func BenchmarkAllTDESKeysDedupeOnly(b *testing.B) {
	ipek := mustKey(b, TDES2, testIPEK)
	kl := binary.BigEndian.Uint64(ipek.b()[:8])
	kr := binary.BigEndian.Uint64(ipek.b()[8:])
	keys, _ := allTDESKeys(kl, kr, mustTDESKSN(b, testIKSN).right64Base(), runtime.GOMAXPROCS(0), false)
	for b.Loop() {
		if _, _, dup := firstDuplicate(keys, runtime.GOMAXPROCS(0)); dup {
			b.Fatal("duplicate")
		}
	}
}

// BenchmarkAllTDESKeysCryptoDES is the same tree walk with a crypto/des
// cipher built for every step (two per key), the baseline the custom DES
// replaces. One goroutine.
func BenchmarkAllTDESKeysCryptoDES(b *testing.B) {
	ipek := mustKey(b, TDES2, testIPEK)
	iksn := mustTDESKSN(b, testIKSN)
	base := iksn.right64Base()
	var start [16]byte
	copy(start[:], ipek.b())
	var walk func(key [16]byte, c uint32, p, ones int) int
	walk = func(key [16]byte, c uint32, p, ones int) int {
		n := 1
		if ones == TDESMaxOneBits {
			return n
		}
		for bit := p - 1; bit >= 0; bit-- {
			child := c | 1<<bit
			var data [8]byte
			binary.BigEndian.PutUint64(data[:], base|uint64(child))
			n += walk(referenceNRKGP(b, key, data), child, bit, ones+1)
		}
		return n
	}
	for b.Loop() {
		if n := walk(start, 0, TDESCounterBits, 0) - 1; n != TDESKeysPerInitialKey {
			b.Fatal(n)
		}
	}
	reportKeysPerSecond(b, TDESKeysPerInitialKey)
}

// benchCounters is a spread of valid TDES counters (every 97th valid one).
func benchCounters() []uint32 {
	var cs []uint32
	n := 0
	for c := uint32(1); c <= TDESCounterMask; c++ {
		if tdesCounterOK(c) {
			if n%97 == 0 {
				cs = append(cs, c)
			}
			n++
		}
	}
	return cs
}

// BenchmarkTDESPINKeyDerive is the host-side derivation of one PIN key from
// the IPEK and a KSN (every 97th valid counter, 8.65 one bits on average,
// as over the whole counter space), on one goroutine, with the one-call
// DeriveTDESWorkingKey.
func BenchmarkTDESPINKeyDerive(b *testing.B) {
	ipek := mustKey(b, TDES2, testIPEK)
	benchPINKeys(b, func(ksn TDESKSN) (Key, error) { return DeriveTDESWorkingKey(ipek, ksn, VariantPIN) })
}

// BenchmarkTDESPINKeyDeriveTwoStep is BenchmarkTDESPINKeyDerive through
// DeriveTDESTransactionKey and WorkingKey(VariantPIN).
func BenchmarkTDESPINKeyDeriveTwoStep(b *testing.B) {
	ipek := mustKey(b, TDES2, testIPEK)
	benchPINKeys(b, func(ksn TDESKSN) (Key, error) {
		tk, err := DeriveTDESTransactionKey(ipek, ksn)
		if err != nil {
			return Key{}, err
		}
		return tk.WorkingKey(VariantPIN)
	})
}

// BenchmarkTDESPINKeyDeriveFromBDK adds the IPEK derivation from the BDK.
func BenchmarkTDESPINKeyDeriveFromBDK(b *testing.B) {
	bdk := mustKey(b, TDES2, testBDK)
	benchPINKeys(b, func(ksn TDESKSN) (Key, error) {
		tk, err := DeriveTDESTransactionKeyFromBDK(bdk, ksn)
		if err != nil {
			return Key{}, err
		}
		return tk.WorkingKey(VariantPIN)
	})
}

// benchPINKeys times derive over the KSNs of benchKSNs, one per iteration,
// and reports keys per second.
func benchPINKeys(b *testing.B, derive func(TDESKSN) (Key, error)) {
	ksns := benchKSNs(b)
	i := 0
	for b.Loop() {
		if _, err := derive(ksns[i%len(ksns)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportKeysPerSecond(b, 1)
}

// benchKSNs is the KSNs of benchCounters under the X9.24-1 test KSN.
func benchKSNs(b *testing.B) []TDESKSN {
	iksn := mustTDESKSN(b, testIKSN)
	var ksns []TDESKSN
	for _, c := range benchCounters() {
		k, _ := iksn.WithCounter(c)
		ksns = append(ksns, k)
	}
	return ksns
}

// BenchmarkAESDerive is the host-side derivation of an AES-128 PIN key from
// the initial key and a KSN (counter 0x55555555: 16 one bits, the worst
// case), for AES-128 and AES-256 initial keys, plus the initial key
// derivation from the BDK.
func BenchmarkAESDerive(b *testing.B) {
	id := mustIKID(b, testIKID)
	for _, c := range []struct {
		name string
		kt   KeyType
		ik   string
	}{{"AES128", AES128, testAESIK}, {"AES256", AES256, testAESIK + testAESIK}} {
		ik := mustKey(b, c.kt, c.ik)
		ksn := NewAESKSN(id, 0x55555555)
		b.Run(c.name+"/PINKey", func(b *testing.B) {
			for b.Loop() {
				tk, err := DeriveAESTransactionKey(ik, ksn)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tk.WorkingKey(KeyUsagePINEncryption, AES128); err != nil {
					b.Fatal(err)
				}
			}
			reportKeysPerSecond(b, 1)
		})
		b.Run(c.name+"/InitialKey", func(b *testing.B) {
			for b.Loop() {
				if _, err := DeriveAESInitialKey(ik, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNRKGP(b *testing.B) {
	l, r := uint64(0x0123456789ABCDEF), uint64(0xFEDCBA9876543210)
	i := uint64(0)
	for b.Loop() {
		l, r = nrkgp(l, r, i)
		i++
	}
	if l == r {
		b.Log(l)
	}
}

func BenchmarkTDESDeviceNext(b *testing.B) {
	var d TDESDevice
	ipek := mustKey(b, TDES2, testIPEK)
	iksn := mustTDESKSN(b, testIKSN)
	_ = d.LoadInitialKey(ipek, iksn)
	for b.Loop() {
		if _, _, err := d.Next(); err != nil {
			_ = d.LoadInitialKey(ipek, iksn)
		}
	}
}

func BenchmarkAESDeviceNext(b *testing.B) {
	var d AESDevice
	ik := mustKey(b, AES128, testAESIK)
	id := mustIKID(b, testIKID)
	_ = d.LoadInitialKey(ik, id)
	for b.Loop() {
		if _, _, err := d.Next(); err != nil {
			b.Fatal(err)
		}
	}
}
