package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/audit"
)

// TestSignInAndOutAreAudited: signing in creates a session in the audit
// trail, a wrong password is a denied create (an unknown username is
// recorded as "unknown", never as typed), signing out deletes the same
// session.
func TestSignInAndOutAreAudited(t *testing.T) {
	e := newSignInEnv(t)
	e.signIn(t, "10.0.0.1:1000", "dr.khan", "wrong")
	e.signIn(t, "10.0.0.1:1000", "my password by mistake", "x")
	r := e.signIn(t, "10.0.0.2:1000", "dr.khan", clinicianPW)
	if r.Code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", r.Code)
	}
	e.signOut(t, r.Result().Cookies())

	type ev struct {
		user    string
		action  audit.Action
		outcome audit.Outcome
	}
	var got []ev
	var events []audit.Event
	for _, x := range e.trail.all() {
		if x.Object.Kind == audit.KindSession { // not the queue page's read
			events = append(events, x)
			got = append(got, ev{x.User, x.Action, x.Outcome})
		}
	}
	want := []ev{
		{"dr.khan", audit.ActionCreate, audit.Denied},
		{"unknown", audit.ActionCreate, audit.Denied},
		{"dr.khan", audit.ActionCreate, audit.Allowed},
		{"dr.khan", audit.ActionDelete, audit.Allowed},
	}
	if len(got) != len(want) {
		t.Fatalf("audit events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %v, want %v", i, got[i], want[i])
		}
	}
	if len(events) == 4 && (events[2].Object.ID != events[3].Object.ID || !strings.HasPrefix(events[2].Object.ID, "session-")) {
		t.Errorf("sign-in on %q, sign-out on %q: want the same session", events[2].Object.ID, events[3].Object.ID)
	}

}

// signOut posts the sign-out form of the session in cookies.
func (e *signInEnv) signOut(t *testing.T, cookies []*http.Cookie) {
	t.Helper()
	get := httptest.NewRequest(http.MethodGet, "https://review.example/", nil)
	for _, ck := range cookies {
		get.AddCookie(ck)
	}
	page := httptest.NewRecorder()
	e.h.ServeHTTP(page, get)
	form := url.Values{"csrf": {csrfIn(t, page.Body.String())}}
	post := httptest.NewRequest(http.MethodPost, "https://review.example/logout", strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.Header.Set("Origin", "https://review.example")
	for _, ck := range cookies {
		post.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, post)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", rec.Code)
	}
}
