package attest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/paycert/paycert/reports"
)

func testKeys(t *testing.T) (*Signer, Verifier, string) {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	id, err := GenerateKey(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := LoadVerifier(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.KeyID(); got != id {
		t.Fatalf("signer key ID %s, keygen said %s", got, id)
	}
	return s, v, key
}

func TestGenerateKey(t *testing.T) {
	_, v, key := testKeys(t)
	fi, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", fi.Mode().Perm())
	}
	// The key ID is the hex SHA-256 of the PKIX DER, the .pub file's block.
	b, _ := os.ReadFile(key + ".pub")
	blk, _ := pem.Decode(b)
	sum := sha256.Sum256(blk.Bytes)
	if id, _ := v.KeyID(); id != hex.EncodeToString(sum[:]) {
		t.Errorf("key ID %s, want %x", id, sum)
	}
	// Never overwrite, neither the key nor its .pub.
	before, _ := os.ReadFile(key)
	if _, err := GenerateKey(key, nil); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second keygen: %v", err)
	}
	if after, _ := os.ReadFile(key); !bytes.Equal(before, after) {
		t.Fatal("keygen overwrote the key")
	}
	other := filepath.Join(t.TempDir(), "k2")
	os.WriteFile(other+".pub", []byte("x"), 0o644)
	if _, err := GenerateKey(other, nil); err == nil {
		t.Fatal("keygen overwrote an existing .pub")
	}
	if _, err := os.Stat(other); err == nil {
		t.Fatal("keygen left a private key without its .pub")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	w := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	_, rsaPub, _ := ed25519.GenerateKey(nil)
	der, _ := x509.MarshalPKCS8PrivateKey(rsaPub)
	priv := w("priv", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	for _, c := range []struct {
		path, want string
		pub        bool
	}{
		{filepath.Join(dir, "none"), "no such file", false},
		{w("text", "hello"), "not a PEM file", false},
		{w("garbage", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "not a PKCS#8 private key", false},
		{priv, `PEM block "PRIVATE KEY", want "PUBLIC KEY"`, true},
		{w("badpub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), "not a PKIX public key", true},
	} {
		var err error
		if c.pub {
			_, err = LoadVerifier(c.path)
		} else {
			_, err = LoadSigner(c.path)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.path, err, c.want)
		}
	}
}

func writeBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, s := range map[string]string{
		"report.json": `{"outcome":"pass"}` + "\n", "summary.txt": "PASS\n", "sub/extra.txt": "x",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testPredicate() TestResult {
	r := &reports.Report{Status: reports.StatusComplete, Outcome: reports.OutcomeFail, Tests: []reports.Result{
		{ID: "A-1", Verdict: reports.Pass}, {ID: "A-2", Verdict: reports.Fail},
		{ID: "A-3", Verdict: reports.Error}, {ID: "A-4", Verdict: reports.NotApplicable}, {ID: "A-5", Verdict: reports.Skipped},
	}}
	return TestResultOf(r, []ResourceDescriptor{{Name: "paycert certify", Annotations: map[string]string{"version": "devel"}}})
}

func TestSignVerify(t *testing.T) {
	ctx := context.Background()
	s, v, _ := testKeys(t)
	dir := writeBundle(t)
	st, err := Sign(ctx, dir, s, testPredicate(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Subject) != 3 || st.Subject[1].Name != "sub/extra.txt" {
		t.Fatalf("subjects %+v", st.Subject)
	}
	res, err := Verify(ctx, dir, v)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() {
		t.Fatalf("%+v", res)
	}
	p := res.Statement.Predicate
	if p.Result != Failed || strings.Join(p.PassedTests, ",") != "A-1" || strings.Join(p.FailedTests, ",") != "A-2" || strings.Join(p.WarnedTests, ",") != "A-3" || p.Status != "complete" {
		t.Fatalf("predicate %+v", p)
	}
	// Signing again replaces the envelope; the envelope is never a subject.
	if st, err = Sign(ctx, dir, s, testPredicate(), nil); err != nil || len(st.Subject) != 3 {
		t.Fatalf("re-sign: %v %+v", err, st)
	}

	// Another key does not verify it.
	_, other, _ := testKeys(t)
	if _, err := Verify(ctx, dir, other); !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), FileName) {
		t.Fatalf("other key: %v", err)
	}
}

// TestStatementConforms holds the payload to the in-toto attestation
// reference implementation: it parses as a v1 Statement and validates,
// and its envelope is what the DSSE spec describes.
func TestStatementConforms(t *testing.T) {
	s, _, _ := testKeys(t)
	dir := writeBundle(t)
	if _, err := Sign(context.Background(), dir, s, testPredicate(), nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, FileName))
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []struct {
			KeyID string `json:"keyid"`
			Sig   string `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	var st intoto.Statement
	if err := protojson.Unmarshal(payload, &st); err != nil {
		t.Fatalf("in-toto: %v\n%s", err, payload)
	}
	if err := st.Validate(); err != nil {
		t.Fatalf("in-toto: %v", err)
	}
	if st.GetPredicateType() != PredicateType || len(st.GetSubject()) != 3 {
		t.Fatalf("statement %v", &st)
	}
	for _, sub := range st.GetSubject() {
		if err := sub.Validate(); err != nil || len(sub.GetDigest()["sha256"]) != 64 {
			t.Fatalf("subject %v: %v", sub, err)
		}
	}
	for _, rd := range st.GetPredicate().GetFields()["configuration"].GetListValue().GetValues() {
		if rd.GetStructValue() == nil {
			t.Fatalf("configuration entry %v", rd)
		}
	}
	// Ed25519 over PAE(payloadType, payload), by hand.
	pae := "DSSEv1 " + strconv.Itoa(len(env.PayloadType)) + " " + env.PayloadType + " " + strconv.Itoa(len(payload)) + " " + string(payload)
	sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	pub := s.Public().(ed25519.PublicKey)
	if env.PayloadType != PayloadType || !ed25519.Verify(pub, []byte(pae), sig) || env.Signatures[0].KeyID != KeyID(pub) {
		t.Fatal("the envelope is not DSSE with Ed25519 over PAE")
	}
}

func TestVerifyTampered(t *testing.T) {
	ctx := context.Background()
	s, v, _ := testKeys(t)
	dir := writeBundle(t)
	if _, err := Sign(ctx, dir, s, testPredicate(), nil); err != nil {
		t.Fatal(err)
	}
	names := []string{"report.json", "summary.txt", "sub/extra.txt", FileName}
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		orig, _ := os.ReadFile(p)
		for _, off := range []int{0, len(orig) / 3, len(orig) / 2, len(orig) - 1} {
			b := bytes.Clone(orig)
			b[off] ^= 0xFF
			os.WriteFile(p, b, 0o644)
			res, err := Verify(ctx, dir, v)
			switch {
			case name == FileName:
				if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), FileName) {
					t.Errorf("%s flipped at %d: %v", name, off, err)
				}
			case err != nil || len(res.Changed) != 1 || res.Changed[0] != name || res.OK():
				t.Errorf("%s flipped at %d: %v %+v", name, off, err, res)
			}
			os.WriteFile(p, orig, 0o644)
		}
	}
	if res, err := Verify(ctx, dir, v); err != nil || !res.OK() {
		t.Fatalf("restored: %v %+v", err, res)
	}
	os.WriteFile(filepath.Join(dir, "new.html"), []byte("<p>"), 0o644)
	os.Remove(filepath.Join(dir, "summary.txt"))
	os.Symlink("report.json", filepath.Join(dir, "link"))
	res, err := Verify(ctx, dir, v)
	if err != nil || res.OK() || strings.Join(res.Added, ",") != "link,new.html" || strings.Join(res.Missing, ",") != "summary.txt" {
		t.Fatalf("%v %+v", err, res)
	}
	os.Remove(filepath.Join(dir, FileName))
	if _, err := Verify(ctx, dir, v); !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "not signed") {
		t.Fatalf("unsigned: %v", err)
	}
}

func TestSignCheck(t *testing.T) {
	s, _, _ := testKeys(t)
	dir := writeBundle(t)
	if _, err := Sign(context.Background(), dir, s, testPredicate(), nil); err != nil {
		t.Fatal(err)
	}
	leak := errors.New("leak")
	_, err := Sign(context.Background(), dir, s, testPredicate(), func(name string, _ []byte) error {
		if name == "summary.txt" {
			return leak
		}
		return nil
	})
	if err != leak {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
		t.Fatal("a bundle that failed the check still has an envelope")
	}
	if _, err := Sign(context.Background(), t.TempDir(), s, testPredicate(), nil); err == nil {
		t.Fatal("signed an empty directory")
	}
}

func TestParseStatementRejects(t *testing.T) {
	good := `{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://in-toto.io/attestation/test-result/v0.1","predicate":{"result":"PASSED"},"subject":[%s]}`
	d := strings.Repeat("ab", 32)
	for _, sub := range []string{
		``,
		`{"name":"../x","digest":{"sha256":"` + d + `"}}`,
		`{"name":"/etc/passwd","digest":{"sha256":"` + d + `"}}`,
		`{"name":"a/./b","digest":{"sha256":"` + d + `"}}`,
		`{"name":"a","digest":{"sha256":"` + d + `"}},{"name":"a","digest":{"sha256":"` + d + `"}}`,
		`{"name":"a","digest":{"sha1":"` + d[:40] + `"}}`,
		`{"name":"` + FileName + `","digest":{"sha256":"` + d + `"}}`,
	} {
		if _, err := parseStatement([]byte(strings.Replace(good, "%s", sub, 1))); err == nil {
			t.Errorf("accepted subject %s", sub)
		}
	}
	if _, err := parseStatement([]byte(strings.Replace(good, "%s", `{"name":"a","digest":{"sha256":"`+d+`"}}`, 1))); err != nil {
		t.Fatal(err)
	}
}

// FuzzVerify feeds arbitrary bytes to Verify as the envelope: it never
// panics, and nothing but the signed envelope verifies.
func FuzzVerify(f *testing.F) {
	s := NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
	seedDir := f.TempDir()
	os.WriteFile(filepath.Join(seedDir, "report.json"), []byte("{}\n"), 0o644)
	if _, err := Sign(context.Background(), seedDir, s, testPredicate(), nil); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(seedDir, FileName))
	f.Add(good)
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"AAAA"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, env []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "report.json"), []byte("{}\n"), 0o644)
		os.WriteFile(filepath.Join(dir, FileName), env, 0o644)
		res, err := Verify(context.Background(), dir, s.Verifier)
		if err == nil && res.OK() {
			// Only an envelope carrying the signed payload and signature
			// can verify (its JSON may be laid out differently).
			var e, g struct{ Payload string }
			json.Unmarshal(env, &e)
			json.Unmarshal(good, &g)
			pe, err := base64.StdEncoding.DecodeString(e.Payload)
			if err != nil {
				pe, _ = base64.URLEncoding.DecodeString(e.Payload)
			}
			pg, _ := base64.StdEncoding.DecodeString(g.Payload)
			if !bytes.Equal(pe, pg) {
				t.Fatalf("a forged envelope verifies: %q", env)
			}
		}
	})
}
