package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/paycert/paycert/attest"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/leakscan"
	"github.com/paycert/paycert/reports"
	"github.com/paycert/paycert/vectors"
)

// signKeyEnv names the signing key when --sign-key is not given.
const signKeyEnv = "PAYCERT_SIGN_KEY"

func newKeygenCmd() *cobra.Command {
	var key string
	c := &cobra.Command{
		Use:   "keygen --key FILE",
		Short: "Write an Ed25519 key pair for signing report bundles",
		Long: `Write a new Ed25519 private key to FILE (PKCS#8 PEM, mode 0600) and its
public key to FILE.pub (PKIX PEM), for 'certify run --sign-key FILE' and
'certify verify DIR --pub FILE.pub'. Existing files are never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if key == "" {
				return usageErr("keygen: --key FILE is required")
			}
			id, err := attest.GenerateKey(key, nil)
			if err != nil {
				return usageErr("%v", err)
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %s and %s (key ID %s)\n", key, key+".pub", id)
			return nil
		},
	}
	c.Flags().StringVar(&key, "key", "", "where to write the private key; the public key goes to FILE.pub")
	return c
}

func newVerifyCmd() *cobra.Command {
	var pub string
	c := &cobra.Command{
		Use:   "verify DIR --pub FILE.pub",
		Short: "Check a signed report bundle",
		Long: `Check the report bundle in DIR against the public key FILE.pub: the
signature of ` + attest.FileName + ` (a DSSE envelope of an in-toto
test-result statement) and the SHA-256 of every file it lists. Prints each
file changed, missing or added, one line each, and the verdict the bundle
attests. Needs no network.

Exit status: 0 the bundle verifies, 1 it does not, 2 usage error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return doVerify(c, args[0], pub) },
	}
	c.Flags().StringVar(&pub, "pub", "", "the signer's public key (PEM, from certify keygen)")
	return c
}

func doVerify(c *cobra.Command, dir, pub string) error {
	if pub == "" {
		return usageErr("verify: --pub FILE.pub is required")
	}
	if fi, err := os.Stat(dir); err != nil {
		return usageErr("verify: %v", err)
	} else if !fi.IsDir() {
		return usageErr("verify: %s: not a directory", dir)
	}
	v, err := attest.LoadVerifier(pub)
	if err != nil {
		return usageErr("verify: %v", err)
	}
	out := c.OutOrStdout()
	res, err := attest.Verify(c.Context(), dir, v)
	if err != nil {
		fmt.Fprintf(out, "FAIL %s\n", err)
		return &exitError{exitFail, errors.New("verify: the bundle does not verify")}
	}
	id, _ := v.KeyID()
	fmt.Fprintf(out, "signature: good, ed25519 key %s\n", id)
	for _, n := range res.Changed {
		fmt.Fprintf(out, "changed: %s\n", n)
	}
	for _, n := range res.Missing {
		fmt.Fprintf(out, "missing: %s\n", n)
	}
	for _, n := range res.Added {
		fmt.Fprintf(out, "added: %s\n", n)
	}
	p := res.Statement.Predicate
	fmt.Fprintf(out, "attested verdict: %s (outcome %s, run %s): %d passed, %d failed, %d warned\n",
		p.Result, p.Outcome, p.Status, len(p.PassedTests), len(p.FailedTests), len(p.WarnedTests))
	if !res.OK() {
		fmt.Fprintf(out, "FAIL %d of %d signed files verify; %d changed, %d missing, %d added\n",
			len(res.Statement.Subject)-len(res.Changed)-len(res.Missing), len(res.Statement.Subject),
			len(res.Changed), len(res.Missing), len(res.Added))
		return &exitError{exitFail, errors.New("verify: the bundle does not verify")}
	}
	fmt.Fprintf(out, "OK %d files verify\n", len(res.Statement.Subject))
	return nil
}

// loadSignKey returns the signer named by --sign-key or $PAYCERT_SIGN_KEY,
// nil when neither is set.
func loadSignKey(flag string) (*attest.Signer, error) {
	name, from := flag, "--sign-key"
	if name == "" {
		name, from = os.Getenv(signKeyEnv), "$"+signKeyEnv
	}
	if name == "" {
		return nil, nil
	}
	s, err := attest.LoadSigner(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return s, nil
}

// signatureStatus is the report's Signature for a run signed by s (nil:
// unsigned).
func signatureStatus(s *attest.Signer) string {
	if s == nil {
		return reports.Unsigned
	}
	id, _ := s.KeyID()
	return fmt.Sprintf("ed25519 %s, %s", id, attest.FileName)
}

// runConfiguration describes what a run used, for the predicate: the tool
// and its version, the ICS (by file name and digest; icsData nil when the
// run has none) and every embedded vector file.
func runConfiguration(icsName string, icsData []byte) []attest.ResourceDescriptor {
	conf := []attest.ResourceDescriptor{{Name: "paycert certify", Annotations: map[string]string{"version": version()}}}
	if icsData != nil {
		conf = append(conf, attest.ResourceDescriptor{Name: "ics/" + filepath.Base(icsName), Digest: attest.Digest(icsData)})
	}
	_ = fs.WalkDir(vectors.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := vectors.FS.ReadFile(p)
		if err != nil {
			return err
		}
		conf = append(conf, attest.ResourceDescriptor{Name: "vectors/" + p, Digest: attest.Digest(b)})
		return nil
	})
	return conf
}

// registerICSSecrets tells the session's masker the PANs and keys the ICS
// holds, so that the leak scan looks for them.
func registerICSSecrets(s *harness.Session, c *ics.ICS) {
	if c == nil {
		return
	}
	if e := c.EMV; e != nil {
		if e.Token.FundingPAN != "" {
			s.Masker.Add(e.Token.FundingPAN)
		}
		for _, k := range []interface {
			IsZero() bool
			Bytes() []byte
		}{e.Cryptogram.IMKAC, e.Cryptogram.ICCMasterKey} {
			if !k.IsZero() {
				addSecret(s, k.Bytes())
			}
		}
	}
	if k := c.KeyMgmt; k != nil {
		for _, p := range k.Preloaded {
			if !p.BDK.IsZero() {
				addSecret(s, p.BDK.Bytes())
			}
		}
	}
}

func addSecret(s *harness.Session, b []byte) {
	s.Masker.AddSecret(fmt.Sprintf("%x", b))
	clear(b)
}

// signBundle signs the report directory dir of rep at the end of a run:
// it scans every file for the PANs and keys the session knows and, if
// none holds any, writes the signature. A leak leaves the bundle unsigned,
// says so in the report, and is returned with exit status 3.
func signBundle(ctx context.Context, dir string, s *attest.Signer, sess *harness.Session, rep *reports.Report, conf []attest.ResourceDescriptor) error {
	scan := leakscan.New(sess.Masker.PANs(), sess.Masker.Secrets())
	_, err := attest.Sign(ctx, dir, s, attest.TestResultOf(rep, conf), scan.Check)
	if err == nil {
		return nil
	}
	var leak *leakscan.Leak
	if errors.As(err, &leak) {
		rep.Signature = "not signed: " + leak.Error()
		if werr := reports.WriteAll(dir, rep); werr != nil {
			err = fmt.Errorf("%w; rewriting the report: %v", err, werr)
		}
		return &exitError{exitIUT, fmt.Errorf("%w; the report in %s is not signed", err, dir)}
	}
	return &exitError{exitIUT, fmt.Errorf("signing the report in %s: %w", dir, err)}
}
