package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBruteForceSignInIsThrottled plays issue 12's 50 wrong passwords from
// one address: past the first few, attempts are refused with 429 and a
// Retry-After, even with the right password (or the throttle would be an
// oracle), until the wait has passed on the clock. The same user from
// another address signs in at once: the attacker cannot lock them out.
func TestBruteForceSignInIsThrottled(t *testing.T) {
	e := newSignInEnv(t)
	const attacker, workstation = "192.0.2.66:40000", "10.20.0.7:51000"
	codes := map[int]int{}
	for i := 0; i < 50; i++ {
		codes[e.signIn(t, attacker, "dr.khan", fmt.Sprintf("guess-%d", i)).Code]++
	}
	if codes[http.StatusUnauthorized] > 3 || codes[http.StatusTooManyRequests] < 47 {
		t.Fatalf("50 wrong passwords from one address answered %v, want at most 3 checked and the rest 429", codes)
	}
	r := e.signIn(t, attacker, "dr.khan", clinicianPW)
	if r.Code != http.StatusTooManyRequests || r.Header().Get("Retry-After") == "" {
		t.Fatalf("right password from the throttled address: %d, Retry-After %q", r.Code, r.Header().Get("Retry-After"))
	}
	if r := e.signIn(t, workstation, "dr.khan", clinicianPW); r.Code != http.StatusSeeOther {
		t.Fatalf("dr.khan from their workstation during the attack: %d, want 303 (signed in)", r.Code)
	}
	e.clock.Add(time.Second)
	if r := e.signIn(t, attacker, "dr.khan", clinicianPW); r.Code != http.StatusSeeOther {
		t.Fatalf("right password after the wait: %d, want 303", r.Code)
	}
}

// TestSignInLogsNoTypedUsername: a password typed into the username field
// must not reach the log. Unknown usernames are logged as a keyed digest;
// a known account is named (positive control: the log line is there).
func TestSignInLogsNoTypedUsername(t *testing.T) {
	e := newSignInEnv(t)
	const typo = "Tr0ub4dor&3-my-real-password"
	e.signIn(t, "10.0.0.1:1000", typo, "whatever")
	e.signIn(t, "10.0.0.2:1000", "dr.khan", "wrong")
	logs := e.logs.String()
	if strings.Contains(logs, typo) || strings.Contains(logs, "Tr0ub4dor") {
		t.Fatalf("typed username in the log:\n%s", logs)
	}
	if strings.Count(logs, "sign-in refused") != 2 || !strings.Contains(logs, `"user":"dr.khan"`) || !strings.Contains(logs, `"user_ref":"`) {
		t.Fatalf("refusals not logged as expected:\n%s", logs)
	}
}

// TestOriginNullRefused: a POST with "Origin: null" (a sandboxed frame, a
// data: URL or an old browser on an attacker's page) is refused by the
// same-origin check unless the browser itself vouches with Sec-Fetch-Site:
// same-origin, as Chromium does on this site's own forms (which ask for no
// referrer, so carry Origin null). Positive controls: the site's origin,
// and null with same-origin, reach the password check (401).
func TestOriginNullRefused(t *testing.T) {
	e := newSignInEnv(t)
	for _, c := range []struct {
		origin, site string
		want         int
	}{
		{"null", "", http.StatusForbidden},
		{"null", "cross-site", http.StatusForbidden},
		{"https://review.example", "", http.StatusUnauthorized},
		{"null", "same-origin", http.StatusUnauthorized},
	} {
		if r := e.postLogin(t, c.origin, c.site); r.Code != c.want {
			t.Errorf("POST /login with Origin %q, Sec-Fetch-Site %q: %d, want %d", c.origin, c.site, r.Code, c.want)
		}
	}
}
