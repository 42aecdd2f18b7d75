package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/web"
)

// login keeps the token private (0600) with the server it came from;
// logout revokes it on the server, so a copy kept aside no longer works;
// a wrong password is refused in plain words.
func TestLoginKeepsTokenAndLogoutRevokesIt(t *testing.T) {
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	webURL := startWeb(t, c, nil)
	signIn(t, webURL, "aud")
	fi, err := os.Stat(tokenFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v, want mode 0600", fi, err)
	}
	st := savedTokenOf(t)
	if st.URL != webURL || st.Token == "" || st.Expires.IsZero() {
		t.Fatalf("token file holds %+v", st)
	}
	if code, out, errOut := runCLI(t, "status", "-all"); code != 0 || !strings.Contains(out, "Nothing queued.") {
		t.Fatalf("control: status -all signed in: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "logout"); code != 0 || !strings.Contains(out, "signed out") {
		t.Fatalf("logout: exit %d %s", code, out)
	}
	if code, _, errOut := runCLI(t, "status", "-all"); code != 1 || !strings.Contains(errOut, "not signed in: run 'callscribe login'") {
		t.Errorf("status after logout: exit %d, %s", code, errOut)
	}
	if err := saveToken(tokenFile(), st); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "status", "-all"); code != 1 || !strings.Contains(errOut, "not signed in, or the sign-in expired") {
		t.Errorf("status with the revoked token: exit %d, %s", code, errOut)
	}
	t.Setenv("CALLSCRIBE_PASSWORD", "not the password")
	if code, _, errOut := runCLI(t, "login", "-web-url", webURL, "-user", "aud"); code != 1 || !strings.Contains(errOut, "wrong user name or password") {
		t.Errorf("login with a wrong password: exit %d, %s", code, errOut)
	}
}

// A token made on the UI's page (the way in for OIDC users) is read from
// standard input, checked with the server and kept.
func TestLoginWithATokenFromThePage(t *testing.T) {
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	webURL := startWeb(t, c, nil)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var tok web.APIToken
	err := newAPIClient(webURL, "").call(context.Background(), "POST", "/api/v1/login",
		map[string]string{"user": "dr.khan", "password": testPeople["dr.khan"].pw}, &tok)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		token string
		code  int
		want  string
	}{{"made-up", 1, "not signed in, or the sign-in expired"}, {tok.Token, 0, "as dr.khan (clinician)"}} {
		r, w, _ := os.Pipe()
		_, _ = w.WriteString(c.token + "\n")
		w.Close()
		saved := os.Stdin
		os.Stdin = r
		code, out, errOut := runCLI(t, "login", "-web-url", webURL, "-token-stdin")
		os.Stdin = saved
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("login -token-stdin with %s token: exit %d, %s%s", map[int]string{0: "a real", 1: "a made-up"}[c.code], code, out, errOut)
		}
	}
	if savedTokenOf(t).Token != tok.Token {
		t.Error("the token was not kept")
	}
}

// With no web UI answering, a command says so and how to start one; a
// -web-url other than the token's server is refused rather than sent the
// token.
func TestCommandsSayWhenNoWebUIAnswers(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	if err := saveToken(tokenFile(), savedToken{URL: "http://127.0.0.1:1", Token: "t0ken-not-shown"}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status", "call-0003"}, {"audit", "query"}, {"object", "call-0003"}} {
		code, _, errOut := runCLI(t, args...)
		if code != 1 || !strings.Contains(errOut, "no callscribe web UI answers at http://127.0.0.1:1") ||
			!strings.Contains(errOut, "scripts/callscribe serve") || strings.Contains(errOut, "t0ken") {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, errOut)
		}
	}
	code, _, errOut := runCLI(t, "status", "-web-url", "http://elsewhere.example", "call-0003")
	if code != 1 || !strings.Contains(errOut, "your token is for http://127.0.0.1:1") {
		t.Errorf("status -web-url elsewhere: exit %d, %s", code, errOut)
	}
}
