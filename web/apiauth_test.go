package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/web"
)

// api sends an API request from addr to the in-process UI.
func (e *signInEnv) api(addr, method, path, token string, body any) *httptest.ResponseRecorder {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req := httptest.NewRequest(method, "https://review.example"+path, bytes.NewReader(b))
	req.RemoteAddr = addr
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

func (e *signInEnv) apiLogin(addr, user, pw string) *httptest.ResponseRecorder {
	return e.api(addr, "POST", "/api/v1/login", "", map[string]string{"user": user, "password": pw})
}

const workstation = "10.20.0.7:51000"

func tokenOf(t *testing.T, r *httptest.ResponseRecorder) web.APIToken {
	t.Helper()
	var tok web.APIToken
	if r.Code != http.StatusOK || json.Unmarshal(r.Body.Bytes(), &tok) != nil || tok.Token == "" {
		t.Fatalf("API login: %d %s", r.Code, r.Body)
	}
	return tok
}

// No token, a wrong one, an expired one (idle or too old), a revoked one
// and a page session cookie are all 401 with a Bearer challenge; the
// token works until then (positive control) and never opens the pages.
func TestAPIRequiresALiveBearerToken(t *testing.T) {
	e := newSignInEnv(t)
	unauth := func(what, token string, hdr ...string) {
		t.Helper()
		req := httptest.NewRequest("GET", "https://review.example/api/v1/me", nil)
		req.RemoteAddr = workstation
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if len(hdr) == 2 {
			req.Header.Set(hdr[0], hdr[1])
		}
		r := httptest.NewRecorder()
		e.h.ServeHTTP(r, req)
		if r.Code != http.StatusUnauthorized || !strings.HasPrefix(r.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %q, want 401 with a Bearer challenge", what, r.Code, r.Header().Get("WWW-Authenticate"))
		}
	}
	unauth("no token", "")
	unauth("made-up token", "bm90LWEtdG9rZW4")
	page := e.signIn(t, workstation, "dr.khan", clinicianPW)
	if page.Code != http.StatusSeeOther {
		t.Fatalf("page sign-in: %d", page.Code)
	}
	unauth("page session cookie", "", "Cookie", page.Result().Cookies()[len(page.Result().Cookies())-1].String())

	tok := tokenOf(t, e.apiLogin(workstation, "dr.khan", clinicianPW)).Token
	if r := e.api(workstation, "GET", "/api/v1/me", tok, nil); r.Code != 200 || !strings.Contains(r.Body.String(), `"role":"clinician"`) {
		t.Fatalf("control: live token: %d %s", r.Code, r.Body)
	}
	req := httptest.NewRequest("GET", "https://review.example/", nil)
	req.Header.Set("Cookie", "callscribe_session="+tok)
	r := httptest.NewRecorder()
	e.h.ServeHTTP(r, req)
	if r.Code != http.StatusSeeOther || !strings.HasPrefix(r.Header().Get("Location"), "/login") {
		t.Errorf("API token as a page cookie: %d, want the sign-in page", r.Code)
	}
	e.clock.Add(web.DefaultAPITokenIdle + time.Second)
	unauth("token idle too long", tok)

	tok = tokenOf(t, e.apiLogin(workstation, "dr.khan", clinicianPW)).Token
	for range 25 { // used every 30 minutes: never idle, but 12.5 hours old
		e.clock.Add(30 * time.Minute)
		e.api(workstation, "GET", "/api/v1/me", tok, nil)
	}
	unauth("token older than 12 hours", tok)

	tok = tokenOf(t, e.apiLogin(workstation, "dr.khan", clinicianPW)).Token
	if r := e.api(workstation, "POST", "/api/v1/logout", tok, nil); r.Code != http.StatusNoContent {
		t.Fatalf("logout: %d", r.Code)
	}
	unauth("revoked token", tok)
	var created, deleted int
	for _, ev := range e.trail.all() {
		if ev.Object.Kind == audit.KindSession && strings.HasPrefix(ev.Object.ID, "api-token-") {
			created += map[bool]int{true: 1}[ev.Action == audit.ActionCreate]
			deleted += map[bool]int{true: 1}[ev.Action == audit.ActionDelete]
		}
	}
	if created != 3 || deleted != 1 {
		t.Errorf("API tokens in the trail: %d issued, %d revoked; want 3 and 1", created, deleted)
	}
}

// The API sign-in is the form's sign-in: one throttle for both, so 50
// guesses on the API are refused past the first few, the form is refused
// from that address too, wrong passwords are audited, and the user's own
// workstation still gets in.
func TestAPILoginThrottledLikeTheForm(t *testing.T) {
	e := newSignInEnv(t)
	const attacker = "192.0.2.66:40000"
	codes := map[int]int{}
	for i := range 50 {
		r := e.apiLogin(attacker, "dr.khan", fmt.Sprintf("guess-%d", i))
		codes[r.Code]++
		if r.Code == http.StatusTooManyRequests && r.Header().Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if codes[http.StatusUnauthorized] > 3 || codes[http.StatusTooManyRequests] < 47 {
		t.Fatalf("50 wrong API passwords answered %v, want at most 3 checked and the rest 429", codes)
	}
	if r := e.apiLogin(attacker, "dr.khan", clinicianPW); r.Code != http.StatusTooManyRequests {
		t.Errorf("right password on the API from the throttled address: %d, want 429", r.Code)
	}
	if r := e.signIn(t, attacker, "dr.khan", clinicianPW); r.Code != http.StatusTooManyRequests {
		t.Errorf("the form from the address the API throttled: %d, want 429", r.Code)
	}
	tokenOf(t, e.apiLogin(workstation, "dr.khan", clinicianPW))
	denied := 0
	for _, ev := range e.trail.all() {
		if ev.Object.Kind == audit.KindSession && ev.Outcome == audit.Denied && ev.User == "dr.khan" {
			denied++
		}
	}
	if denied != codes[http.StatusUnauthorized] {
		t.Errorf("%d wrong passwords audited, want %d", denied, codes[http.StatusUnauthorized])
	}
}
