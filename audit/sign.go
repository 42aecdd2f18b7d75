package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// keyHeader starts a private key file, so a public key or some other file
// given by mistake is recognised as such.
const keyHeader = "callscribe audit signing key v1"

// Signer signs tree heads with an ed25519 key. Whoever holds the private
// key can write a log that verifies; everybody else, including someone who
// can edit the stream's files, cannot.
type Signer struct {
	key ed25519.PrivateKey
	id  string
}

// NewSigner wraps a private key.
func NewSigner(key ed25519.PrivateKey) *Signer {
	return &Signer{key: key, id: KeyID(key.Public().(ed25519.PublicKey))}
}

// Public is the key verifiers need.
func (s *Signer) Public() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// KeyID names the key in entries.
func (s *Signer) KeyID() string { return s.id }

// KeyID is a short fingerprint of a public key: the first 8 bytes of its
// SHA-256, in hex. Entries carry it so keys can be rotated and a verifier
// can tell which one to use.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// signedText is what an entry's signature covers. The leaf hash binds the
// event, index and size bind its position, and the root binds every entry
// before it.
func signedText(index int64, leaf tlog.Hash, size int64, root tlog.Hash) []byte {
	return fmt.Appendf(nil, "callscribe audit entry v1\nindex %d\nleaf %s\nsize %d\nroot %s\n", index, leaf, size, root)
}

// sign fills in e.Key and e.Sig.
func (s *Signer) sign(e *Entry) {
	e.Key = s.id
	e.Sig = ed25519.Sign(s.key, signedText(e.Index, e.Leaf, e.Size, e.Root))
}

// checkSig verifies an entry's signature against the known keys.
func checkSig(keys map[string]ed25519.PublicKey, e Entry) error {
	pub, ok := keys[e.Key]
	if !ok {
		return fmt.Errorf("signed with unknown key %q", e.Key)
	}
	if !ed25519.Verify(pub, signedText(e.Index, e.Leaf, e.Size, e.Root), e.Sig) {
		return errors.New("signature does not verify")
	}
	return nil
}

// LoadOrCreateKey reads the signing key at path, or creates one there
// (folder 0700, file 0600) if there is none, and writes its public half to
// path+".pub". Keep path out of the repository and out of the JetStream
// store: an attacker with the key can rewrite the log undetected. A key
// file others can read is refused.
func LoadOrCreateKey(path string) (*Signer, error) {
	if path == "" {
		return nil, errors.New("audit signing key: no path given")
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	defer clear(data)
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("audit signing key %s: readable by others (mode %o); chmod 600 it", path, info.Mode().Perm())
	}
	header, body, _ := strings.Cut(string(data), "\n")
	if header != keyHeader {
		return nil, fmt.Errorf("audit signing key %s: not a callscribe audit key file", path)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(body))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("audit signing key %s: malformed key", path)
	}
	return NewSigner(ed25519.NewKeyFromSeed(seed)), nil
}

func createKey(path string) (*Signer, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: generate: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	body := keyHeader + "\n" + base64.StdEncoding.EncodeToString(key.Seed()) + "\n"
	// O_EXCL: two processes starting at once must not each write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit signing key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("audit signing key %s: %w", path, err)
	}
	if err := os.WriteFile(path+".pub", []byte(base64.StdEncoding.EncodeToString(pub)+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("audit public key: %w", err)
	}
	return NewSigner(key), nil
}

// LoadPublicKey reads a public key file as written by LoadOrCreateKey
// (path+".pub"): one line of base64.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit public key: %w", err)
	}
	if strings.HasPrefix(string(data), keyHeader) {
		return nil, fmt.Errorf("audit public key %s: this is the private key; give its .pub file", path)
	}
	pub, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("audit public key %s: malformed key", path)
	}
	return ed25519.PublicKey(pub), nil
}
