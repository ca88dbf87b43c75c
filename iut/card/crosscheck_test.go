package card_test

// The reference card computes its cryptograms through emvcrypto, and the
// conformance suite verifies them through emvcrypto: a wrong reading in
// emvcrypto would make both agree and go unnoticed. This file checks the
// card's cryptograms against a second, minimal PBOC implementation written
// here directly on crypto/des, crypto/cipher and the SM4 block cipher,
// which shares no code with emvcrypto and is itself anchored to the
// published PBOC vectors in vectors/emv-arqc.json.

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm4"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/terminal"
	"github.com/paycert/paycert/tlv"
	"github.com/paycert/paycert/vectors"
)

// indep is the independent PBOC computation for one algorithm.
type indep struct {
	sm4 bool
}

func (x indep) block(t *testing.T, key []byte) cipher.Block {
	t.Helper()
	var (
		b   cipher.Block
		err error
	)
	if x.sm4 {
		b, err = sm4.NewCipher(key)
	} else {
		b, err = des.NewTripleDESCipher(slices.Concat(key, key[:8]))
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// split encrypts left ‖ right: two 8-byte TDES blocks, or one SM4 block.
func (x indep) split(t *testing.T, key, left, right []byte) []byte {
	b := x.block(t, key)
	out := slices.Concat(left, right)
	if x.sm4 {
		b.Encrypt(out, out)
	} else {
		b.Encrypt(out[:8], out[:8])
		b.Encrypt(out[8:], out[8:])
	}
	return out
}

// iccMK is EMV option A: Y = rightmost 16 digits of PAN ‖ PSN.
func (x indep) iccMK(t *testing.T, imk []byte, pan, psn string) []byte {
	d := pan + psn
	if len(d) > 16 {
		d = d[len(d)-16:]
	}
	y := mustHex(t, strings.Repeat("0", 16-len(d))+d)
	ny := make([]byte, 8)
	for i := range y {
		ny[i] = ^y[i]
	}
	return x.split(t, imk, y, ny)
}

// pbocSK is the PBOC session key: 00×6 ‖ ATC and 00×6 ‖ (ATC ⊕ FFFF).
func (x indep) pbocSK(t *testing.T, mk, atc []byte) []byte {
	return x.split(t, mk, append(make([]byte, 6), atc...), append(make([]byte, 6), ^atc[0], ^atc[1]))
}

// commonSK is the EMV common session key with R = ATC ‖ 00×6.
func (x indep) commonSK(t *testing.T, mk, atc []byte) []byte {
	l := append(slices.Clone(atc), 0xF0, 0, 0, 0, 0, 0)
	r := append(slices.Clone(atc), 0x0F, 0, 0, 0, 0, 0)
	return x.split(t, mk, l, r)
}

// mac is padding method 2, then ISO/IEC 9797-1 algorithm 3 with single DES
// halves (TDES) or a zero-IV CBC-MAC over 16-byte blocks cut to 8 bytes
// (SM4).
func (x indep) mac(t *testing.T, sk, data []byte) []byte {
	bs := 8
	if x.sm4 {
		bs = 16
	}
	p := append(slices.Clone(data), 0x80)
	for len(p)%bs != 0 {
		p = append(p, 0)
	}
	if x.sm4 {
		out := make([]byte, len(p))
		cipher.NewCBCEncrypter(x.block(t, sk), make([]byte, 16)).CryptBlocks(out, p)
		return out[len(out)-16 : len(out)-8]
	}
	k1, err1 := des.NewCipher(sk[:8])
	k2, err2 := des.NewCipher(sk[8:16])
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	out := make([]byte, len(p))
	cipher.NewCBCEncrypter(k1, make([]byte, 8)).CryptBlocks(out, p)
	h := out[len(out)-8:]
	k2.Decrypt(h, h)
	k1.Encrypt(h, h)
	return h
}

// arpc1 is TDES ARPC method 1: E(K, ARQC ⊕ (ARC ‖ 00×6)).
func (x indep) arpc1(t *testing.T, sk, arqc, arc []byte) []byte {
	v := slices.Clone(arqc)
	v[0] ^= arc[0]
	v[1] ^= arc[1]
	x.block(t, sk).Encrypt(v, v)
	return v
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pbocCase is a published PBOC case of vectors/emv-arqc.json.
type pbocCase struct {
	TcID       int         `json:"tcId"`
	SourceID   string      `json:"sourceId"`
	Flags      []string    `json:"flags"`
	Alg        string      `json:"alg"`
	IMK        string      `json:"imk"`
	PAN        string      `json:"pan"`
	PSN        string      `json:"psn"`
	Tags       [][2]string `json:"tags"`
	Data       string      `json:"data"`
	ICCMK      string      `json:"iccMk"`
	SessionKey string      `json:"sessionKey"`
	AC         string      `json:"ac"`
	ARQC       string      `json:"arqc"`
	ARC        string      `json:"arc"`
	ARPC       string      `json:"arpc"`
	Result     string      `json:"result"`
}

// TestIndependentPBOCReproducesPublishedVectors anchors the independent
// computation: it must reproduce every published PBOC value.
func TestIndependentPBOCReproducesPublishedVectors(t *testing.T) {
	b, err := vectors.Read("emv-arqc.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		TestGroups []struct {
			Type  string     `json:"type"`
			Tests []pbocCase `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, g := range f.TestGroups {
		for _, c := range g.Tests {
			if !slices.Contains(c.Flags, "published") || !slices.Contains(c.Flags, "pboc") {
				continue
			}
			t.Run(fmt.Sprintf("tcId-%d-%s", c.TcID, c.SourceID), func(t *testing.T) {
				x := indep{sm4: c.Alg == "SM4"}
				mk := x.iccMK(t, mustHex(t, c.IMK), c.PAN, c.PSN)
				if c.ICCMK != "" && !strings.EqualFold(fmt.Sprintf("%X", mk), c.ICCMK) {
					t.Errorf("ICC MK %X, published %s", mk, c.ICCMK)
				}
				seen[c.Alg+" "+g.Type]++
				if g.Type == "icc_mk" {
					return
				}
				var atc []byte
				for _, tv := range c.Tags {
					if tv[0] == "9F36" {
						atc = mustHex(t, tv[1])
					}
				}
				if len(atc) != 2 {
					t.Fatal("no ATC in the case")
				}
				sk := x.pbocSK(t, mk, atc)
				if c.SessionKey != "" && !strings.EqualFold(fmt.Sprintf("%X", sk), c.SessionKey) {
					t.Errorf("session key %X, published %s", sk, c.SessionKey)
				}
				switch g.Type {
				case "arqc":
					if got := fmt.Sprintf("%X", x.mac(t, sk, mustHex(t, c.Data))); !strings.EqualFold(got, c.AC) {
						t.Errorf("ARQC %s, published %s", got, c.AC)
					}
					if got := fmt.Sprintf("%X", x.mac(t, x.commonSK(t, mk, atc), mustHex(t, c.Data))); strings.EqualFold(got, c.AC) {
						t.Errorf("the EMV common session key reproduces the published ARQC %s", c.AC)
					}
				case "arpc1":
					got := fmt.Sprintf("%X", x.arpc1(t, sk, mustHex(t, c.ARQC), mustHex(t, c.ARC)))
					if !strings.EqualFold(got, c.ARPC) {
						t.Errorf("ARPC %s, published %s", got, c.ARPC)
					}
				}
			})
		}
	}
	for _, want := range []string{"SM4 icc_mk", "SM4 arqc", "TDES arqc", "TDES arpc1"} {
		if seen[want] == 0 {
			t.Errorf("no published PBOC %s case checked", want)
		}
	}
}

// gpo runs one qPBOC transaction up to the GPO cryptogram.
func gpo(t *testing.T, c *card.Card, tx terminal.Tx) terminal.GPOResult {
	t.Helper()
	k := terminal.Terminal{X: exchanger{t, c}}
	if _, err := k.SelectPPSE(); err != nil {
		t.Fatal(err)
	}
	fci, err := k.SelectAID(card.AIDDebit)
	if err != nil {
		t.Fatal(err)
	}
	g, err := k.GPO(fci.PDOL, tx)
	if err != nil {
		t.Fatal(err)
	}
	if g.Cryptogram == nil {
		t.Fatal("GPO returned no cryptogram")
	}
	return g
}

// independentAC recomputes the card's GPO cryptogram with the independent
// implementation, with the PBOC session key or (common) the EMV common
// session key.
func independentAC(t *testing.T, p card.Profile, tx terminal.Tx, g terminal.GPOResult, common bool) []byte {
	t.Helper()
	x := indep{sm4: p.Algorithm == emvcrypto.AlgSM4}
	mk := x.iccMK(t, p.IMK, p.Token, fmt.Sprintf("%02X", p.PSN))
	atc := []byte{byte(g.Cryptogram.ATC >> 8), byte(g.Cryptogram.ATC)}
	sk := x.pbocSK(t, mk, atc)
	if common {
		sk = x.commonSK(t, mk, atc)
	}
	vals := tx.Values()
	var data []byte
	for _, tag := range []tlv.Tag{0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37} {
		data = append(data, vals[tag]...)
	}
	if len(g.Cryptogram.IAD) < 8 {
		t.Fatalf("IAD %X too short", g.Cryptogram.IAD)
	}
	data = slices.Concat(data, g.AIP, atc, g.Cryptogram.IAD[3:7])
	if len(data) != 37 {
		t.Fatalf("AC input %X is %d bytes, want 37", data, len(data))
	}
	return x.mac(t, sk, data)
}

// TestCardCryptogramsIndependent checks the reference card's GPO
// cryptograms, TDES and SM4, against the independent computation, and that
// fault csk-session-key computes them with the EMV common session key.
func TestCardCryptogramsIndependent(t *testing.T) {
	for _, alg := range []emvcrypto.Algorithm{emvcrypto.AlgTDES, emvcrypto.AlgSM4} {
		for _, fault := range []string{"", string(card.FaultCSKSessionKey)} {
			t.Run(fmt.Sprintf("%v/fault=%q", alg, fault), func(t *testing.T) {
				p := card.DefaultProfile()
				p.Algorithm = alg
				c, err := card.New(p, fault)
				if err != nil {
					t.Fatal(err)
				}
				for i, amount := range []uint64{500, 12345, 99} {
					tx := terminal.Tx{TTQ: [4]byte{0x36, 0x80, 0, 0}, Amount: amount, Country: 0x0156, Currency: 0x0156,
						Date: [3]byte{0x26, 0x01, 0x15}, UN: [4]byte{0x12, 0x34, byte(i), 0x78}, TermType: 0x22}
					g := gpo(t, c, tx)
					ac := g.Cryptogram.AC
					pboc := independentAC(t, p, tx, g, false)
					csk := independentAC(t, p, tx, g, true)
					if fault == "" && !bytes.Equal(ac, pboc) {
						t.Errorf("ATC %04X: card AC %X, independent PBOC computation %X", g.Cryptogram.ATC, ac, pboc)
					}
					if fault != "" && (bytes.Equal(ac, pboc) || !bytes.Equal(ac, csk)) {
						t.Errorf("ATC %04X: faulty card AC %X, want the common-session-key AC %X (PBOC AC %X)", g.Cryptogram.ATC, ac, csk, pboc)
					}
				}
			})
		}
	}
}
