// Package web is the clinicians' review UI: a queue of proposals and triage
// items, a page per call with its transcript, rule hits and audio, and the
// confirm / amend / reject / triage actions. Pages are rendered on the
// server (html/template, embedded); the little JavaScript there is (audio
// seeking and keyboard shortcuts) is a static file, so a strict
// Content-Security-Policy forbids any inline script.
//
// Access: local accounts (argon2id), sessions in Secure, HttpOnly,
// SameSite=Strict cookies with an idle timeout, a CSRF token on every form,
// and roles enforced on every handler: only clinicians see transcripts or
// hear audio; admin staff, the DPO and auditors see call time, line, state
// and history. The one exception is /admin-calls, where admin staff read
// administrative calls (never clinical or uncertain ones) with NHS
// numbers, phone numbers, dates and postcodes redacted, as the privacy
// notice allows.
//
// People's command-line tasks (callscribe status, sar, audit, object) use
// the JSON API under /api/v1/ (api.go): the same accounts, roles and
// fail-closed audit, authenticated by bearer tokens only, never cookies.
package web

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/retention"
	"github.com/callscribe/callscribe/review"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

const (
	sessionCookie = "callscribe_session"
	loginCookie   = "callscribe_login"
	// DefaultIdleTimeout logs out a session left alone this long: a
	// workstation left unlocked in a clinic should not stay signed in.
	DefaultIdleTimeout = 15 * time.Minute
	maxSession         = 12 * time.Hour
	maxForm            = 1 << 20
)

// Config sets up the UI.
type Config struct {
	Store    *review.Store
	Accounts Accounts
	Log      zerolog.Logger
	// IdleTimeout; 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// InsecureCookies drops the Secure attribute, for plain-HTTP development
	// on a host that is not localhost. Never in production.
	InsecureCookies bool
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// OIDC adds sign-in through an identity provider beside the local
	// accounts; nil: local accounts only.
	OIDC *OIDCConfig
	// Audit, if set, receives an event for every request on a call and
	// for the queue, written before the response; a read whose event cannot
	// be written is refused (503).
	Audit AuditAppender
	// Backlog, if set, says on the queue page how many calls are still
	// being transcribed or waiting for it.
	Backlog Backlog
	// Calls is what the API reads about calls; nil: the review store's
	// pipeline client.
	Calls CallStates
	// Exporter, if set, answers subject access requests on the API (DPO).
	Exporter Exporter
	// AuditReader, if set, answers audit verify and query on the API
	// (auditor, DPO). It must record each read in the trail before it
	// reads, as an *audit.Log with a Signer does.
	AuditReader AuditReader
	// Objector honours objections from the call page and the API; nil:
	// retention.Eraser on the review store's pipeline.
	Objector Objector
	// APITokenIdle ends an API token left unused this long; 0 means
	// DefaultAPITokenIdle.
	APITokenIdle time.Duration
}

// Server serves the review UI.
type Server struct {
	cfg      Config
	store    *review.Store
	sessions *sessions
	tmpl     *template.Template
	log      zerolog.Logger
	// dummyHash is checked for unknown usernames so a login takes as long
	// whether or not the account exists.
	dummyHash string
	oidc      *oidcLogin
	signin    *signInGuard
	// apiTokens are the API's bearer tokens: sessions of their own kind,
	// never accepted as a cookie (and cookies never accepted by the API).
	apiTokens *sessions
}

// New builds the UI server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("web: no review store")
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.APITokenIdle == 0 {
		cfg.APITokenIdle = DefaultAPITokenIdle
	}
	if cfg.Calls == nil {
		cfg.Calls = cfg.Store.Pipeline()
	}
	if cfg.Objector == nil {
		cfg.Objector = retention.Eraser{Pipeline: cfg.Store.Pipeline(), Review: cfg.Store}
	}
	t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	dummy, err := HashPassword(newToken())
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, store: cfg.Store, tmpl: t, dummyHash: dummy,
		log:       cfg.Log.With().Str("component", "web").Logger(),
		sessions:  &sessions{m: map[[32]byte]*session{}, idle: cfg.IdleTimeout, max: maxSession, clock: cfg.Now},
		signin:    newSignInGuard(cfg.Now),
		apiTokens: &sessions{m: map[[32]byte]*session{}, idle: cfg.APITokenIdle, max: maxSession, clock: cfg.Now},
	}
	if cfg.OIDC != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if s.oidc, err = newOIDC(ctx, *cfg.OIDC); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	return s, nil
}

