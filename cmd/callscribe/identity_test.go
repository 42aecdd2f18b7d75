package main

import (
	"os/user"
	"testing"
)

// Without USER (a service manager, `env -i`), -as still names the person:
// the account of the process's user ID.
func TestWhoamiFallsBackToTheProcessUser(t *testing.T) {
	t.Setenv("USER", "alice")
	if got := whoami(); got != "alice" {
		t.Fatalf("USER=alice: whoami %q", got)
	}
	t.Setenv("USER", "")
	u, err := user.Current()
	if err != nil {
		t.Skipf("no account for this uid: %v", err)
	}
	if got := whoami(); got == "" || got != u.Username {
		t.Fatalf("USER unset: whoami %q, want %q", got, u.Username)
	}
}
