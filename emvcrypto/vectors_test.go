package emvcrypto_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/vectors"
)

const vectorFile = "emv-arqc.json"

type vecFile struct {
	Algorithm     string            `json:"algorithm"`
	Notes         map[string]string `json:"notes"`
	NumberOfTests int               `json:"numberOfTests"`
	TestGroups    []vecGroup        `json:"testGroups"`
}

type vecGroup struct {
	Type      string    `json:"type"`
	Alg       string    `json:"alg"`
	KCVLength int       `json:"kcvLength"`
	Tests     []vecTest `json:"tests"`
}

type vecParsed struct {
	Scheme       string `json:"scheme"`
	DKI          string `json:"dki"`
	CVN          string `json:"cvn"`
	CVNName      string `json:"cvnName"`
	CVR          string `json:"cvr"`
	AlgorithmID  string `json:"algorithmId"`
	Algorithm    string `json:"algorithm"`
	ACType       string `json:"acType"`
	SecondACType string `json:"secondAcType"`
	IDD          string `json:"idd"`
}

type vecTest struct {
	TcID       int             `json:"tcId"`
	Comment    string          `json:"comment"`
	SourceID   string          `json:"sourceId"`
	Flags      []string        `json:"flags"`
	Provenance json.RawMessage `json:"provenance"`

	Alg          string      `json:"alg"`
	CVN          string      `json:"cvn"`
	IMK          string      `json:"imk"`
	Method       string      `json:"method"`
	PAN          string      `json:"pan"`
	PSN          string      `json:"psn"`
	MK           string      `json:"mk"`
	SKMode       string      `json:"skMode"`
	R            string      `json:"r"`
	SK           string      `json:"sk"`
	Key          string      `json:"key"`
	K1           string      `json:"k1"`
	K2           string      `json:"k2"`
	Data         string      `json:"data"`
	DataASCII    string      `json:"dataAscii"`
	Padding      int         `json:"padding"`
	Tags         [][2]string `json:"tags"`
	IAD          string      `json:"iad"`
	ARQC         string      `json:"arqc"`
	ARPCKey      string      `json:"arpcKey"`
	ARC          string      `json:"arc"`
	CSU          string      `json:"csu"`
	PropAuthData *string     `json:"propAuthData"`
	Msg          string      `json:"msg"`
	Iterations   int         `json:"iterations"`

	ICCMK      string     `json:"iccMk"`
	ICCMKKCV   string     `json:"iccMkKcv"`
	SessionKey string     `json:"sessionKey"`
	SKKCV      string     `json:"skKcv"`
	KCV        string     `json:"kcv"`
	MAC        string     `json:"mac"`
	AC         string     `json:"ac"`
	ARPC       string     `json:"arpc"`
	CT         string     `json:"ct"`
	Parsed     *vecParsed `json:"parsed"`

	Result string `json:"result"`
}

func loadVectors(t testing.TB) vecFile {
	t.Helper()
	b, err := vectors.Read(vectorFile)
	if err != nil {
		t.Fatalf("read %s: %v", vectorFile, err)
	}
	var f vecFile
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&f); err != nil {
		t.Fatalf("decode %s: %v", vectorFile, err)
	}
	return f
}

var cvnNames = map[string]emvcrypto.CVN{
	"visa10": emvcrypto.CVNVisa10, "visa18": emvcrypto.CVNVisa18, "visa22": emvcrypto.CVNVisa22,
	"mc16": emvcrypto.CVNMastercard16, "mc17": emvcrypto.CVNMastercard17,
	"mc20": emvcrypto.CVNMastercard20, "mc21": emvcrypto.CVNMastercard21, "pboc": emvcrypto.CVNPBOC,
}

// vt wraps a test case with decoding helpers that fail the test on bad
// vector data.
type vt struct {
	*testing.T
	c  vecTest
	gr vecGroup
}

