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

// The embedded server's setup key lives only in serve's memory: no
// setup.nk is written (one left by an earlier start is removed), each start
// makes another, and it still lays out streams; the other seeds are kept.
func TestEmbeddedSetupKeyIsNeverWritten(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nats")
	if _, err := pipeline.LoadOrCreateCredentials(dir); err != nil { // an earlier version's folder, setup.nk included
		t.Fatal(err)
	}
	a, err := pipeline.EmbeddedCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.SeedFile(pipeline.IdentitySetup)); !os.IsNotExist(err) {
		t.Errorf("setup.nk still on disk: %v", err)
	}
	b, err := pipeline.EmbeddedCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.PublicKey(pipeline.IdentitySetup) == b.PublicKey(pipeline.IdentitySetup) || a.PublicKey(pipeline.IdentityWorker) != b.PublicKey(pipeline.IdentityWorker) {
		t.Error("want a new setup key per start and the same worker key")
	}
	ctx := bg(t)
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: t.TempDir(), Port: pipeline.RandomPort, Credentials: b})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	c, err := pipeline.Connect(ctx, srv.ClientURL(), pipeline.WithIdentity(b, pipeline.IdentitySetup))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		t.Errorf("the in-memory setup key could not lay out the streams: %v", err)
	}
	if _, err := pipeline.Connect(ctx, srv.ClientURL(), pipeline.WithIdentity(a, pipeline.IdentitySetup)); err == nil {
		t.Error("an earlier start's setup key was admitted")
	}
}
