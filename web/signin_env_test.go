package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/web"
)

// signInEnv is the UI with one clinician account, served in process (so
// each request can come from any address), on a fake clock, with its log
// and audit events kept. No calls are ingested: sign-in needs none.
type signInEnv struct {
	ui    *web.Server
	h     http.Handler
	clock *clock
	logs  *testenv.LogBuffer
	trail *eventSink
}

// clock is a TEST DOUBLE for the wall clock, for the throttle's windows.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// eventSink is a TEST DOUBLE for the audit trail that keeps events, or
// refuses them all when broken.
type eventSink struct {
	mu     sync.Mutex
	events []audit.Event
	broken bool
}

func (s *eventSink) Append(_ context.Context, ev audit.Event) (audit.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ev.Validate(); err != nil {
		return audit.Entry{}, err
	}
	if s.broken {
		return audit.Entry{}, context.DeadlineExceeded
	}
	s.events = append(s.events, ev)
	return audit.Entry{Event: ev}, nil
}

func (s *eventSink) all() []audit.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]audit.Event(nil), s.events...)
}

func newSignInEnv(t *testing.T) *signInEnv {
	t.Helper()
	logs := &testenv.LogBuffer{}
	log := zerolog.New(logs).Level(zerolog.DebugLevel)
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	store, err := review.Open(context.Background(), c, review.Config{Log: zerolog.Nop()})
	if err != nil {
		t.Fatalf("review.Open: %v", err)
	}
	hash, err := web.HashPassword(clinicianPW)
	if err != nil {
		t.Fatal(err)
	}
	accts, err := web.NewAccounts(web.Account{Username: "dr.khan", Name: "Dr A Khan", Role: review.RoleClinician, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	sink := &eventSink{}
	ui, err := web.New(web.Config{Store: store, Accounts: accts, Log: log, Now: clk.Now, Audit: sink})
	if err != nil {
		t.Fatal(err)
	}
	return &signInEnv{ui: ui, h: ui.Handler(), clock: clk, logs: logs, trail: sink}
}

// signIn posts the sign-in form from addr ("ip:port") with a fresh form
// token, as a browser on that host would.
func (e *signInEnv) signIn(t *testing.T, addr, user, pw string) *httptest.ResponseRecorder {
	t.Helper()
	return e.post(t, addr, "https://review.example", "", url.Values{"username": {user}, "password": {pw}})
}

// postLogin posts a wrong password with the given Origin and, if not
// empty, Sec-Fetch-Site.
func (e *signInEnv) postLogin(t *testing.T, origin, site string) *httptest.ResponseRecorder {
	t.Helper()
	return e.post(t, "10.9.9.9:1000", origin, site, url.Values{"username": {"dr.khan"}, "password": {"wrong"}})
}

// post fetches the sign-in form, then posts form with its token and
// cookie from addr with the given Origin and Sec-Fetch-Site headers. It
// may run in a goroutine, so it reports with t.Errorf, never t.Fatal.
func (e *signInEnv) post(t *testing.T, addr, origin, site string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	get := httptest.NewRequest(http.MethodGet, "https://review.example/login", nil)
	get.RemoteAddr = addr
	page := httptest.NewRecorder()
	e.h.ServeHTTP(page, get)
	m := csrfRE.FindStringSubmatch(page.Body.String())
	if m == nil {
		t.Errorf("no CSRF token on the sign-in page") // not Fatal: may run in a goroutine
		return httptest.NewRecorder()
	}
	form.Set("csrf", m[1])
	post := httptest.NewRequest(http.MethodPost, "https://review.example/login", strings.NewReader(form.Encode()))
	post.RemoteAddr = addr
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.Header.Set("Origin", origin)
	if site != "" {
		post.Header.Set("Sec-Fetch-Site", site)
	}
	for _, ck := range page.Result().Cookies() {
		post.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, post)
	return rec
}