// Handler returns the UI's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.authed(s.logout))
	if s.oidc != nil {
		mux.HandleFunc("GET /login/oidc", s.oidcStart)
		mux.HandleFunc("GET /login/oidc/callback", s.oidcCallback)
	}
	mux.HandleFunc("GET /{$}", s.authed(s.home(s.auditedList(queueObject, s.queue))))
	mux.HandleFunc("GET /monitoring", s.authed(s.auditedList(monitoringObject, s.monitoring)))
	mux.HandleFunc("GET /admin-calls", s.authed(s.adminCalls))         // audits each call shown itself
	mux.HandleFunc("GET /admin-calls/{id}", s.authed(s.adminCallPage)) // likewise
	mux.HandleFunc("GET /calls/{id}", s.authed(s.audited(audit.KindTranscript, audit.ActionRead, s.callPage)))
	mux.HandleFunc("GET /calls/{id}/audio", s.authed(s.audited(audit.KindRecording, audit.ActionRead, s.audio)))
	mux.HandleFunc("POST /calls/{id}/confirm", s.authed(s.audited(audit.KindProposal, audit.ActionUpdate, s.confirm)))
	mux.HandleFunc("POST /calls/{id}/reject", s.authed(s.audited(audit.KindProposal, audit.ActionUpdate, s.reject)))
	mux.HandleFunc("POST /calls/{id}/triage", s.authed(s.audited(audit.KindDecision, audit.ActionUpdate, s.triage)))
	mux.HandleFunc("POST /calls/{id}/object", s.authed(s.object))
	mux.HandleFunc("GET /account/api-token", s.authed(s.apiTokenPage))
	mux.HandleFunc("POST /account/api-token", s.authed(s.mintAPIToken))
	s.apiRoutes(mux)
	return s.secureHeaders(mux)
}

// Listen binds the UI's address: TLS when certFile and keyFile are given,
// else plain HTTP (for localhost, or behind a TLS-terminating proxy; the
// cookies stay Secure unless InsecureCookies). It is separate from Serve
// so that a busy port or a bad certificate stops serve at start instead
// of leaving it running without its UI (CI once lost a port race so).
func Listen(addr, certFile, keyFile string) (net.Listener, error) {
	var conf *tls.Config
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("review UI certificate %s: %w", certFile, err)
		}
		conf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"h2", "http/1.1"}}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("review UI: %w", err)
	}
	if conf != nil {
		return tls.NewListener(ln, conf), nil
	}
	return ln, nil
}

// Serve runs the UI on ln (from Listen) until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
	}
	addr := ln.Addr().String()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("review UI on %s: %w", addr, err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		return nil
	}
}

// secureHeaders sets the headers every response needs: no framing, no
// inline script, no referrer leaking call IDs, no caching of health data.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; media-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		if r.Method == http.MethodPost && !sameOrigin(r) {
			http.Error(w, "cross-site request refused", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin is the first CSRF layer: browsers send Sec-Fetch-Site or
// Origin on every POST; a cross-site one is refused before any handler
// runs. The per-session token is the second.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		// Set by the browser, not the page: a sandboxed frame or data: URL
		// is "cross-site" here. (Chromium sends Origin "null" on our own
		// forms, as the pages ask for no referrer, so Origin cannot
		// overrule it.)
		return site == "same-origin" || site == "none"
	}
	if o := r.Header.Get("Origin"); o != "" {
		// Without Sec-Fetch-Site, "null" (sandboxed frames, data: URLs,
		// cross-origin redirects) is an origin no one vouches for.
		return o != "null" && strings.TrimPrefix(strings.TrimPrefix(o, "https://"), "http://") == r.Host
	}
	return true
}

type authedHandler func(w http.ResponseWriter, r *http.Request, sess *session)

// authed requires a live session and, on POST, its CSRF token.
func (s *Server) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var sess *session
		if err == nil {
			sess = s.sessions.get(c.Value)
		}
		if sess == nil {
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/audio") {
				http.Redirect(w, r, "/login?expired=1", http.StatusSeeOther)
				return
			}
			http.Error(w, "not signed in (or the session timed out)", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseForm(); err != nil {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			if !equalToken(r.PostFormValue("csrf"), sess.csrf) {
				http.Error(w, "the form expired; reload the page", http.StatusForbidden)
				return
			}
		}
		h(w, r, sess)
	}
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteStrictMode,
	})
}

// callID reads and checks the {id} path value.
func callID(r *http.Request) (string, bool) {
	id := r.PathValue("id")
	return id, pipeline.ValidID(id)
}
