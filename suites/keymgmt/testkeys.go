package keymgmt

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/vectors"
)

// The suite's test keys. TDES and AES-128 are the published ANSI X9.24
// test keys (from the embedded vectors, with their known answers); AES-192
// and AES-256 have no published transaction vectors, so the suite uses
// keys of its own (TEST keys, never for production) and checks them against
// host-side derivation only.
const (
	testBDK192 = "FEDCBA9876543210F1F1F1F1F1F1F1F1A5A5A5A5A5A5A5A5"
	testBDK256 = "FEDCBA9876543210F1F1F1F1F1F1F1F10123456789ABCDEF5A5A5A5A5A5A5A5A"
	// testIKID is the initial key ID of every AES test key (that of the
	// X9.24-3 supplement).
	testIKID = "1234567890123456"
)

// kat is the known-answer data of the embedded vectors.
type kat struct {
	tdesBDK, tdesIKSN, tdesIPEK, tdesPIN, tdesPAN string
	tdes                                          []katTx // X9.24-1:2009 A.4.2, counters 1..0x15
	aesBDK, aesIKID, aesIK, aesPIN, aesPAN        string
	aes                                           []katTx // X9.24-3:2017 supplement, counters 1..8
}

type katTx struct {
	KSN      string `json:"ksn"`
	PINBlock string `json:"encryptedPinBlock"`
	PINKey   string `json:"pinKey"`
}

var (
	katOnce sync.Once
	katData kat
	katErr  error
)

// knownAnswers returns the KAT data, read once from the embedded vectors.
func knownAnswers() (kat, error) {
	katOnce.Do(func() { katData, katErr = readKAT() })
	return katData, katErr
}

func readKAT() (kat, error) {
	var k kat
	type group struct {
		Type         string  `json:"type"`
		Name         string  `json:"name"`
		BDK          string  `json:"bdk"`
		IPEK         string  `json:"ipek"`
		PIN          string  `json:"pin"`
		PAN          string  `json:"pan"`
		InitialKey   string  `json:"initialKey"`
		InitialKeyID string  `json:"initialKeyId"`
		Tests        []katTx `json:"tests"`
	}
	var f struct {
		Groups []group `json:"testGroups"`
	}
	b, err := vectors.Read("dukpt-tdes.json")
	if err != nil {
		return k, err
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return k, fmt.Errorf("dukpt-tdes.json: %w", err)
	}
	for _, g := range f.Groups {
		switch {
		case g.Type == "TdesDukptIpek" && k.tdesIKSN == "" && len(g.Tests) > 0:
			k.tdesIKSN = g.Tests[0].KSN
		case g.Type == "TdesDukptTransaction" && k.tdes == nil:
			k.tdesBDK, k.tdesIPEK, k.tdesPIN, k.tdesPAN, k.tdes = g.BDK, g.IPEK, g.PIN, g.PAN, g.Tests
		}
	}
	if b, err = vectors.Read("dukpt-aes.json"); err != nil {
		return k, err
	}
	f.Groups = nil
	if err := json.Unmarshal(b, &f); err != nil {
		return k, fmt.Errorf("dukpt-aes.json: %w", err)
	}
	for _, g := range f.Groups {
		if g.Type == "AesDukptTransaction" && k.aes == nil {
			k.aesBDK, k.aesIKID, k.aesIK, k.aesPIN, k.aesPAN = g.BDK, g.InitialKeyID, g.InitialKey, g.PIN, g.PAN
			for _, t := range g.Tests {
				if t.PINBlock != "" && t.PINKey != "" {
					k.aes = append(k.aes, t)
				}
			}
		}
	}
	if k.tdesIKSN == "" || len(k.tdes) == 0 || len(k.aes) == 0 {
		return k, fmt.Errorf("the embedded DUKPT vectors lack the transaction groups")
	}
	return k, nil
}

// testKey returns the suite's test key for s, to be loaded into the device.
func testKey(s scheme) (*keyCtx, error) {
	k := &keyCtx{s: s}
	v, err := knownAnswers()
	if err != nil {
		return nil, err
	}
	var bdkHex string
	switch s.bdkType {
	case dukpt.TDES2:
		bdkHex = v.tdesBDK
	case dukpt.AES128:
		bdkHex = v.aesBDK
	case dukpt.AES192:
		bdkHex = testBDK192
	case dukpt.AES256:
		bdkHex = testBDK256
	}
	if k.bdk, err = dukpt.ParseKey(s.bdkType, bdkHex); err != nil {
		return nil, err
	}
	if s.tdes() {
		if k.iksn, err = dukpt.ParseTDESKSN(v.tdesIKSN); err != nil {
			return nil, err
		}
		k.ik, err = dukpt.DeriveTDESIPEK(k.bdk, k.iksn)
		return k, err
	}
	if k.id, err = dukpt.ParseInitialKeyID(testIKID); err != nil {
		return nil, err
	}
	k.ik, err = dukpt.DeriveAESInitialKey(k.bdk, k.id)
	return k, err
}
