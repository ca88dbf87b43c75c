package emvcrypto_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/paycert/paycert/emvcrypto"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKey(t testing.TB, alg emvcrypto.Algorithm, s string) emvcrypto.Key {
	t.Helper()
	k, err := emvcrypto.NewKey(alg, mustHex(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const testIMK = "0123456789ABCDEFFEDCBA9876543210"

func TestKeyNeverPrintsBytes(t *testing.T) {
	raw := "0123456789ABCDEFFEDCBA9876543210"
	for _, alg := range []emvcrypto.Algorithm{emvcrypto.AlgTDES, emvcrypto.AlgSM4} {
		k := mustKey(t, alg, raw)
		kcv, _ := k.KCV(3)
		wantStr := fmt.Sprintf("%vKey(KCV %X)", alg, kcv)
		if got := k.String(); got != wantStr {
			t.Errorf("String = %q, want %q", got, wantStr)
		}
		holder := struct {
			Exported Key
			hidden   emvcrypto.Key
			ptr      *emvcrypto.Key
		}{k, k, &k}
		is, err := emvcrypto.NewIssuer(emvcrypto.Config{ICCMasterKey: k, PAN: "6299999999999999", CVN: emvcrypto.CVNPBOC})
		if err != nil {
			t.Fatal(err)
		}
		var logBuf bytes.Buffer
		slog.New(slog.NewTextHandler(&logBuf, nil)).Info("k", "key", k, "issuer", is, "holder", holder)
		slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("k", "key", k, "issuer", is)
		js, _ := json.Marshal(holder)
		outs := []string{logBuf.String(), string(js)}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d", "%T %v", "%10s"} {
			outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, holder), fmt.Sprintf(verb, is), fmt.Sprintf(verb, *is))
		}
		for _, o := range outs {
			lo := strings.ToLower(o)
			if strings.Contains(lo, strings.ToLower(raw[:12])) || strings.Contains(lo, "[1 35 69") || strings.Contains(o, "6299999999") {
				t.Errorf("%v: output leaks key or PAN: %s", alg, o)
			}
		}
	}
}

// Key is an alias used to embed a Key as an exported field above.
type Key = emvcrypto.Key

func TestKeyErrors(t *testing.T) {
	for _, c := range []struct {
		alg emvcrypto.Algorithm
		n   int
	}{{emvcrypto.AlgTDES, 8}, {emvcrypto.AlgTDES, 15}, {emvcrypto.AlgTDES, 32}, {emvcrypto.AlgSM4, 24}, {emvcrypto.AlgSM4, 0}, {0, 16}, {9, 16}} {
		if _, err := emvcrypto.NewKey(c.alg, make([]byte, c.n)); err == nil {
			t.Errorf("NewKey(%v, %d bytes) succeeded", c.alg, c.n)
		}
	}
	var zero emvcrypto.Key
	if !zero.IsZero() || zero.String() != "Key(invalid)" || zero.Bytes() != nil {
		t.Errorf("zero key: %v", zero)
	}
	if _, err := zero.KCV(3); err == nil {
		t.Error("KCV of zero key succeeded")
	}
	if _, err := emvcrypto.MAC(zero, nil, emvcrypto.PaddingMethod2); err == nil {
		t.Error("MAC with zero key succeeded")
	}
	if _, err := emvcrypto.DeriveICCMasterKey(zero, emvcrypto.OptionA, "1234", "00"); err == nil {
		t.Error("derive with zero key succeeded")
	}
	k := mustKey(t, emvcrypto.AlgTDES, testIMK)
	for _, n := range []int{0, -1, 9} {
		if _, err := k.KCV(n); err == nil {
			t.Errorf("KCV(%d) succeeded", n)
		}
	}
	if _, err := k.EncryptBlock(make([]byte, 16)); err == nil {
		t.Error("TDES EncryptBlock of 16 bytes succeeded")
	}
	k24 := mustKey(t, emvcrypto.AlgTDES, testIMK+"0011223344556677")
	if _, err := emvcrypto.MAC(k24, nil, emvcrypto.PaddingMethod2); err == nil {
		t.Error("MAC with 24-byte TDES key succeeded")
	}
	// A 24-byte IMK still yields a 16-byte ICC MK.
	mk, err := emvcrypto.DeriveICCMasterKey(k24, emvcrypto.OptionA, "1234567890123456", "01")
	if err != nil || mk.Len() != 16 {
		t.Errorf("derive from 24-byte IMK: %v, len %d", err, mk.Len())
	}
	// Bytes returns a copy; NewKey copies its input.
	in := mustHex(t, testIMK)
	k2, _ := emvcrypto.NewKey(emvcrypto.AlgTDES, in)
	in[0] ^= 0xFF
	b := k2.Bytes()
	b[1] ^= 0xFF
	if !k2.Equal(k) {
		t.Error("key changed through its input or Bytes slice")
	}
}

