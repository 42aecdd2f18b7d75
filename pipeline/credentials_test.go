package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/pipeline"
)

// Seeds are made once, 0600, in a 0700 folder, and read back the same; a
// seed others can read or a file that is not a user seed is refused, naming
// the file.
func TestCredentialsAreMadeOncePrivately(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nats")
	if _, err := pipeline.LoadCredentials(dir); err == nil {
		t.Fatal("loaded credentials from a folder that does not exist")
	}
	a, err := pipeline.LoadOrCreateCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", fi.Mode().Perm())
	}
	seen := map[string]bool{}
	for _, id := range pipeline.Identities {
		fi, err := os.Stat(a.SeedFile(id))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want a 0600 file", id, fi, err)
		}
		k := a.PublicKey(id)
		if !strings.HasPrefix(k, "U") || seen[k] {
			t.Errorf("%s: public key %q: want a user key of its own", id, k)
		}
		seen[k] = true
	}
	b, err := pipeline.LoadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.PublicKey(pipeline.IdentityWorker) != a.PublicKey(pipeline.IdentityWorker) {
		t.Error("a second load gave other keys")
	}
	// A worker host holds only the seeds of its identities.
	if err := os.Remove(b.SeedFile(pipeline.IdentityRetention)); err != nil {
		t.Fatal(err)
	}
	if part, err := pipeline.LoadCredentials(dir); err != nil || part.PublicKey(pipeline.IdentityRetention) != "" || part.PublicKey(pipeline.IdentityWorker) == "" {
		t.Errorf("a folder without retention.nk: %v", err)
	}
	if err := os.Chmod(b.SeedFile(pipeline.IdentityWeb), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.LoadCredentials(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), "web.nk") {
		t.Errorf("world-readable seed: %v", err)
	}
	if err := os.WriteFile(b.SeedFile(pipeline.IdentityWeb), []byte("not a seed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(b.SeedFile(pipeline.IdentityWeb), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.LoadCredentials(dir); err == nil || !strings.Contains(err.Error(), "not an nkey seed") {
		t.Errorf("garbage seed: %v", err)
	}
}