func (v vt) hex(s string) []byte {
	v.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		v.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func (v vt) key(alg emvcrypto.Algorithm, s string) emvcrypto.Key {
	v.Helper()
	k, err := emvcrypto.NewKey(alg, v.hex(s))
	if err != nil {
		v.Fatalf("NewKey: %v", err)
	}
	return k
}

func (v vt) alg() emvcrypto.Algorithm {
	switch v.c.Alg {
	case "", "TDES":
		return emvcrypto.AlgTDES
	case "SM4":
		return emvcrypto.AlgSM4
	}
	v.Fatalf("unknown alg %q", v.c.Alg)
	return 0
}

func (v vt) option() emvcrypto.DerivationOption {
	switch v.c.Method {
	case "A":
		return emvcrypto.OptionA
	case "B":
		return emvcrypto.OptionB
	}
	v.Fatalf("unknown method %q", v.c.Method)
	return 0
}

func (v vt) cvn() emvcrypto.CVN {
	c, ok := cvnNames[v.c.CVN]
	if !ok {
		v.Fatalf("unknown cvn %q", v.c.CVN)
	}
	return c
}

func (v vt) kcvHex(k emvcrypto.Key) string {
	v.Helper()
	kcv, err := k.KCV(v.gr.KCVLength)
	if err != nil {
		v.Fatalf("KCV: %v", err)
	}
	return fmt.Sprintf("%X", kcv)
}

// tagMap returns the real tags of the case (pseudo tags such as
// "CVR(from 9F10)" are skipped), plus t.IAD as 9F10 if set.
func (v vt) tagMap() map[uint32][]byte {
	m := map[uint32][]byte{}
	for _, tv := range v.c.Tags {
		tag, err := strconv.ParseUint(tv[0], 16, 32)
		if err != nil {
			continue
		}
		m[uint32(tag)] = v.hex(tv[1])
	}
	if v.c.IAD != "" {
		m[emvcrypto.TagIAD] = v.hex(v.c.IAD)
	}
	return m
}

func (v vt) tx() emvcrypto.TxData { return emvcrypto.TxDataFromTags(v.tagMap()) }

// concatTags implements the vector convention: AC input = the listed tag
// values in order.
func (v vt) concatTags() []byte {
	var out []byte
	for _, tv := range v.c.Tags {
		out = append(out, v.hex(tv[1])...)
	}
	return out
}

func (v vt) iccMK() emvcrypto.Key {
	v.Helper()
	mk, err := emvcrypto.DeriveICCMasterKey(v.key(v.alg(), v.c.IMK), v.option(), v.c.PAN, v.c.PSN)
	if err != nil {
		v.Fatalf("DeriveICCMasterKey: %v", err)
	}
	return mk
}

// sessionKey returns the AC key per the arqc group conventions.
func (v vt) sessionKey() emvcrypto.Key {
	v.Helper()
	if v.c.SK != "" {
		return v.key(v.alg(), v.c.SK)
	}
	mk := v.iccMK()
	tags := v.tagMap()
	var (
		sk  emvcrypto.Key
		err error
	)
	switch v.c.SKMode {
	case "none":
		return mk
	case "csk_r":
		sk, err = emvcrypto.DeriveCommonSessionKey(mk, v.hex(v.c.R))
	case "csk_atc":
		sk, err = emvcrypto.DeriveSessionKey(mk, emvcrypto.SessionKeyCommon, tags[emvcrypto.TagATC], nil)
	case "mc_skd":
		sk, err = emvcrypto.DeriveSessionKey(mk, emvcrypto.SessionKeyMastercard, tags[emvcrypto.TagATC], tags[emvcrypto.TagUnpredictableNumber])
	case "pboc":
		sk, err = emvcrypto.DeriveSessionKey(mk, emvcrypto.SessionKeyPBOC, tags[emvcrypto.TagATC], nil)
	default:
		v.Fatalf("unknown skMode %q", v.c.SKMode)
	}
	if err != nil {
		v.Fatalf("session key: %v", err)
	}
	return sk
}

func (v vt) padding() emvcrypto.Padding {
	switch v.c.Padding {
	case 1:
		return emvcrypto.PaddingMethod1
	case 2:
		return emvcrypto.PaddingMethod2
	}
	v.Fatalf("unknown padding %d", v.c.Padding)
	return 0
}

func (v vt) issuer() *emvcrypto.Issuer {
	v.Helper()
	is, err := emvcrypto.NewIssuer(emvcrypto.Config{
		IMK: v.key(v.alg(), v.c.IMK), Option: v.option(), PAN: v.c.PAN, PSN: v.c.PSN, CVN: v.cvn(),
	})
	if err != nil {
		v.Fatalf("NewIssuer: %v", err)
	}
	return is
}

// expect compares a computed value with the expected one according to
// the case's result.
func (v vt) expect(what string, got []byte, want string) {
	v.Helper()
	g := fmt.Sprintf("%X", got)
	v.expectStr(what, g, want)
}

func (v vt) expectStr(what, got, want string) {
	v.Helper()
	want = strings.ToUpper(want)
	switch v.c.Result {
	case "valid":
		if got != want {
			v.Errorf("%s = %s, want %s", what, got, want)
		}
	case "invalid":
		if got == want {
			v.Errorf("%s = %s reproduces the value of an invalid case", what, got)
		}
	default:
		v.Fatalf("unknown result %q", v.c.Result)
	}
}

func TestVectors(t *testing.T) {
	f := loadVectors(t)
	n := 0
	seen := map[int]bool{}
	for _, g := range f.TestGroups {
		for _, c := range g.Tests {
			n++
			if seen[c.TcID] {
				t.Errorf("duplicate tcId %d", c.TcID)
			}
			seen[c.TcID] = true
			t.Run(fmt.Sprintf("tcId-%d-%s", c.TcID, g.Type), func(t *testing.T) {
				v := vt{T: t, c: c, gr: g}
				checkFlags(v)
				run, ok := runners[g.Type]
				if !ok {
					t.Fatalf("no runner for group type %q", g.Type)
				}
				run(v)
			})
		}
	}
	if n != f.NumberOfTests {
		t.Errorf("numberOfTests = %d, file has %d tests", f.NumberOfTests, n)
	}
}

// checkFlags enforces the provenance rules: every case is published
// (with provenance and original id), cites GB/T 32907, or is flagged
// paycert-derived; every flag is described in notes.
func checkFlags(v vt) {
	v.Helper()
	has := func(f string) bool {
		for _, x := range v.c.Flags {
			if x == f {
				return true
			}
		}
		return false
	}
	switch {
	case has("published"):
		if v.c.SourceID == "" || len(v.c.Provenance) == 0 || !strings.HasPrefix(v.c.Comment, v.c.SourceID) {
			v.Errorf("published case without original id or provenance")
		}
		if has("paycert-derived") {
			v.Errorf("case is both published and paycert-derived")
		}
	case has("paycert-derived"), has("GB/T 32907-2016"):
	default:
		v.Errorf("case is neither published, standard, nor paycert-derived: %v", v.c.Flags)
	}
	if v.c.Result == "invalid" && !has("negative") {
		v.Errorf("invalid case without flag negative")
	}
}

var runners = map[string]func(vt){
	"block_cipher": runBlockCipher,
	"kcv":          runKCV,
	"icc_mk":       runICCMK,
	"common_sk":    runCommonSK,
	"mac_alg3":     runMACAlg3,
	"arqc":         runARQC,
	"arpc1":        runARPC,
	"arpc2":        runARPC,
	"iad":          runIAD,
	"roundtrip":    runRoundTrip,
}

func runBlockCipher(v vt) {
	if v.c.Iterations > 1000 && testing.Short() {
		v.Skip("long iteration count in -short mode")
	}
	k := v.key(emvcrypto.AlgSM4, v.c.Key)
	b := v.hex(v.c.Msg)
	var err error
	for range v.c.Iterations {
		if b, err = k.EncryptBlock(b); err != nil {
			v.Fatalf("EncryptBlock: %v", err)
		}
	}
	v.expect("ct", b, v.c.CT)
	if v.c.Result == "valid" && v.c.Iterations == 1 {
		pt, err := k.DecryptBlock(b)
		if err != nil || !bytes.Equal(pt, v.hex(v.c.Msg)) {
			v.Errorf("DecryptBlock does not invert EncryptBlock: %X, %v", pt, err)
		}
	}
}

func runKCV(v vt) {
	v.expectStr("kcv", v.kcvHex(v.key(emvcrypto.AlgTDES, v.c.Key)), v.c.KCV)
}

func runICCMK(v vt) {
	mk := v.iccMK()
	if v.c.ICCMK != "" {
		v.expect("ICC MK", mk.Bytes(), v.c.ICCMK)
	}
	if v.c.ICCMKKCV != "" {
		v.expectStr("ICC MK KCV", v.kcvHex(mk), v.c.ICCMKKCV)
	}
}

func runCommonSK(v vt) {
	sk, err := emvcrypto.DeriveCommonSessionKey(v.key(emvcrypto.AlgTDES, v.c.MK), v.hex(v.c.R))
	if err != nil {
		v.Fatalf("DeriveCommonSessionKey: %v", err)
	}
	v.expect("session key", sk.Bytes(), v.c.SessionKey)
}

func runMACAlg3(v vt) {
	data := v.hex(v.c.Data)
	if v.c.DataASCII != "" && string(data) != v.c.DataASCII {
		v.Fatalf("data and dataAscii disagree")
	}
	mac, err := emvcrypto.RetailMAC(v.hex(v.c.K1), v.hex(v.c.K2), data, v.padding())
	if err != nil {
		v.Fatalf("RetailMAC: %v", err)
	}
	v.expect("MAC", mac, v.c.MAC)
}

// skModes maps the vector skMode values that name a session key method to
// that method.
var skModes = map[string]emvcrypto.SessionKeyMethod{
	"none": emvcrypto.SessionKeyNone, "csk_atc": emvcrypto.SessionKeyCommon,
	"mc_skd": emvcrypto.SessionKeyMastercard, "pboc": emvcrypto.SessionKeyPBOC,
}

func runARQC(v vt) {
	if v.c.ICCMK != "" {
		v.expect("ICC MK", v.iccMK().Bytes(), v.c.ICCMK)
	}
	sk := v.sessionKey()
	if v.c.SessionKey != "" {
		v.expect("session key", sk.Bytes(), v.c.SessionKey)
	}
	if v.c.SKKCV != "" {
		v.expectStr("session key KCV", v.kcvHex(sk), v.c.SKKCV)
	}
	if m, ok := skModes[v.c.SKMode]; ok && v.c.CVN != "" {
		// The CVN registry must select the session key method the vector
		// was computed with.
		if info, _ := v.cvn().Info(); info.SessionKey != m {
			v.Errorf("%v: registry session key %v, vector skMode %q", v.cvn(), info.SessionKey, v.c.SKMode)
		}
	}
	var data []byte
	if v.c.Data != "" {
		data = v.hex(v.c.Data)
	} else {
		data = v.concatTags()
	}
	tx := v.tx()
	if v.c.CVN != "" && tx.IAD != nil {
		// The registry's AC input must equal the published composition.
		in, err := emvcrypto.ACInput(v.cvn(), tx)
		if err != nil {
			v.Fatalf("ACInput: %v", err)
		}
		if !bytes.Equal(in, data) {
			v.Errorf("ACInput = %X, the tags give %X", in, data)
		}
		data = in
	}
	ac, err := emvcrypto.MAC(sk, data, v.padding())
	if err != nil {
		v.Fatalf("MAC: %v", err)
	}
	v.expect("AC", ac, v.c.AC)

	if v.c.CVN == "" || v.c.IAD == "" {
		return
	}
	is := v.issuer()
	got, err := is.ComputeAC(tx)
	if err != nil {
		v.Fatalf("Issuer.ComputeAC: %v", err)
	}
	v.expect("Issuer.ComputeAC", got, v.c.AC)
	err = is.VerifyAC(tx, v.hex(v.c.AC))
	if v.c.Result == "valid" && err != nil {
		v.Errorf("Issuer.VerifyAC: %v", err)
	}
	if v.c.Result == "invalid" && !errors.Is(err, emvcrypto.ErrACMismatch) {
		v.Errorf("Issuer.VerifyAC = %v, want ErrACMismatch", err)
	}
}

func hasFlag(c vecTest, f string) bool {
	for _, x := range c.Flags {
		if x == f {
			return true
		}
	}
	return false
}

func runARPC(v vt) {
	var k emvcrypto.Key
	switch v.c.ARPCKey {
	case "sk":
		k = v.sessionKey()
	case "icc_mk":
		k = v.iccMK()
	default:
		v.Fatalf("unknown arpcKey %q", v.c.ARPCKey)
	}
	arqc := v.hex(v.c.ARQC)
	var (
		got []byte
		err error
		p   emvcrypto.ARPCParams
	)
	if v.gr.Type == "arpc1" {
		p.ARC = v.hex(v.c.ARC)
		got, err = emvcrypto.ARPC1(k, arqc, p.ARC)
	} else {
		p.CSU = v.hex(v.c.CSU)
		if v.c.PropAuthData != nil {
			p.ProprietaryAuthData = v.hex(*v.c.PropAuthData)
		}
		got, err = emvcrypto.ARPC2(k, arqc, p.CSU, p.ProprietaryAuthData)
	}
	if err != nil {
		v.Fatalf("ARPC: %v", err)
	}
	v.expect("ARPC", got, v.c.ARPC)

	if v.c.CVN == "" {
		return
	}
	// The CVN registry must select the same method and key as the vector.
	info, _ := v.cvn().Info()
	if wantSK := v.c.ARPCKey == "sk"; info.ARPCSessionKey != wantSK {
		v.Errorf("%v: registry ARPCSessionKey = %v, vector key %q", v.cvn(), info.ARPCSessionKey, v.c.ARPCKey)
	}
	if want := map[string]emvcrypto.ARPCMethod{"arpc1": emvcrypto.ARPCMethod1, "arpc2": emvcrypto.ARPCMethod2}[v.gr.Type]; info.ARPC != want {
		v.Errorf("%v: registry ARPC = %v, vector %s", v.cvn(), info.ARPC, v.gr.Type)
	}
	is := v.issuer()
	got, err = is.ARPC(v.tx(), arqc, p)
	if err != nil {
		v.Fatalf("Issuer.ARPC: %v", err)
	}
	v.expect("Issuer.ARPC", got, v.c.ARPC)
	if v.c.Result == "valid" {
		if err := is.VerifyARPC(v.tx(), arqc, p, v.hex(v.c.ARPC)); err != nil {
			v.Errorf("VerifyARPC: %v", err)
		}
	}
}

func runIAD(v vt) {
	var hint emvcrypto.CVN
	if v.c.CVN != "" {
		hint = v.cvn()
	}
	p, err := emvcrypto.ParseIAD(hint, v.hex(v.c.IAD))
	if v.c.Result == "invalid" {
		if !errors.Is(err, emvcrypto.ErrIADMalformed) {
			v.Errorf("ParseIAD = %v, want ErrIADMalformed", err)
		}
		return
	}
	if err != nil {
		v.Fatalf("ParseIAD: %v", err)
	}
	got := vecParsed{
		Scheme: p.Scheme.String(), DKI: fmt.Sprintf("%02X", p.DKI), CVN: fmt.Sprintf("%02X", p.CVNNumber),
		CVR: fmt.Sprintf("%X", p.CVR), Algorithm: p.Algorithm.String(),
		ACType: p.ACType.String(), SecondACType: p.SecondACType.String(), IDD: fmt.Sprintf("%X", p.IDD),
	}
	if p.CVN != 0 {
		got.CVNName = p.CVN.String()
	}
	if p.Scheme == emvcrypto.SchemePBOC {
		got.AlgorithmID = fmt.Sprintf("%02X", p.AlgorithmID)
	}
	if got != *v.c.Parsed {
		v.Errorf("ParseIAD = %+v\nwant       %+v", got, *v.c.Parsed)
	}
	if !bytes.Equal(p.Raw, v.hex(v.c.IAD)) {
		v.Errorf("Raw = %X", p.Raw)
	}
}

func runRoundTrip(v vt) {
	is := v.issuer()
	tx := v.tx()
	if v.c.ICCMKKCV != "" {
		v.expectStr("ICC MK KCV", v.kcvHex(is.ICCMasterKey()), v.c.ICCMKKCV)
	}
	sk, err := is.SessionKey(tx)
	if err != nil {
		v.Fatalf("SessionKey: %v", err)
	}
	v.expectStr("session key KCV", v.kcvHex(sk), v.c.SKKCV)
	ac, err := is.ComputeAC(tx)
	if err != nil {
		v.Fatalf("ComputeAC: %v", err)
	}
	v.expect("AC", ac, v.c.AC)
	if err := is.VerifyAC(tx, ac); err != nil {
		v.Errorf("VerifyAC(own AC): %v", err)
	}
	bad := bytes.Clone(ac)
	bad[7] ^= 1
	if err := is.VerifyAC(tx, bad); !errors.Is(err, emvcrypto.ErrACMismatch) {
		v.Errorf("VerifyAC(tampered AC) = %v, want ErrACMismatch", err)
	}
	tx2 := tx
	tx2.AmountAuthorised = bytes.Clone(tx.AmountAuthorised)
	tx2.AmountAuthorised[5] ^= 1
	if err := is.VerifyAC(tx2, ac); !errors.Is(err, emvcrypto.ErrACMismatch) {
		v.Errorf("VerifyAC(tampered amount) = %v, want ErrACMismatch", err)
	}
	p := emvcrypto.ARPCParams{ARC: v.hex(v.c.ARC)}
	arpc, err := is.ARPC(tx, ac, p)
	if err != nil {
		v.Fatalf("ARPC: %v", err)
	}
	v.expect("ARPC", arpc, v.c.ARPC)
	if err := is.VerifyARPC(tx, ac, p, arpc); err != nil {
		v.Errorf("VerifyARPC: %v", err)
	}
	arpc[0] ^= 1
	if err := is.VerifyARPC(tx, ac, p, arpc); !errors.Is(err, emvcrypto.ErrARPCMismatch) {
		v.Errorf("VerifyARPC(tampered) = %v, want ErrARPCMismatch", err)
	}
}

// sharedDir returns the shared input directory, ../shared relative to the
// repository root (the directory holding go.mod), found by walking up from
// the test's working directory (the package directory).
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's working directory")
		}
		dir = parent
	}
	shared := filepath.Join(filepath.Dir(dir), "shared")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("shared inputs not available: %s (../shared next to the repository root) is absent, so the local vectors cannot be compared with them: %v", shared, err)
	}
	return shared
}

