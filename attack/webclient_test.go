package attack_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// webClient is a browser as far as the review UI can tell: it keeps its
// cookies (by hand, as the session cookie is Secure and the UI speaks
// plain HTTP on loopback, where a cookie jar would drop it), never follows
// redirects, and may come from any loopback address, which is how the
// tests play several hosts against the sign-in throttle.
type webClient struct {
	base, host string
	hc         *http.Client

	mu      sync.Mutex
	cookies map[string]string
}

// newWebClient returns a client of s's UI whose connections come from
// localIP (e.g. "127.0.66.6"; "" for the default, 127.0.0.1).
func newWebClient(s *serveProc, localIP string) *webClient {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4, DisableCompression: true}
	return &webClient{
		base: s.webBase, host: s.webHost, cookies: map[string]string{},
		hc: &http.Client{Transport: tr, Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// loopbackHost is a fresh loopback address in 127.<net>.0.0/16, so every
// run (and -count=N) plays hosts the sign-in throttle has not seen yet.
func loopbackHost(net byte) string {
	b := make([]byte, 2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return fmt.Sprintf("127.%d.%d.%d", net, b[0], max(b[1], 1))
}

// response is what came back: status, headers, body.
type response struct {
	code   int
	header http.Header
	body   string
}

// do sends one request; form, if not nil, is posted url-encoded; origin,
// if not empty, is sent as the Origin header.
func (c *webClient) do(ctx context.Context, method, path string, form url.Values, origin string) (response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return response{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	c.mu.Lock()
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	c.mu.Unlock()
	resp, err := c.hc.Do(req)
	if err != nil {
		return response{}, err
	}
	b := drain(resp.Body)
	c.mu.Lock()
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	c.mu.Unlock()
	return response{code: resp.StatusCode, header: resp.Header, body: string(b)}, nil
}

// selfOrigin is the UI's own origin, as a browser sends it on its forms.
func (c *webClient) selfOrigin() string { return "http://" + c.host }

func (c *webClient) get(t testing.TB, path string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	r, err := c.do(ctx, http.MethodGet, path, nil, "")
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return r
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOn fetches page and returns its form token ("" if none).
func (c *webClient) csrfOn(ctx context.Context, page string) (string, error) {
	r, err := c.do(ctx, http.MethodGet, page, nil, "")
	if err != nil {
		return "", err
	}
	m := csrfRE.FindStringSubmatch(r.body)
	if m == nil {
		return "", fmt.Errorf("GET %s: %d, no form token on the page", page, r.code)
	}
	return m[1], nil
}

// signIn posts the sign-in form as a browser would (token from the form,
// the UI's own Origin) and returns the status: 303 signed in, 401 wrong
// password, 429 throttled, 503 busy. Safe in goroutines: no t.Fatal.
func (c *webClient) signIn(ctx context.Context, user, pw string) (response, error) {
	tok, err := c.csrfOn(ctx, "/login")
	if err != nil {
		return response{}, err
	}
	return c.do(ctx, http.MethodPost, "/login", url.Values{"username": {user}, "password": {pw}, "csrf": {tok}}, c.selfOrigin())
}

// post fetches page for its form token and posts form (with the token) to
// path with the given Origin.
func (c *webClient) post(t testing.TB, page, path string, form url.Values, origin string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	tok, err := c.csrfOn(ctx, page)
	if err != nil {
		t.Fatal(err)
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", tok)
	r, err := c.do(ctx, http.MethodPost, path, form, origin)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return r
}

// session is a client of s signed in (from 127.0.0.1) as user, one per
// user for the whole run, so the real users' address is known-good to the
// throttle before any attack on sign-in starts.
func (s *serveProc) session(t testing.TB, user string) *webClient {
	t.Helper()
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	if c := s.sessions[user]; c != nil {
		return c
	}
	c := newWebClient(s, "")
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	r, err := c.signIn(ctx, user, s.passwords[user])
	if err != nil {
		t.Fatalf("sign in as %s: %v", user, err)
	}
	if r.code != http.StatusSeeOther {
		t.Fatalf("sign in as %s with the initial password: %d, want 303", user, r.code)
	}
	s.sessions[user] = c
	return c
}
