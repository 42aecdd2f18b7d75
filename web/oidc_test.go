package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/web"
)

// fakeIdP is a TEST DOUBLE for an organisation's OpenID Connect provider:
// discovery, JWKS, an authorize endpoint that approves at once as the
// configured user, and a token endpoint that checks PKCE and signs an ID
// token with a fresh RSA key.
type fakeIdP struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	mu     sync.Mutex
	claims map[string]any // the next user's claims
	codes  map[string]struct{ nonce, challenge string }
}

func newFakeIdP(t *testing.T) *fakeIdP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIdP{key: key, codes: map[string]struct{ nonce, challenge string }{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		u := f.srv.URL
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token", "jwks_uri": u + "/jwks",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" {
			http.Error(w, "PKCE required", http.StatusBadRequest)
			return
		}
		code := "code-" + q.Get("state")[:8]
		f.mu.Lock()
		f.codes[code] = struct{ nonce, challenge string }{q.Get("nonce"), q.Get("code_challenge")}
		f.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		c, ok := f.codes[r.PostFormValue("code")]
		delete(f.codes, r.PostFormValue("code"))
		claims := map[string]any{}
		for k, v := range f.claims {
			claims[k] = v
		}
		f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		now := time.Now()
		claims["iss"], claims["aud"], claims["nonce"] = f.srv.URL, "callscribe", c.nonce
		claims["iat"], claims["exp"] = now.Unix(), now.Add(5*time.Minute).Unix()
		payload, _ := json.Marshal(claims)
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: f.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		obj, _ := signer.Sign(payload)
		idt, _ := obj.CompactSerialize()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": idt})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func TestOIDCSignIn(t *testing.T) {
	e := newEnv(t)
	idp := newFakeIdP(t)
	trail := &eventSink{}
	ui := e.serveUI(t, func(cfg *web.Config, u string) {
		cfg.Audit = trail
		cfg.OIDC = &web.OIDCConfig{
			Issuer: idp.srv.URL, ClientID: "callscribe", ClientSecret: "s", RedirectURL: u + "/login/oidc/callback",
			RoleClaim: "groups", RoleMap: map[string]string{"spa-clinicians": "clinician", "spa-admin": "admin"},
			Label: "Sign in with the trust's directory",
		}
	})
	signIn := func(claims map[string]any) (*http.Client, *http.Response) {
		idp.mu.Lock()
		idp.claims = claims
		idp.mu.Unlock()
		jar, _ := cookiejar.New(nil)
		c := ui.Client()
		c.Jar = jar
		resp, err := c.Get(ui.URL + "/login/oidc")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return c, resp
	}

	c, resp := signIn(map[string]any{"sub": "u1", "preferred_username": "a.khan@trust.nhs.uk", "name": "Dr A Khan", "groups": []string{"staff", "spa-clinicians"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	q, err := c.Get(ui.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	q.Body.Close()
	if q.Request.URL.Path != "/" || q.StatusCode != http.StatusOK {
		t.Fatalf("queue after OIDC sign-in: %d at %s", q.StatusCode, q.Request.URL)
	}
	a, _ := c.Get(ui.URL + "/calls/" + e.clinicalCall(t) + "/audio")
	a.Body.Close()
	if a.StatusCode != http.StatusOK {
		t.Fatalf("clinician via OIDC: audio %d", a.StatusCode)
	}

	// A user without a mapped role is refused.
	if _, resp := signIn(map[string]any{"sub": "u2", "groups": []string{"staff"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("user without a role: %d", resp.StatusCode)
	}
	// A callback that did not start in this browser is refused.
	jar, _ := cookiejar.New(nil)
	c2 := ui.Client()
	c2.Jar = jar
	r, err := c2.Get(ui.URL + "/login/oidc/callback?code=x&state=forged")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("forged callback: %d", r.StatusCode)
	}
	if !strings.Contains(e.logs.String(), `"via":"oidc"`) {
		t.Error("OIDC sign-in not logged")
	}
	signIns := 0
	for _, ev := range trail.all() {
		if ev.Object.Kind == audit.KindSession && ev.Action == audit.ActionCreate && ev.Outcome == audit.Allowed && ev.User == "a.khan@trust.nhs.uk" {
			signIns++
		}
	}
	if signIns != 1 {
		t.Errorf("%d audited OIDC sign-ins, want 1", signIns)
	}
}
