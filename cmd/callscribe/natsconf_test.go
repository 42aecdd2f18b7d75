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
// gives each user exactly their role's permissions.
func TestNATSConfIsValidServerConfiguration(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.json")
	if err := os.WriteFile(users, []byte(`[{"name":"callscribe","password":"svc-pw","role":"service"},{"name":"sam","password":"adm-pw","role":"admin"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cmdNATSConf(context.Background(), []string{"-nats-users", users}, &out); err != nil {
		t.Fatal(err)
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
	if len(opts.Users) != 2 {
		t.Fatalf("users %+v", opts.Users)
	}
	for _, u := range opts.Users {
		role := map[string]string{"callscribe": pipeline.RoleService, "sam": pipeline.RoleAdmin}[u.Username]
		want, _ := pipeline.Permissions(role)
		if !slices.Equal(u.Permissions.Publish.Allow, want.Publish.Allow) || !slices.Equal(u.Permissions.Subscribe.Allow, want.Subscribe.Allow) {
			t.Errorf("%s: permissions %+v, want %+v", u.Username, u.Permissions, want)
		}
	}
}