func TestAlgorithmPBOCIDs(t *testing.T) {
	for id, want := range map[byte]emvcrypto.Algorithm{0x01: emvcrypto.AlgTDES, 0x04: emvcrypto.AlgSM4} {
		got, err := emvcrypto.AlgorithmFromPBOCID(id)
		if err != nil || got != want {
			t.Errorf("AlgorithmFromPBOCID(%02X) = %v, %v", id, got, err)
		}
		back, err := want.PBOCID()
		if err != nil || back != id {
			t.Errorf("%v.PBOCID() = %02X, %v", want, back, err)
		}
	}
	for _, id := range []byte{0x00, 0x02, 0x03, 0x05, 0xFF} {
		if _, err := emvcrypto.AlgorithmFromPBOCID(id); err == nil {
			t.Errorf("AlgorithmFromPBOCID(%02X) succeeded", id)
		}
	}
}

// optionBReference is an independent formulation of EMV Book 2 A1.4.2 on
// the hex string of the digest.
func optionBReference(pan, psn string) string {
	x := pan + psn
	if len(x)%2 == 1 {
		x = "0" + x
	}
	bcd, _ := hex.DecodeString(x)
	sum := sha1.Sum(bcd)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var d strings.Builder
	for _, c := range h {
		if c <= '9' && d.Len() < 16 {
			d.WriteRune(c)
		}
	}
	for _, c := range h {
		if c >= 'A' && d.Len() < 16 {
			d.WriteByte(byte('0' + (c - 'A')))
		}
	}
	return d.String()
}

func TestOptionBDecimalisation(t *testing.T) {
	fallback := 0
	for i := 0; i < 20000 && fallback < 5; i++ {
		pan := fmt.Sprintf("12345678901%08d", i) // 19 digits
		sum := sha1.Sum(mustHex(t, "0"+pan+"00"))
		digits := 0
		for _, c := range hex.EncodeToString(sum[:]) {
			if c <= '9' {
				digits++
			}
		}
		if digits < 16 {
			fallback++
		} else if i >= 100 {
			continue // beyond the first 100, check only the A..F fallback cases
		}
		y, err := emvcrypto.MasterKeyDerivationData(emvcrypto.OptionB, pan, "00")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprintf("%X", y), optionBReference(pan, "00"); got != want {
			t.Errorf("PAN %s: Y = %s, want %s", pan, got, want)
		}
	}
	if fallback == 0 {
		t.Error("no PAN exercised the A..F fallback")
	}
	// Option B with a PAN of 16 digits or fewer is option A.
	a, _ := emvcrypto.MasterKeyDerivationData(emvcrypto.OptionA, "1234567890123456", "01")
	b, _ := emvcrypto.MasterKeyDerivationData(emvcrypto.OptionB, "1234567890123456", "01")
	if !bytes.Equal(a, b) || fmt.Sprintf("%X", a) != "3456789012345601" {
		t.Errorf("option A/B for a 16-digit PAN: %X %X", a, b)
	}
}

