package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/web"
)

// testPeople are the accounts of the CLI tests, one per role.
var testPeople = map[string]struct{ role, pw string }{
	"dr.khan":   {review.RoleClinician, "clinician password"},
	"h-042":     {review.RoleAdmin, "admin staff password"},
	"dpo.jones": {review.RoleDPO, "data protection officer password"},
	"aud":       {review.RoleAuditor, "auditor password"},
}

var (
	accountsOnce sync.Once
	accountList  []web.Account
)

// testAccounts hashes the test passwords once (argon2id takes a while).
func testAccounts(t *testing.T) []web.Account {
	t.Helper()
	accountsOnce.Do(func() {
		for user, p := range testPeople {
			h, err := web.HashPassword(p.pw)
			if err != nil {
				panic(err)
			}
			accountList = append(accountList, web.Account{Username: user, Name: user, Role: p.role, PasswordHash: h})
		}
	})
	return accountList
}

// startWeb serves the web UI and its API for c, wired as serve wires it
// (wireAPI), with trail as the audit trail, on an httptest server; it
// returns the URL. trail nil: a new one with a new key.
func startWeb(t *testing.T, c *pipeline.Client, trail *audit.Log) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := review.Open(ctx, c, review.Config{Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if trail == nil {
		if trail, err = audit.Open(ctx, c, audit.Config{Signer: mustKey(t)}); err != nil {
			t.Fatal(err)
		}
	}
	accts, err := web.NewAccounts(testAccounts(t)...)
	if err != nil {
		t.Fatal(err)
	}
	cfg := web.Config{Store: store, Accounts: accts, Log: zerolog.Nop(), Audit: trail}
	wireAPI(&cfg, store, trail)
	ui, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ui.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

// signIn runs 'callscribe login' as user against webURL, with the token
// kept under a configuration folder of the test's own.
func signIn(t *testing.T, webURL, user string) {
	t.Helper()
	if !strings.HasPrefix(os.Getenv("XDG_CONFIG_HOME"), os.TempDir()) {
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	}
	t.Setenv("CALLSCRIBE_PASSWORD", testPeople[user].pw)
	code, out, errOut := runCLI(t, "login", "-web-url", webURL, "-user", user)
	if code != 0 || !strings.Contains(out, "signed in to "+webURL+" as "+user) {
		t.Fatalf("login as %s: exit %d\n%s%s", user, code, out, errOut)
	}
}

// tokenFile is where the signed-in test keeps its token.
func tokenFile() string {
	return filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "callscribe", "api-token")
}

// savedTokenOf reads the token file.
func savedTokenOf(t *testing.T) savedToken {
	t.Helper()
	data, err := os.ReadFile(tokenFile())
	if err != nil {
		t.Fatal(err)
	}
	var st savedToken
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	return st
}
