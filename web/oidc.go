package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/review"
)

// OIDCConfig signs users in through an organisation's identity provider
// (authorization code flow with PKCE, state and nonce). The provider says
// who the user is and, through RoleClaim, which callscribe role they have;
// a user without a mapped role is refused, so membership of the right
// group in the organisation's directory is what grants access.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this UI's callback, https://HOST/login/oidc/callback,
	// registered with the provider.
	RedirectURL string
	// RoleClaim names the ID-token claim holding the user's roles or groups
	// (a string or a list); "roles" if empty.
	RoleClaim string
	// RoleMap maps claim values to callscribe roles. Empty: the values are
	// the role names themselves (clinician, admin, dpo, auditor, safety).
	RoleMap map[string]string
	// Label is the button text ("Sign in with NHS Care Identity", say).
	Label string
	// HTTPClient talks to the provider; http.DefaultClient if nil.
	HTTPClient *http.Client
}

type oidcLogin struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier

	mu      sync.Mutex
	pending map[string]pendingLogin // by state
}

// pendingLogin is one sign-in on its way through the provider.
type pendingLogin struct {
	verifier, nonce string
	expires         time.Time
}

const oidcStateCookie = "callscribe_oidc"

func newOIDC(ctx context.Context, cfg OIDCConfig) (*oidcLogin, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: issuer, client ID and redirect URL are required")
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "roles"
	}
	if cfg.Label == "" {
		cfg.Label = "Sign in with your organisation"
	}
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: provider %s: %w", cfg.Issuer, err)
	}
	return &oidcLogin{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
		},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		pending:  map[string]pendingLogin{},
	}, nil
}

func (o *oidcLogin) ctx(ctx context.Context) context.Context {
	if o.cfg.HTTPClient != nil {
		return oidc.ClientContext(ctx, o.cfg.HTTPClient)
	}
	return ctx
}

// start sends the browser to the provider. The state is also put in a
// cookie, so a callback is only accepted in the browser that started it.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	o := s.oidc
	state, nonce, verifier := newToken(), newToken(), oauth2.GenerateVerifier()
	now := s.cfg.Now()
	o.mu.Lock()
	for k, p := range o.pending {
		if now.After(p.expires) {
			delete(o.pending, k)
		}
	}
	o.pending[state] = pendingLogin{verifier: verifier, nonce: nonce, expires: now.Add(10 * time.Minute)}
	o.mu.Unlock()
	// SameSite=Lax: the callback is a top-level navigation from the
	// provider's site, which would not carry a Strict cookie.
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: state, Path: "/login/oidc", MaxAge: 600,
		HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, o.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	o := s.oidc
	refuse := func(status int, msg string, err error) {
		s.log.Warn().Err(err).Msg("oidc sign-in refused: " + msg)
		tok := newToken()
		s.setCookie(w, loginCookie, tok, 600)
		s.render(w, status, "login.html", map[string]any{"CSRF": tok, "Message": "Sign-in through your organisation failed: " + msg, "OIDC": o.cfg.Label})
	}
	state := r.URL.Query().Get("state")
	c, err := r.Cookie(oidcStateCookie)
	if err != nil || !equalToken(state, c.Value) {
		refuse(http.StatusBadRequest, "the sign-in did not start in this browser, or took too long", err)
		return
	}
	o.mu.Lock()
	p, ok := o.pending[state]
	delete(o.pending, state) // one use only
	o.mu.Unlock()
	if !ok || s.cfg.Now().After(p.expires) {
		refuse(http.StatusBadRequest, "the sign-in expired; try again", nil)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: "", Path: "/login/oidc", MaxAge: -1, HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode})
	if e := r.URL.Query().Get("error"); e != "" {
		refuse(http.StatusUnauthorized, "the identity provider said "+e, nil)
		return
	}
	ctx, cancel := context.WithTimeout(o.ctx(r.Context()), 20*time.Second)
	defer cancel()
	tok, err := o.oauth.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(p.verifier))
	if err != nil {
		refuse(http.StatusBadGateway, "the code could not be exchanged", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		refuse(http.StatusUnauthorized, "the identity token is not valid", err)
		return
	}
	if !equalToken(idt.Nonce, p.nonce) {
		refuse(http.StatusUnauthorized, "the identity token is not valid", errors.New("nonce mismatch"))
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		refuse(http.StatusUnauthorized, "the identity token is not valid", err)
		return
	}
	actor, ok := o.actor(idt.Subject, claims)
	if !ok {
		refuse(http.StatusForbidden, "your account has no callscribe role; ask your administrator", nil)
		return
	}
	token, _ := s.sessions.create(actor)
	obj := audit.Object{Kind: audit.KindSession, ID: sessionRef(token)}
	_ = s.appendAudit(r.Context(), audit.Allow(audit.Actor{User: actor.ID, Role: actor.Role}, audit.ActionCreate, obj, purposeSignIn)) // logged there; see startSession
	s.setCookie(w, sessionCookie, token, 0)
	s.log.Info().Str("user", actor.ID).Str("role", actor.Role).Str("via", "oidc").Msg("signed in")
	// A same-site page, not a redirect: the browser would treat a redirect
	// at the end of the provider's cross-site chain as cross-site and
	// withhold the Strict session cookie.
	s.render(w, http.StatusOK, "signedin.html", map[string]any{})
}

// actor builds the user from ID-token claims; ok is false without a role.
func (o *oidcLogin) actor(sub string, claims map[string]any) (review.Actor, bool) {
	id := sub
	for _, k := range []string{"preferred_username", "email"} {
		if v, _ := claims[k].(string); v != "" {
			id = v
			break
		}
	}
	name, _ := claims["name"].(string)
	var values []string
	switch v := claims[o.cfg.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	// The most privileged mapped role wins, in this order, so that a user
	// in two groups is not silently downgraded.
	found := map[string]bool{}
	for _, v := range values {
		role := v
		if len(o.cfg.RoleMap) > 0 {
			role = o.cfg.RoleMap[v]
		}
		if validRole(role) {
			found[role] = true
		}
	}
	// Safety sees only aggregates, so it is the least privileged.
	for _, r := range []string{review.RoleClinician, review.RoleDPO, review.RoleAuditor, review.RoleAdmin, review.RoleSafety} {
		if found[r] {
			return review.Actor{ID: id, Name: name, Role: r}, true
		}
	}
	return review.Actor{}, false
}