func TestMasterKeyDerivationDataErrors(t *testing.T) {
	for _, c := range []struct{ pan, psn string }{
		{"", "00"}, {"12345678901234567890", "00"}, {"1234 5678", "00"}, {"12345678", "1"}, {"12345678", "0A"}, {"12345678", "001"},
	} {
		if _, err := emvcrypto.MasterKeyDerivationData(emvcrypto.OptionA, c.pan, c.psn); err == nil {
			t.Errorf("%q/%q accepted", c.pan, c.psn)
		}
	}
	if _, err := emvcrypto.MasterKeyDerivationData(3, "1234567890123456", "00"); err == nil {
		t.Error("unknown option accepted")
	}
	// Empty PSN means 00; short PANs are left-padded.
	a, _ := emvcrypto.MasterKeyDerivationData(emvcrypto.OptionA, "1234", "")
	if fmt.Sprintf("%X", a) != "0000000000123400" {
		t.Errorf("short PAN: %X", a)
	}
}

func TestPad(t *testing.T) {
	cases := []struct {
		data string
		bs   int
		p    emvcrypto.Padding
		want string
	}{
		{"", 8, emvcrypto.PaddingMethod1, "0000000000000000"},
		{"01", 8, emvcrypto.PaddingMethod1, "0100000000000000"},
		{"0102030405060708", 8, emvcrypto.PaddingMethod1, "0102030405060708"},
		{"", 8, emvcrypto.PaddingMethod2, "8000000000000000"},
		{"0102030405060708", 8, emvcrypto.PaddingMethod2, "01020304050607088000000000000000"},
		{"01", 16, emvcrypto.PaddingMethod2, "01800000000000000000000000000000"},
	}
	for _, c := range cases {
		got, err := emvcrypto.Pad(mustHex(t, c.data), c.bs, c.p)
		if err != nil || fmt.Sprintf("%X", got) != c.want {
			t.Errorf("Pad(%s, %d, %v) = %X, %v; want %s", c.data, c.bs, c.p, got, err, c.want)
		}
	}
	if _, err := emvcrypto.Pad(nil, 12, emvcrypto.PaddingMethod1); err == nil {
		t.Error("block size 12 accepted")
	}
	if _, err := emvcrypto.Pad(nil, 8, 3); err == nil {
		t.Error("padding 3 accepted")
	}
}

