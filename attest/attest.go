// Package attest signs a report directory (a bundle) and verifies it.
//
// The signature is an in-toto Statement v1 whose subjects are the files of
// the bundle, each with its SHA-256, and whose predicate is a test result
// (https://in-toto.io/attestation/test-result/v0.1), wrapped in a DSSE
// envelope signed with Ed25519 and written as FileName in the directory.
// The envelope is standard DSSE: the signature is Ed25519 over
// PAE(payloadType, payload) with PAE = "DSSEv1" SP len(type) SP type SP
// len(body) SP body, and the key ID is the hex SHA-256 of the PKIX public
// key (KeyID). docs/reports.md shows how to check it without paycert.
//
// Every regular file under the directory but FileName itself is a
// subject, named by its path relative to the directory with forward
// slashes, so whatever files a run writes are covered. Verify reports
// every file changed, missing or added since signing.
package attest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/paycert/paycert/reports"
)

// Names and types of the signed bundle.
const (
	// FileName is the envelope's file in the report directory.
	FileName = "attestation.intoto.json"
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// StatementType is the _type of an in-toto Statement v1.
	StatementType = "https://in-toto.io/Statement/v1"
	// PredicateType is the in-toto test-result predicate.
	PredicateType = "https://in-toto.io/attestation/test-result/v0.1"
)

// Test results (TestResult.Result).
const (
	Passed = "PASSED"
	Warned = "WARNED"
	Failed = "FAILED"
)

// ResourceDescriptor is an in-toto ResourceDescriptor: at least one of
// Name, URI and Digest is set. Digest maps an algorithm ("sha256") to a
// lower-case hex value.
type ResourceDescriptor struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// TestResult is the test-result v0.1 predicate, with paycert's two
// additions (in-toto consumers ignore fields they do not know): Status
// says whether the run completed ("complete", or "incomplete" for an
// interrupted run) and Outcome is the report's own verdict (pass, fail,
// inconclusive).
type TestResult struct {
	Result        string               `json:"result"`
	Configuration []ResourceDescriptor `json:"configuration"`
	PassedTests   []string             `json:"passedTests"`
	WarnedTests   []string             `json:"warnedTests"`
	FailedTests   []string             `json:"failedTests"`
	Status        string               `json:"status"`
	Outcome       string               `json:"outcome"`
}