// TestVectorsCoverShared checks that every case of the shared vector files
// (vectors/emv-arqc.json and vectors/pboc-arqc.json in ../shared) is
// carried into the local file as a published case with the same
// provenance. It runs whenever ../shared exists and skips only when it is
// absent.
func TestVectorsCoverShared(t *testing.T) {
	dir := sharedDir(t)
	local := map[string][]vecTest{}
	for _, g := range loadVectors(t).TestGroups {
		for _, c := range g.Tests {
			if hasFlag(c, "published") {
				local[c.SourceID] = append(local[c.SourceID], c)
			}
		}
	}
	for _, name := range []string{"emv-arqc.json", "pboc-arqc.json"} {
		b, err := os.ReadFile(filepath.Join(dir, "vectors", name))
		if err != nil {
			t.Fatalf("shared directory present but %s unreadable: %v", name, err)
		}
		var shared struct {
			Vectors []struct {
				ID         string          `json:"id"`
				Provenance json.RawMessage `json:"provenance"`
			} `json:"vectors"`
		}
		if err := json.Unmarshal(b, &shared); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(shared.Vectors) == 0 {
			t.Errorf("%s: no vectors", name)
		}
		for _, v := range shared.Vectors {
			cases := local[v.ID]
			if len(cases) == 0 {
				t.Errorf("%s: shared vector %s is not carried over", name, v.ID)
			}
			for _, c := range cases {
				if !jsonEqual(t, c.Provenance, v.Provenance) {
					t.Errorf("%s: tcId %d (%s) provenance %s, shared %s", name, c.TcID, v.ID, c.Provenance, v.Provenance)
				}
			}
		}
	}
}

func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TestEveryCVNHasSessionKeyVector enforces that no cryptogram version's
// session key rests on paycert's code alone: each lists published vectors
// (CVNInfo.Vectors) that derive the session key with the version's method
// from an ICC or issuer master key and are valid cases of the vector file
// (TestVectors runs them), or says plainly that it has none.
func TestEveryCVNHasSessionKeyVector(t *testing.T) {
	f := loadVectors(t)
	for _, c := range emvcrypto.CVNs() {
		info, _ := c.Info()
		if len(info.Vectors) == 0 {
			if !strings.Contains(info.Note, "no published vector") {
				t.Errorf("%v: no published vector listed and its note does not say so", c)
			}
			continue
		}
		for _, id := range info.Vectors {
			found := false
			for _, g := range f.TestGroups {
				for _, tc := range g.Tests {
					if tc.SourceID != id || !hasFlag(tc, "published") || tc.Result != "valid" || tc.SK != "" {
						continue
					}
					if m, ok := skModes[tc.SKMode]; ok && m == info.SessionKey && (tc.IMK != "" || tc.MK != "") {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%v: vector %s has no valid published case deriving a %v session key", c, id, info.SessionKey)
			}
		}
	}
}
