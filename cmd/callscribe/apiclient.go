package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// People's commands (status, sar, audit, object) go through the web
// component's API as the signed-in person: the server checks the role,
// writes the audit event and only then answers. They never connect to
// NATS. 'callscribe login' saves the server's URL and a token.

// defaultWebURL is where serve puts the web UI by default (-web).
const defaultWebURL = "http://127.0.0.1:8080"

// apiFlags say which server to ask and where the token is kept.
type apiFlags struct {
	url       string
	tokenFile string
}

// register adds the flags; the commands ask the server they signed in
// to unless -web-url names it, 'login' (forLogin) the default UI address.
func (f *apiFlags) register(fs *flag.FlagSet, forLogin bool) {
	if forLogin {
		fs.StringVar(&f.url, "web-url", defaultWebURL, "URL of the callscribe web UI to sign in to (serve's -web address, or the HTTPS URL in front of it)")
	} else {
		fs.StringVar(&f.url, "web-url", "", "URL of the callscribe web UI to ask; empty: the one 'callscribe login' signed in to (a token is never sent to another)")
	}
	fs.StringVar(&f.tokenFile, "api-token-file", defaultTokenFile(), "where 'callscribe login' keeps your API token (0600)")
}

// defaultTokenFile is $XDG_CONFIG_HOME/callscribe/api-token, else
// ~/.config/callscribe/api-token.
func defaultTokenFile() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "callscribe", "api-token")
}

// savedToken is the token file: the server it belongs to and the token.
type savedToken struct {
	URL     string    `json:"url"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires,omitzero"`
}

// errNotSignedIn is what every command says without a usable token.
var errNotSignedIn = errors.New("not signed in: run 'callscribe login'")

// client reads the token file and returns a client for its server. A
// -web-url other than the one the token was issued by is refused rather
// than handed the token.
func (f *apiFlags) client() (*apiClient, error) {
	data, err := os.ReadFile(f.tokenFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNotSignedIn
	}
	if err != nil {
		return nil, fmt.Errorf("API token: %w", err)
	}
	var st savedToken
	if err := json.Unmarshal(data, &st); err != nil || st.Token == "" || st.URL == "" {
		return nil, fmt.Errorf("API token file %s is damaged: %w", f.tokenFile, errNotSignedIn)
	}
	if f.url != "" && strings.TrimRight(f.url, "/") != st.URL {
		return nil, fmt.Errorf("your token is for %s, not %s: run 'callscribe login -web-url %s'", st.URL, f.url, f.url)
	}
	return newAPIClient(st.URL, st.Token), nil
}

// apiClient calls the API with a bearer token.
type apiClient struct {
	base  string
	token string
	hc    *http.Client
}

func newAPIClient(base, token string) *apiClient {
	return &apiClient{base: strings.TrimRight(base, "/"), token: token, hc: &http.Client{Timeout: 10 * time.Minute}}
}

// call sends body (JSON, if not nil) and decodes a 2xx answer into out
// (if not nil); any other answer is an error in the server's words.
func (c *apiClient) call(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: unreadable answer: %w", method, path, err)
	}
	return nil
}

// send makes the request and returns a 2xx response; the caller closes it.
func (c *apiClient) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("web URL %s: %w", c.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, unreachable(c.base, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, answerError(resp)
}

// unreachable explains a request that reached no server.
func unreachable(base string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return fmt.Errorf("the callscribe web UI at %s did not answer in time: %w", base, err)
	}
	return fmt.Errorf("no callscribe web UI answers at %s: start it with 'scripts/callscribe serve' (it serves the UI on -web, "+
		"%s by default), or give -web-url (CALLSCRIBE_WEB_URL): %w", base, strings.TrimPrefix(defaultWebURL, "http://"), err)
}

// apiRefusal is an answer other than 2xx, in the server's words.
type apiRefusal struct {
	status int
	msg    string
}

func (e *apiRefusal) Error() string {
	switch e.status {
	case http.StatusUnauthorized:
		return "not signed in, or the sign-in expired (" + e.msg + "): run 'callscribe login'"
	case http.StatusForbidden, http.StatusNotFound, http.StatusBadRequest, http.StatusTooManyRequests:
		return e.msg
	}
	return fmt.Sprintf("the server answered %d %s: %s", e.status, http.StatusText(e.status), e.msg)
}

func answerError(resp *http.Response) error {
	var body struct {
		Error string `json:"error"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &body) != nil || body.Error == "" {
		body.Error = strings.TrimSpace(string(data))
		if len(body.Error) > 200 || body.Error == "" {
			body.Error = "no explanation given (is -web-url the callscribe web UI?)"
		}
	}
	return &apiRefusal{status: resp.StatusCode, msg: body.Error}
}
