package main

import (
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/internal/natstest"
)

// TestWebFlagsStartTheReviewUI checks serve's -web wiring on a real
// embedded nats-server: accounts are created on first start, the UI
// answers, the created clinician can sign in, and stop shuts it all down.
func TestWebFlagsStartTheReviewUI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, _ := natstest.Pipeline(t, zerolog.Nop())

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	accounts := filepath.Join(t.TempDir(), "accounts.json")
	var wf webFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	wf.register(fs)
	if err := fs.Parse([]string{"-web", addr, "-web-accounts", accounts}); err != nil {
		t.Fatal(err)
	}
	store, err := wf.openStore(ctx, client, 1, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	stop, err := wf.start(ctx, store, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	pw, err := os.ReadFile(accounts + ".initial-passwords")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^clinician\tclinician\t(\S+)$`).FindStringSubmatch(string(pw))
	if m == nil {
		t.Fatalf("no clinician in the initial passwords")
	}
	base := "http://localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	var page string
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := hc.Get(base + "/login")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			page = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("review UI not answering: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if tok == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"csrf": {tok[1]}, "username": {"clinician"}, "password": {m[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `id="queue"`) {
		t.Fatalf("after sign-in: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	stop()
	stopped = true
	if _, err := hc.Get(base + "/login"); err == nil {
		t.Fatal("review UI still answering after stop")
	}
}
