package attest

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// KeyID is the DSSE key ID of an Ed25519 public key: the lower-case hex
// SHA-256 of its PKIX (SubjectPublicKeyInfo) DER encoding, the bytes of
// the .pub file's PEM block.
func KeyID(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		// Only a public key of the wrong length fails, which the loaders
		// never return; an ID that matches no key is the safe answer.
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// GenerateKey writes a new Ed25519 key pair: the private key to path as
// PKCS#8 PEM ("PRIVATE KEY") with mode 0600, and the public key to
// path+".pub" as PKIX PEM ("PUBLIC KEY"). It refuses to overwrite either
// file and returns the key ID. random nil means crypto/rand.
func GenerateKey(path string, random io.Reader) (keyID string, err error) {
	if random == nil {
		random = rand.Reader
	}
	pubPath := path + ".pub"
	for _, p := range []string{path, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", fmt.Errorf("keygen: %s exists; not overwriting it", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("keygen: %w", err)
		}
	}
	pub, priv, err := ed25519.GenerateKey(random)
	if err != nil {
		return "", fmt.Errorf("keygen: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("keygen: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("keygen: %w", err)
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return "", err
	}
	if err := writeNew(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		os.Remove(path)
		return "", err
	}
	return KeyID(pub), nil
}

// writeNew creates path, which must not exist, with data and mode.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("keygen: %s exists; not overwriting it", path)
		}
		return fmt.Errorf("keygen: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("keygen: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("keygen: %s: %w", path, err)
	}
	return nil
}

// readPEM returns the DER bytes of the one PEM block of type typ in the
// file at path.
func readPEM(path, typ string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, rest := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%s: not a PEM file", path)
	}
	if b.Type != typ {
		return nil, fmt.Errorf("%s: PEM block %q, want %q", path, b.Type, typ)
	}
	if len(rest) > 0 {
		if b2, _ := pem.Decode(rest); b2 != nil {
			return nil, fmt.Errorf("%s: more than one PEM block", path)
		}
	}
	return b.Bytes, nil
}

// Signer signs with an Ed25519 private key. It implements dsse.Signer and
// dsse.Verifier (dsse.SignerVerifier).
type Signer struct {
	priv ed25519.PrivateKey
	Verifier
}

var _ dsse.SignerVerifier = (*Signer)(nil)

// NewSigner returns a Signer for priv.
func NewSigner(priv ed25519.PrivateKey) *Signer {
	pub := priv.Public().(ed25519.PublicKey)
	return &Signer{priv: priv, Verifier: Verifier{pub: pub, id: KeyID(pub)}}
}

// LoadSigner reads an Ed25519 private key written by GenerateKey (PKCS#8
// PEM). Errors name the file and never contain key material.
func LoadSigner(path string) (*Signer, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key: %s: not a PKCS#8 private key", path)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key: %s: a %T, not an Ed25519 key", path, k)
	}
	return NewSigner(priv), nil
}

// Sign returns the Ed25519 signature of data (DSSE passes PAE(type, body)).
func (s *Signer) Sign(_ context.Context, data []byte) ([]byte, error) {
	return ed25519.Sign(s.priv, data), nil
}

// Verifier checks Ed25519 signatures with a public key. It implements
// dsse.Verifier.
type Verifier struct {
	pub ed25519.PublicKey
	id  string
}

var _ dsse.Verifier = Verifier{}

// NewVerifier returns a Verifier for pub.
func NewVerifier(pub ed25519.PublicKey) Verifier {
	return Verifier{pub: pub, id: KeyID(pub)}
}

// LoadVerifier reads an Ed25519 public key written by GenerateKey (PKIX
// PEM).
func LoadVerifier(path string) (Verifier, error) {
	der, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return Verifier{}, fmt.Errorf("public key: %w", err)
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return Verifier{}, fmt.Errorf("public key: %s: not a PKIX public key", path)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return Verifier{}, fmt.Errorf("public key: %s: a %T, not an Ed25519 key", path, k)
	}
	return NewVerifier(pub), nil
}

// Verify checks sig, an Ed25519 signature of data.
func (v Verifier) Verify(_ context.Context, data, sig []byte) error {
	if len(v.pub) != ed25519.PublicKeySize || !ed25519.Verify(v.pub, data, sig) {
		return errors.New("ed25519: invalid signature")
	}
	return nil
}

// KeyID returns the key ID (see KeyID).
func (v Verifier) KeyID() (string, error) { return v.id, nil }

// Public returns the ed25519.PublicKey.
func (v Verifier) Public() crypto.PublicKey { return v.pub }
