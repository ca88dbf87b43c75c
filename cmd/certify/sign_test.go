package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/paycert/paycert/attest"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/reports"
)

// certify runs the certify binary (this test binary, see TestMain) and
// returns its exit code and combined output.
func certify(t *testing.T, args ...string) (int, string) {
	t.Helper()
	b, err := exec.Command("certify", args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(b)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(b)
	}
	t.Fatalf("certify %v: %v", args, err)
	return 0, ""
}

// signedRun makes a key pair and a signed report bundle of the emv suite
// on the reference card; it returns the bundle directory and the public
// key file.
func signedRun(t *testing.T) (dir, pub string) {
	t.Helper()
	tmp := t.TempDir()
	key := filepath.Join(tmp, "signing.key")
	if code, out := certify(t, "keygen", "--key", key); code != 0 {
		t.Fatalf("keygen: exit %d\n%s", code, out)
	}
	dir = filepath.Join(tmp, "bundle")
	if code, out := certify(t, "run", "--suite", "emv", "--seed", "3", "--sign-key", key, "--out", dir); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	pub = key + ".pub"
	if code, out := certify(t, "verify", dir, "--pub", pub); code != 0 {
		t.Fatalf("verify of an untouched bundle: exit %d\n%s", code, out)
	}
	return dir, pub
}

// TestVerifyTamperedBundle flips bytes at several offsets of every file of
// a signed bundle, one at a time (restoring between), then adds a file and
// removes one: certify verify fails each time, naming the file.
func TestVerifyTamperedBundle(t *testing.T) {
	dir, pub := signedRun(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	want := []string{attest.FileName, "ics.yaml", "junit.xml", "report.html", "report.json", "results.jsonl", "summary.txt"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("bundle holds %v, want %v", names, want)
	}
	for _, name := range names {
		p := filepath.Join(dir, name)
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range []int{0, 1, len(orig) / 4, len(orig) / 2, 3 * len(orig) / 4, len(orig) - 2, len(orig) - 1} {
			b := bytes.Clone(orig)
			b[off] ^= 0xFF
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			code, out := certify(t, "verify", dir, "--pub", pub)
			wantLine := "changed: " + name
			if name == attest.FileName {
				wantLine = attest.FileName + ": "
			}
			if code != exitFail || !strings.Contains(out, wantLine) {
				t.Errorf("%s with byte %d flipped: exit %d, want 1 and %q in\n%s", name, off, code, wantLine, out)
			}
			if err := os.WriteFile(p, orig, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if code, out := certify(t, "verify", dir, "--pub", pub); code != 0 {
		t.Fatalf("restored bundle: exit %d\n%s", code, out)
	}

	added := filepath.Join(dir, "extra.html")
	os.WriteFile(added, []byte("<html></html>\n"), 0o644)
	if code, out := certify(t, "verify", dir, "--pub", pub); code != exitFail || !strings.Contains(out, "added: extra.html\n") {
		t.Errorf("added file: exit %d\n%s", code, out)
	}
	os.Remove(added)

	removed := filepath.Join(dir, "results.jsonl")
	keep, _ := os.ReadFile(removed)
	os.Remove(removed)
	if code, out := certify(t, "verify", dir, "--pub", pub); code != exitFail || !strings.Contains(out, "missing: results.jsonl\n") {
		t.Errorf("removed file: exit %d\n%s", code, out)
	}
	os.WriteFile(removed, keep, 0o644)
	if code, out := certify(t, "verify", dir, "--pub", pub); code != 0 {
		t.Fatalf("restored bundle: exit %d\n%s", code, out)
	}
}

// TestLeakScanStopsSigning plants a PAN the session learned (as digits and
// as ASCII hex) and a key value it registered (hex) into a bundle: signing
// stops with exit status 3 and an error naming the file and the byte
// offset, the value masked, and no signature is written.
func TestLeakScanStopsSigning(t *testing.T) {
	const pan = "6222021234567890128"
	const key = "0123456789ABCDEFFEDCBA9876543210"
	signer, err := func() (*attest.Signer, error) {
		k := filepath.Join(t.TempDir(), "k")
		if _, err := attest.GenerateKey(k, nil); err != nil {
			return nil, err
		}
		return attest.LoadSigner(k)
	}()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file, content string
		offset              int
		want                string
	}{
		{"PAN digits", "report.json", `{"vendor": "` + pan + `"}`, 12, "PAN (digits) 622202XXXXXXXXX0128"},
		{"PAN ASCII hex", "results.jsonl", `{"apdu":"00A4` + hex.EncodeToString([]byte(pan)) + `"}`, 13, "PAN (ASCII hex) 622202XXXXXXXXX0128"},
		{"key hex", "junit.xml", "<x>key " + strings.ToLower(key) + "</x>", 7, "key value (hex) of 16 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"report.json", "results.jsonl", "junit.xml", "summary.txt"} {
				os.WriteFile(filepath.Join(dir, f), []byte("clean 622202XXXXXXXXX0128\n"), 0o644)
			}
			os.WriteFile(filepath.Join(dir, c.file), []byte(c.content), 0o644)
			s := harness.NewSession("ref:", nil, 1)
			s.Masker.Add(pan)
			s.Masker.AddSecret(key)
			rep := &reports.Report{Schema: reports.Schema, Status: reports.StatusComplete, Tests: []reports.Result{}, Signature: "ed25519 x, " + attest.FileName}
			err := signBundle(context.Background(), dir, signer, s, rep, nil)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != exitIUT {
				t.Fatalf("err %v, want exit 3", err)
			}
			msg := err.Error()
			wantMsg := "leak scan: " + c.file + ": byte offset " + strconv.Itoa(c.offset) + ": " + c.want
			if !strings.Contains(msg, wantMsg) || strings.Contains(msg, pan) || strings.Contains(strings.ToUpper(msg), key) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q, want one line with %q and no value", msg, wantMsg)
			}
			if _, err := os.Stat(filepath.Join(dir, attest.FileName)); err == nil {
				t.Fatal("a leaking bundle was signed")
			}
			if !strings.HasPrefix(rep.Signature, "not signed: leak scan: "+c.file) {
				t.Fatalf("report signature %q", rep.Signature)
			}
		})
	}
}

// readStatement returns the statement of a signed bundle (not verified).
func readStatement(t *testing.T, dir string) attest.Statement {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, attest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Payload string }
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st attest.Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	return st
}
