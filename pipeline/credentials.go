package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// Credentials is a folder of nkey seeds, one per identity
// (<folder>/<identity>.nk, mode 0600), made on first use. An nkey rather
// than a password because the server keeps only the public half: its
// configuration (or a copy of nats-conf's output) gives nothing away, and a
// leaked seed is one identity's, revoked by deleting its file and restarting.
type Credentials struct {
	Dir  string
	keys map[string]string // identity → public key
	// inMemory holds identities whose key was never written (the embedded
	// server's setup identity: see EmbeddedCredentials).
	inMemory map[string]nkeys.KeyPair
}

// SeedFile is where an identity's seed is kept.
func (c *Credentials) SeedFile(identity string) string {
	return filepath.Join(c.Dir, identity+".nk")
}

// PublicKey is the public nkey of an identity ("" if unknown).
func (c *Credentials) PublicKey(identity string) string { return c.keys[identity] }

// LoadOrCreateCredentials reads the seeds in dir, making the folder (0700)
// and any missing seed (0600). A seed file that others may read, or that
// does not hold a user seed, is an error naming the file: serve must not
// start with credentials anyone on the host could copy.
func LoadOrCreateCredentials(dir string) (*Credentials, error) { return openCredentials(dir, true) }

// EmbeddedCredentials are the embedded server's: the seeds in dir, made if
// missing, except the setup identity's, which is made afresh in memory at
// every start and never written. Setup may create and change streams; with
// its key only in serve's memory, and gone when serve stops, nobody can
// reconfigure a stream while serve runs by taking a file from the folder.
func EmbeddedCredentials(dir string) (*Credentials, error) {
	c, err := openCredentials(dir, true, IdentitySetup)
	if err != nil {
		return nil, err
	}
	// A seed left by an earlier version would be a live key no more, but
	// it would mislead whoever reads the folder.
	if err := os.Remove(c.SeedFile(IdentitySetup)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("credentials of %s: %w", IdentitySetup, err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("credentials of %s: %w", IdentitySetup, err)
	}
	c.keys[IdentitySetup] = pub
	c.inMemory = map[string]nkeys.KeyPair{IdentitySetup: kp}
	return c, nil
}

// Has reports whether the credentials hold identity's key (a host has only
// the seeds of the identities it runs).
func (c *Credentials) Has(identity string) bool { return c.keys[identity] != "" }

// LoadCredentials reads the seeds in dir, made earlier (by serve's first
// start or by nats-conf). A host may hold only the seeds of the identities
// it runs (a worker host has no web.nk); a folder with none is an error.
func LoadCredentials(dir string) (*Credentials, error) { return openCredentials(dir, false) }

// openCredentials reads (and, if create, makes) the seeds in dir of every
// identity but those in skip.
func openCredentials(dir string, create bool, skip ...string) (*Credentials, error) {
	if dir == "" {
		return nil, errors.New("credentials: no folder given")
	}
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
	}
	c := &Credentials{Dir: dir, keys: map[string]string{}}
	for _, id := range Identities {
		if slices.Contains(skip, id) {
			continue
		}
		pub, err := loadSeed(c.SeedFile(id), create)
		if !create && errors.Is(err, fs.ErrNotExist) {
			continue // not this host's identity; connecting as it says so
		}
		if err != nil {
			return nil, fmt.Errorf("credentials of %s: %w", id, err)
		}
		c.keys[id] = pub
	}
	if len(c.keys) == 0 {
		return nil, fmt.Errorf("credentials: no seed (<identity>.nk) in %s", dir)
	}
	return c, nil
}

// loadSeed returns the public key of the user seed in path, writing a new
// seed first if there is none and create is set.
func loadSeed(path string, create bool) (string, error) {
	seed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return "", err
		}
		if seed, err = kp.Seed(); err != nil {
			return "", err
		}
		// O_EXCL: two serves starting at once must not overwrite each
		// other's seed.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", err
		}
		_, werr := f.Write(append(seed, '\n'))
		if err := errors.Join(werr, f.Close()); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
	} else if err != nil {
		return "", err
	}
	defer clear(seed)
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s is readable by other users (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	kp, err := nkeys.FromSeed(bytes.TrimSpace(seed))
	if err != nil {
		return "", fmt.Errorf("%s: not an nkey seed: %w", path, err)
	}
	defer kp.Wipe()
	pub, err := kp.PublicKey()
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if !nkeys.IsValidPublicUserKey(pub) {
		return "", fmt.Errorf("%s: holds a %c seed, not a user's (U)", path, pub[0])
	}
	return pub, nil
}

// serverNkeys are the server's users: each identity's public key with its
// permissions.
func (c *Credentials) serverNkeys() ([]*server.NkeyUser, error) {
	out := make([]*server.NkeyUser, 0, len(Identities))
	for _, id := range Identities {
		if c.keys[id] == "" {
			continue
		}
		p, err := IdentityPermissions(id)
		if err != nil {
			return nil, err
		}
		out = append(out, &server.NkeyUser{Nkey: c.keys[id], Permissions: p})
	}
	return out, nil
}

// WithIdentity connects as one identity of creds: its nkey, and its own
// inbox prefix, the only inboxes its permissions let it read.
func WithIdentity(creds *Credentials, identity string) Option {
	return func(o *clientOptions) {
		if kp := creds.inMemory[identity]; kp != nil {
			o.nkeyPair = kp
		} else {
			o.nkeySeedFile = creds.SeedFile(identity)
		}
		o.inboxPrefix = InboxPrefix(identity)
		o.identity = identity
		if o.name == "callscribe" || o.name == "" {
			o.name = "callscribe-" + identity
		}
	}
}

// WithInboxPrefix sets where replies arrive, for a cluster whose
// credentials come from elsewhere (nsc): it must match the identity's
// subscribe permission (see InboxPrefix).
func WithInboxPrefix(prefix string) Option { return func(o *clientOptions) { o.inboxPrefix = prefix } }