// Statement is an in-toto Statement v1 with a test-result predicate.
type Statement struct {
	Type          string               `json:"_type"`
	Subject       []ResourceDescriptor `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     TestResult           `json:"predicate"`
}

// TestResultOf is the predicate for a report: result PASSED for outcome
// pass, FAILED for fail, WARNED otherwise (inconclusive, which includes
// every interrupted run); test cases that passed, ended in error (warned)
// or failed, by ID; not-applicable and skipped test cases are in none of
// the lists. config describes what the run used (tool, ICS, vectors).
func TestResultOf(r *reports.Report, config []ResourceDescriptor) TestResult {
	p := TestResult{
		Result: Warned, Configuration: config, Status: r.Status, Outcome: r.Outcome,
		PassedTests: []string{}, WarnedTests: []string{}, FailedTests: []string{},
	}
	if p.Configuration == nil {
		p.Configuration = []ResourceDescriptor{}
	}
	switch r.Outcome {
	case reports.OutcomePass:
		p.Result = Passed
	case reports.OutcomeFail:
		p.Result = Failed
	}
	for _, t := range r.Tests {
		switch t.Verdict {
		case reports.Pass:
			p.PassedTests = append(p.PassedTests, t.ID)
		case reports.Error:
			p.WarnedTests = append(p.WarnedTests, t.ID)
		case reports.Fail:
			p.FailedTests = append(p.FailedTests, t.ID)
		}
	}
	return p
}

// Digest returns the SHA-256 digest of data as a ResourceDescriptor
// digest map.
func Digest(data []byte) map[string]string {
	sum := sha256.Sum256(data)
	return map[string]string{"sha256": hex.EncodeToString(sum[:])}
}

// file is one file of a bundle.
type file struct {
	name string // relative, forward slashes
	data []byte
}

// readBundle returns the regular files under dir but FileName, by name,
// and the names of anything else found there (symbolic links, devices).
func readBundle(dir string) (files []file, odd []string, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case name == FileName:
			return nil
		case !d.Type().IsRegular():
			odd = append(odd, name)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, file{name: name, data: data})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	return files, odd, nil
}

// Sign signs the bundle in dir: it reads every file once, passes each to
// check (when not nil; the leak scan), and only if check accepts them all
// writes FileName, an envelope over a statement with one subject per file
// and predicate pred. A check error is returned as is and nothing is
// written; a stale FileName from an earlier signing is removed first, so
// a bundle that fails the check is never left looking signed.
func Sign(ctx context.Context, dir string, s *Signer, pred TestResult, check func(name string, data []byte) error) (*Statement, error) {
	if err := os.Remove(filepath.Join(dir, FileName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sign: %w", err)
	}
	files, odd, err := readBundle(dir)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if len(odd) > 0 {
		return nil, fmt.Errorf("sign: %s: not a regular file", odd[0])
	}
	st := &Statement{Type: StatementType, PredicateType: PredicateType, Predicate: pred, Subject: []ResourceDescriptor{}}
	for _, f := range files {
		if check != nil {
			if err := check(f.name, f.data); err != nil {
				return nil, err
			}
		}
		st.Subject = append(st.Subject, ResourceDescriptor{Name: f.name, Digest: Digest(f.data)})
	}
	if len(st.Subject) == 0 {
		return nil, fmt.Errorf("sign: %s holds no file to sign", dir)
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	es, err := dsse.NewEnvelopeSigner(s)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	env, err := es.SignPayload(ctx, PayloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := reports.WriteFileAtomic(filepath.Join(dir, FileName), append(out, '\n')); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return st, nil
}

// Verification is what Verify found in a bundle whose envelope verifies.
type Verification struct {
	KeyID     string
	Statement *Statement
	// Changed, Missing and Added name the files whose content differs from
	// the signed digest, the signed files that are gone, and the files (or
	// other entries) that were not signed, each sorted.
	Changed, Missing, Added []string
}

// OK reports whether every signed file is present and unchanged and
// nothing was added.
func (v *Verification) OK() bool {
	return len(v.Changed)+len(v.Missing)+len(v.Added) == 0
}

// ErrNotVerified is wrapped by every error of Verify that says the bundle
// does not verify (as opposed to the directory not being readable).
var ErrNotVerified = errors.New("the bundle does not verify")

func notVerified(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotVerified}, args...)...)
}

// Verify checks the bundle in dir against v: the envelope in FileName
// must be a DSSE envelope of an in-toto test-result statement with a
// valid signature by v's key; then every subject's digest is compared with
// the file on disk. An error (wrapping ErrNotVerified when the envelope is
// at fault) means the envelope could not be trusted at all; otherwise the
// Verification lists the files changed, missing or added.
func Verify(ctx context.Context, dir string, v Verifier) (*Verification, error) {
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notVerified("%s: missing: the bundle is not signed", FileName)
		}
		return nil, fmt.Errorf("verify: %w", err)
	}
	var env dsse.Envelope
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, notVerified("%s: not a DSSE envelope: %v", FileName, err)
	}
	if dec.More() {
		return nil, notVerified("%s: data after the envelope", FileName)
	}
	if env.PayloadType != PayloadType {
		return nil, notVerified("%s: payload type %q, want %q", FileName, env.PayloadType, PayloadType)
	}
	if len(env.Signatures) == 0 {
		return nil, notVerified("%s: no signature", FileName)
	}
	ev, err := dsse.NewEnvelopeVerifier(v)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if _, err := ev.Verify(ctx, &env); err != nil {
		return nil, notVerified("%s: no valid signature by key %s", FileName, v.id)
	}
	// The signature covers these exact bytes; decode them strictly.
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		if payload, err = base64.URLEncoding.DecodeString(env.Payload); err != nil {
			return nil, notVerified("%s: payload is not base64", FileName)
		}
	}
	st, err := parseStatement(payload)
	if err != nil {
		return nil, notVerified("%s: %v", FileName, err)
	}
	files, odd, err := readBundle(dir)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	res := &Verification{KeyID: v.id, Statement: st}
	signed := map[string]string{}
	for _, s := range st.Subject {
		signed[s.Name] = s.Digest["sha256"]
	}
	present := map[string]bool{}
	for _, name := range odd { // a symbolic link or the like is never what was signed
		present[name] = true
		if _, ok := signed[name]; ok {
			res.Changed = append(res.Changed, name)
		} else {
			res.Added = append(res.Added, name)
		}
	}
	for _, f := range files {
		present[f.name] = true
		want, ok := signed[f.name]
		switch {
		case !ok:
			res.Added = append(res.Added, f.name)
		case Digest(f.data)["sha256"] != want:
			res.Changed = append(res.Changed, f.name)
		}
	}
	for _, s := range st.Subject {
		if !present[s.Name] {
			res.Missing = append(res.Missing, s.Name)
		}
	}
	slices.Sort(res.Changed)
	slices.Sort(res.Missing)
	slices.Sort(res.Added)
	return res, nil
}

// parseStatement decodes and checks a signed statement: the in-toto
// Statement v1 type, the test-result predicate type and result, and one
// subject per distinct relative file name with a SHA-256 digest.
func parseStatement(payload []byte) (*Statement, error) {
	var st Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("statement: %v", err)
	}
	if st.Type != StatementType {
		return nil, fmt.Errorf("statement type %q, want %q", st.Type, StatementType)
	}
	if st.PredicateType != PredicateType {
		return nil, fmt.Errorf("predicate type %q, want %q", st.PredicateType, PredicateType)
	}
	switch st.Predicate.Result {
	case Passed, Warned, Failed:
	default:
		return nil, fmt.Errorf("predicate result %q, want PASSED, WARNED or FAILED", st.Predicate.Result)
	}
	if len(st.Subject) == 0 {
		return nil, errors.New("statement has no subject")
	}
	seen := map[string]bool{}
	for _, s := range st.Subject {
		if s.Name == "" || !filepath.IsLocal(filepath.FromSlash(s.Name)) || path.Clean(s.Name) != s.Name || s.Name == FileName {
			return nil, fmt.Errorf("subject %q is not a file name inside the bundle", s.Name)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("subject %q appears twice", s.Name)
		}
		seen[s.Name] = true
		d := s.Digest["sha256"]
		if b, err := hex.DecodeString(d); err != nil || len(b) != sha256.Size || d != strings.ToLower(d) {
			return nil, fmt.Errorf("subject %q has no SHA-256 digest", s.Name)
		}
	}
	return &st, nil
}
