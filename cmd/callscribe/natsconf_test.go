package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/callscribe/callscribe/pipeline"
)

// The printed block is accepted by nats-server's configuration parser and
// gives each identity's public key exactly its permissions; no seed is in it.
func TestNATSConfIsValidServerConfiguration(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	var out bytes.Buffer
	if err := cmdNATSConf(context.Background(), []string{"-credentials", creds}, &out); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out.Bytes(), []byte(`"SU`)) {
		t.Fatal("the block holds a seed")
	}
	if err := os.WriteFile(filepath.Join(dir, "users.conf"), out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "server.conf")
	if err := os.WriteFile(main, []byte("port: -1\ninclude ./users.conf\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(main)
	if err != nil {
		t.Fatalf("nats-server refuses the block: %v\n%s", err, out.String())
	}
	loaded, err := pipeline.LoadCredentials(creds)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Nkeys) != len(pipeline.Identities) {
		t.Fatalf("%d nkey users, want %d", len(opts.Nkeys), len(pipeline.Identities))
	}
	for i, u := range opts.Nkeys {
		id := pipeline.Identities[i]
		want, _ := pipeline.IdentityPermissions(id)
		if u.Nkey != loaded.PublicKey(id) {
			t.Errorf("%s: key %s, want %s", id, u.Nkey, loaded.PublicKey(id))
		}
		if !slices.Equal(u.Permissions.Publish.Allow, want.Publish.Allow) || !slices.Equal(u.Permissions.Subscribe.Allow, want.Subscribe.Allow) ||
			(want.Response == nil) != (u.Permissions.Response == nil) {
			t.Errorf("%s: permissions %+v, want %+v", id, u.Permissions, want)
		}
	}
}