func TestSM4Constructions(t *testing.T) {
	// The SM4 constructions, recomputed from EncryptBlock.
	imk := mustKey(t, emvcrypto.AlgSM4, testIMK)
	mk, err := emvcrypto.DeriveICCMasterKey(imk, emvcrypto.OptionA, "6299999999999999", "00")
	if err != nil {
		t.Fatal(err)
	}
	y := mustHex(t, "9999999999999900")
	block := append(bytes.Clone(y), make([]byte, 8)...)
	for i := range 8 {
		block[8+i] = ^y[i]
	}
	want, _ := imk.EncryptBlock(block)
	if !bytes.Equal(mk.Bytes(), want) {
		t.Errorf("SM4 ICC MK = %X, want SM4(IMK, Y||~Y) = %X", mk.Bytes(), want)
	}
	// PBOC session key: one block, ATC and its complement right-aligned.
	sk, err := emvcrypto.DeriveSessionKey(mk, emvcrypto.SessionKeyPBOC, []byte{0x0A, 0xDC}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ = mk.EncryptBlock(mustHex(t, "0000000000000ADC000000000000F523"))
	if !bytes.Equal(sk.Bytes(), want) {
		t.Errorf("SM4 PBOC SK = %X, want %X", sk.Bytes(), want)
	}
	// The EMV common session key in its SM4 form (used by no version).
	csk, err := emvcrypto.DeriveSessionKey(mk, emvcrypto.SessionKeyCommon, []byte{0x0A, 0xDC}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ = mk.EncryptBlock(mustHex(t, "0ADCF000000000000ADC0F0000000000"))
	if !bytes.Equal(csk.Bytes(), want) {
		t.Errorf("SM4 common SK = %X, want %X", csk.Bytes(), want)
	}
	// CBC-MAC, 16-byte blocks, truncated to 8 bytes.
	data := mustHex(t, "00112233445566778899AABBCCDDEEFF01")
	mac, err := emvcrypto.MAC(sk, data, emvcrypto.PaddingMethod2)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := sk.EncryptBlock(data[:16])
	last := mustHex(t, "01800000000000000000000000000000")
	for i := range last {
		last[i] ^= h[i]
	}
	h, _ = sk.EncryptBlock(last)
	if !bytes.Equal(mac, h[:8]) {
		t.Errorf("SM4 MAC = %X, want %X", mac, h[:8])
	}
	arpc, err := emvcrypto.ARPC1(sk, mac, []byte{0x30, 0x30})
	if err != nil {
		t.Fatal(err)
	}
	x := append(bytes.Clone(mac), make([]byte, 8)...)
	x[0] ^= 0x30
	x[1] ^= 0x30
	h, _ = sk.EncryptBlock(x)
	if !bytes.Equal(arpc, h[:8]) {
		t.Errorf("SM4 ARPC1 = %X, want %X", arpc, h[:8])
	}
	kcv, _ := sk.KCV(16)
	z, _ := sk.EncryptBlock(make([]byte, 16))
	if !bytes.Equal(kcv, z) {
		t.Error("SM4 KCV is not E(K, 0)")
	}
}

func TestARPCErrors(t *testing.T) {
	k := mustKey(t, emvcrypto.AlgTDES, testIMK)
	if _, err := emvcrypto.ARPC1(k, make([]byte, 7), make([]byte, 2)); err == nil {
		t.Error("7-byte ARQC accepted")
	}
	if _, err := emvcrypto.ARPC1(k, make([]byte, 8), make([]byte, 3)); err == nil {
		t.Error("3-byte ARC accepted")
	}
	if _, err := emvcrypto.ARPC2(k, make([]byte, 8), make([]byte, 3), nil); err == nil {
		t.Error("3-byte CSU accepted")
	}
	if _, err := emvcrypto.ARPC2(k, make([]byte, 8), make([]byte, 4), make([]byte, 9)); err == nil {
		t.Error("9-byte proprietary data accepted")
	}
}

func TestACTypes(t *testing.T) {
	for cid, want := range map[byte]emvcrypto.ACType{0x00: emvcrypto.ACTypeAAC, 0x40: emvcrypto.ACTypeTC, 0x80: emvcrypto.ACTypeARQC, 0xC0: emvcrypto.ACTypeUnknown, 0x88: emvcrypto.ACTypeARQC} {
		if got := emvcrypto.ACTypeFromCID(cid); got != want {
			t.Errorf("ACTypeFromCID(%02X) = %v, want %v", cid, got, want)
		}
	}
	// PBOC: 9F10[4] bits 6-5.
	for cvr1, want := range map[byte]emvcrypto.ACType{0x80: emvcrypto.ACTypeAAC, 0x90: emvcrypto.ACTypeTC, 0xA0: emvcrypto.ACTypeARQC, 0xB0: emvcrypto.ACTypeUnknown} {
		iad := mustHex(t, "07010103"+fmt.Sprintf("%02X", cvr1)+"000001")
		p, err := emvcrypto.ParseIAD(emvcrypto.CVNPBOC, iad)
		if err != nil || p.ACType != want || p.SecondACType != emvcrypto.ACTypeUnknown {
			t.Errorf("PBOC CVR %02X: %v/%v, %v; want %v", cvr1, p.ACType, p.SecondACType, err, want)
		}
	}
	// Second GENERATE AC TC on a Visa card; Mastercard reads 9F10[2].
	p, err := emvcrypto.ParseIAD(emvcrypto.CVNVisa18, mustHex(t, "06011203 60 B800"))
	if err != nil || p.ACType != emvcrypto.ACTypeARQC || p.SecondACType != emvcrypto.ACTypeTC {
		t.Errorf("Visa CVR 60: %v/%v %v", p.ACType, p.SecondACType, err)
	}
	p, err = emvcrypto.ParseIAD(emvcrypto.CVNMastercard16, mustHex(t, "0110 900003220000 0000 0000000000000000"))
	if err != nil || p.ACType != emvcrypto.ACTypeTC {
		t.Errorf("Mastercard CVR 90: %v %v", p.ACType, err)
	}
}

func TestCVNRegistry(t *testing.T) {
	for _, c := range emvcrypto.CVNs() {
		info, ok := c.Info()
		if !ok || info.CVN != c || info.Name == "" || info.IADData == nil || len(info.Algorithms) == 0 {
			t.Errorf("%v: incomplete registry entry %+v", c, info)
		}
		if back, ok := emvcrypto.LookupCVN(info.Scheme, info.Number); !ok || back != c {
			t.Errorf("LookupCVN(%v, %02X) = %v", info.Scheme, info.Number, back)
		}
		info.Algorithms[0] = 99 // must not alter the registry
	}
	if info, _ := emvcrypto.CVNPBOC.Info(); info.Algorithms[0] != emvcrypto.AlgTDES {
		t.Error("registry modified through Info")
	}
	if _, ok := emvcrypto.CVN(0).Info(); ok {
		t.Error("CVN 0 has info")
	}
	if _, ok := emvcrypto.CVN(200).Info(); ok {
		t.Error("CVN 200 has info")
	}
}

// mcVector returns the cvn-mc-16 case of the arqc group.
func mcVector(t *testing.T) vecTest {
	for _, g := range loadVectors(t).TestGroups {
		for _, c := range g.Tests {
			if g.Type == "arqc" && c.SourceID == "cvn-mc-16" && hasFlag(c, "published") {
				return c
			}
		}
	}
	t.Fatal("cvn-mc-16 not in vectors")
	return vecTest{}
}

// TestMastercardCVN17 sets up Mastercard CVN 17 with TDES keys on the
// published cvn-mc-16 inputs: the SKD session key and the ICC master key
// must match the published check values, the ARPC (method 1 with the ICC
// MK, as for CVN 16) of the published ARQC must match the published ARPC,
// and the CVN 17 cryptogram must round-trip.
func TestMastercardCVN17(t *testing.T) {
	c := mcVector(t)
	v := vt{T: t, c: c, gr: vecGroup{KCVLength: 2}}
	tags := v.tagMap()
	iad16 := mustHex(t, c.IAD) // published 9F10 of the CVN 16 case
	iad17 := bytes.Clone(iad16)
	iad17[1] = 0x11
	tags[emvcrypto.TagIAD] = iad17
	tx := emvcrypto.TxDataFromTags(tags)

	is, err := emvcrypto.NewIssuer(emvcrypto.Config{
		IMK: mustKey(t, emvcrypto.AlgTDES, c.IMK), Option: emvcrypto.OptionA, PAN: c.PAN, PSN: c.PSN, CVN: emvcrypto.CVNMastercard17,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := v.kcvHex(is.ICCMasterKey()); got != "BAB0" {
		t.Errorf("ICC MK KCV = %s, want BAB0 (published for this IMK/PAN/PSN)", got)
	}
	sk, err := is.SessionKey(tx)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.kcvHex(sk); got != c.SKKCV {
		t.Errorf("SKD session key KCV = %s, want published %s", got, c.SKKCV)
	}
	// ARPC of the published CVN 16 ARQC, through the CVN 17 issuer.
	var arpcCase *vecTest
	for _, g := range loadVectors(t).TestGroups {
		for i, a := range g.Tests {
			if g.Type == "arpc1" && a.SourceID == "cvn-mc-16" {
				arpcCase = &g.Tests[i]
			}
		}
	}
	if arpcCase == nil {
		t.Fatal("no published ARPC for cvn-mc-16")
	}
	arpc, err := is.ARPC(tx, mustHex(t, arpcCase.ARQC), emvcrypto.ARPCParams{ARC: mustHex(t, arpcCase.ARC)})
	if err != nil || fmt.Sprintf("%X", arpc) != arpcCase.ARPC {
		t.Errorf("ARPC = %X, %v; want published %s", arpc, err, arpcCase.ARPC)
	}

	ac, err := is.ComputeAC(tx)
	if err != nil {
		t.Fatal(err)
	}
	if err := is.VerifyAC(tx, ac); err != nil {
		t.Errorf("VerifyAC: %v", err)
	}
	// The CVN 17 input is the CVN 16 input plus the counters.
	in17, _ := emvcrypto.ACInput(emvcrypto.CVNMastercard17, tx)
	tx16 := tx
	tx16.IAD = iad16
	in16, _ := emvcrypto.ACInput(emvcrypto.CVNMastercard16, tx16)
	if !bytes.Equal(in17, append(bytes.Clone(in16), iad16[10:18]...)) {
		t.Errorf("CVN 17 input %X is not CVN 16 input %X + counters", in17, in16)
	}
	// A CVN 16 IAD is rejected by the CVN 17 issuer.
	if err := is.VerifyAC(tx16, ac); err == nil || errors.Is(err, emvcrypto.ErrACMismatch) {
		t.Errorf("VerifyAC with a CVN 16 IAD = %v, want a version error", err)
	}
	// A changed counter byte changes the cryptogram.
	tx.IAD = bytes.Clone(iad17)
	tx.IAD[17] ^= 1
	if err := is.VerifyAC(tx, ac); !errors.Is(err, emvcrypto.ErrACMismatch) {
		t.Errorf("VerifyAC with changed counters = %v", err)
	}
}

func pbocTx(t testing.TB, algID byte) emvcrypto.TxData {
	iad := mustHex(t, "07010103A00000010A010000038787868FD1FC")
	iad[7] = algID
	return emvcrypto.TxData{
		AmountAuthorised: mustHex(t, "000000000100"), AmountOther: mustHex(t, "000000000000"),
		TerminalCountryCode: mustHex(t, "0156"), TVR: mustHex(t, "0000000000"), CurrencyCode: mustHex(t, "0156"),
		TransactionDate: mustHex(t, "170601"), TransactionType: mustHex(t, "00"), UnpredictableNumber: mustHex(t, "2B29EBE4"),
		AIP: mustHex(t, "7C00"), ATC: mustHex(t, "0ADC"), IAD: iad,
	}
}

func TestIssuerErrors(t *testing.T) {
	tdes := mustKey(t, emvcrypto.AlgTDES, testIMK)
	sm4k := mustKey(t, emvcrypto.AlgSM4, testIMK)
	bad := []emvcrypto.Config{
		{IMK: tdes, Option: emvcrypto.OptionA, PAN: "6299999999999999", CVN: 0},
		{Option: emvcrypto.OptionA, PAN: "6299999999999999", CVN: emvcrypto.CVNPBOC},
		{IMK: tdes, ICCMasterKey: tdes, PAN: "6299999999999999", CVN: emvcrypto.CVNPBOC},
		{IMK: tdes, Option: emvcrypto.OptionA, PAN: "62999X", CVN: emvcrypto.CVNPBOC},
		{IMK: sm4k, Option: emvcrypto.OptionA, PAN: "6299999999999999", CVN: emvcrypto.CVNVisa18},
		{ICCMasterKey: mustKey(t, emvcrypto.AlgTDES, testIMK+testIMK[:16]), CVN: emvcrypto.CVNVisa18},
	}
	for i, cfg := range bad {
		if _, err := emvcrypto.NewIssuer(cfg); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
	is, err := emvcrypto.NewIssuer(emvcrypto.Config{IMK: tdes, Option: emvcrypto.OptionA, PAN: "6299999999999999", PSN: "00", CVN: emvcrypto.CVNPBOC})
	if err != nil {
		t.Fatal(err)
	}
	tx := pbocTx(t, 0x01)
	ac, err := is.ComputeAC(tx)
	if err != nil {
		t.Fatal(err)
	}
	// SM4 algorithm id in the IAD with a TDES issuer.
	if _, err := is.ComputeAC(pbocTx(t, 0x04)); err == nil {
		t.Error("IAD algorithm 04 accepted by a TDES issuer")
	}
	if err := is.VerifyAC(tx, ac[:7]); err == nil || errors.Is(err, emvcrypto.ErrACMismatch) {
		t.Errorf("7-byte AC: %v", err)
	}
	short := tx
	short.TVR = short.TVR[:4]
	if _, err := is.ComputeAC(short); err == nil || !strings.Contains(err.Error(), "95") {
		t.Errorf("short TVR: %v", err)
	}
	ac[0] ^= 0x80
	err = is.VerifyAC(tx, ac)
	if !errors.Is(err, emvcrypto.ErrACMismatch) || !strings.Contains(err.Error(), "ARQC mismatch") {
		t.Fatalf("mismatch error = %v", err)
	}
	ac[0] ^= 0x80
	// The mismatch message must not reveal the expected cryptogram.
	ac2 := bytes.Clone(ac)
	ac2[3] ^= 0x01
	err = is.VerifyAC(tx, ac2)
	for _, s := range []string{fmt.Sprintf("%X", ac), fmt.Sprintf("%x", ac), strconv.Quote(string(ac))} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q reveals the expected AC", err)
		}
	}
}

func TestCardAndIssuerAgree(t *testing.T) {
	// The card holds only its ICC MK; the issuer derives it from the IMK.
	for _, alg := range []emvcrypto.Algorithm{emvcrypto.AlgTDES, emvcrypto.AlgSM4} {
		imk := mustKey(t, alg, testIMK)
		issuer, err := emvcrypto.NewIssuer(emvcrypto.Config{IMK: imk, Option: emvcrypto.OptionA, PAN: "6299999999999999", PSN: "01", CVN: emvcrypto.CVNPBOC})
		if err != nil {
			t.Fatal(err)
		}
		card, err := emvcrypto.NewIssuer(emvcrypto.Config{ICCMasterKey: issuer.ICCMasterKey(), CVN: emvcrypto.CVNPBOC})
		if err != nil {
			t.Fatal(err)
		}
		id, _ := alg.PBOCID()
		tx := pbocTx(t, id)
		ac, err := card.ComputeAC(tx)
		if err != nil {
			t.Fatal(err)
		}
		if err := issuer.VerifyAC(tx, ac); err != nil {
			t.Errorf("%v: %v", alg, err)
		}
		p := emvcrypto.ARPCParams{ARC: []byte("00")}
		arpc, err := issuer.ARPC(tx, ac, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := card.VerifyARPC(tx, ac, p, arpc); err != nil {
			t.Errorf("%v: card rejects ARPC: %v", alg, err)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	is, err := emvcrypto.NewIssuer(emvcrypto.Config{IMK: mustKey(t, emvcrypto.AlgSM4, testIMK), Option: emvcrypto.OptionA, PAN: "6299999999999999", CVN: emvcrypto.CVNPBOC})
	if err != nil {
		t.Fatal(err)
	}
	tx := pbocTx(t, 0x04)
	want, _ := is.ComputeAC(tx)
	done := make(chan error)
	for range 8 {
		go func() {
			var err error
			for range 50 {
				if err = is.VerifyAC(tx, want); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestPBOCSessionKeyArguments(t *testing.T) {
	mk := mustKey(t, emvcrypto.AlgTDES, testIMK)
	for _, atc := range [][]byte{nil, {0x01}, {0x00, 0x01, 0x02}} {
		if _, err := emvcrypto.DerivePBOCSessionKey(mk, atc); err == nil {
			t.Errorf("DerivePBOCSessionKey(ATC %X) succeeded", atc)
		}
	}
	if _, err := emvcrypto.DerivePBOCSessionKey(emvcrypto.Key{}, []byte{0, 1}); err == nil {
		t.Error("DerivePBOCSessionKey(zero key) succeeded")
	}
	if _, err := emvcrypto.SessionKeyDiversifier(emvcrypto.SessionKeyPBOC, []byte{0, 1}, nil); err == nil {
		t.Error("SessionKeyDiversifier(PBOC) returned an R")
	}
	if got := emvcrypto.SessionKeyPBOC.String(); got != "pboc(ATC)" {
		t.Errorf("SessionKeyPBOC.String() = %q", got)
	}
	// Through DeriveSessionKey, equal to the direct call.
	a, err1 := emvcrypto.DeriveSessionKey(mk, emvcrypto.SessionKeyPBOC, []byte{0x02, 0x40}, nil)
	b, err2 := emvcrypto.DerivePBOCSessionKey(mk, []byte{0x02, 0x40})
	if err1 != nil || err2 != nil || !a.Equal(b) {
		t.Errorf("DeriveSessionKey(PBOC) and DerivePBOCSessionKey differ: %v, %v", err1, err2)
	}
}
