package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/review"
)

// apiLoginRequest is the body of POST /api/v1/login.
type apiLoginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// APIToken is the answer to a sign-in on the API: the bearer token and
// when it ends at the latest (it ends sooner if left unused for the idle
// timeout).
type APIToken struct {
	Token       string    `json:"token"`
	Expires     time.Time `json:"expires"`
	IdleTimeout string    `json:"idle_timeout"`
}

// apiLogin signs a local account in for the API: the same throttle,
// bounded hashing and audit as the sign-in form (checkSignIn). Accounts
// that sign in through the identity provider have no password here; they
// mint a token on /account/api-token.
func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	var req apiLoginRequest
	if err := readJSON(r, &req); err != nil {
		apiError(w, http.StatusBadRequest, `want a JSON body {"user": ..., "password": ...}`)
		return
	}
	acct, refused := s.checkSignIn(r, req.User, req.Password)
	if refused != nil {
		if refused.retry != "" {
			w.Header().Set("Retry-After", refused.retry)
		}
		apiError(w, refused.status, refused.msg)
		return
	}
	a := review.Actor{ID: acct.Username, Name: acct.Name, Role: acct.Role}
	writeJSON(w, http.StatusOK, s.issueAPIToken(r, a, "password"))
}

// issueAPIToken creates a token for a and records it in the trail. As a
// page sign-in, a token the trail cannot take is logged, not refused: the
// token alone shows nothing, as every read behind it is refused while the
// trail is down.
func (s *Server) issueAPIToken(r *http.Request, a review.Actor, via string) APIToken {
	token, sess := s.apiTokens.create(a)
	obj := audit.Object{Kind: audit.KindSession, ID: apiTokenRef(token)}
	_ = s.appendAudit(r.Context(), audit.Allow(audit.Actor{User: a.ID, Role: a.Role}, audit.ActionCreate, obj, purposeSignIn)) // logged there
	s.log.Info().Str("user", a.ID).Str("role", a.Role).Str("via", via).Msg("API token issued")
	return APIToken{Token: token, Expires: sess.created.Add(s.apiTokens.max).UTC(), IdleTimeout: s.apiTokens.idle.String()}
}

// apiLogout revokes the token it was called with; never refused, so a
// failed audit append is only logged.
func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request, sess *session) {
	tok := bearerToken(r)
	s.apiTokens.delete(tok)
	obj := audit.Object{Kind: audit.KindSession, ID: apiTokenRef(tok)}
	_ = s.appendAudit(r.Context(), audit.Allow(actor(sess), audit.ActionDelete, obj, purposeSignIn))
	s.log.Info().Str("user", sess.actor.ID).Msg("API token revoked")
	w.WriteHeader(http.StatusNoContent)
}

// apiTokenRef names an API token in the audit trail, as sessionRef a
// session: a digest that matches issue and revocation and opens nothing.
func apiTokenRef(token string) string {
	h := sha256.Sum256([]byte(token))
	return "api-token-" + hex.EncodeToString(h[:8])
}

// apiTokenPage offers a signed-in user, however they signed in (OIDC
// users have no password for the API sign-in), a personal API token.
func (s *Server) apiTokenPage(w http.ResponseWriter, r *http.Request, sess *session) {
	s.render(w, http.StatusOK, "apitoken.html", s.page(sess, "API token", map[string]any{
		"Idle": s.apiTokens.idle.String(), "Max": s.apiTokens.max.String(),
	}))
}

// mintAPIToken issues a token to the page's user and shows it once: it is
// kept only as a digest.
func (s *Server) mintAPIToken(w http.ResponseWriter, r *http.Request, sess *session) {
	t := s.issueAPIToken(r, sess.actor, "page")
	s.render(w, http.StatusOK, "apitoken.html", s.page(sess, "API token", map[string]any{
		"Idle": s.apiTokens.idle.String(), "Max": s.apiTokens.max.String(), "Token": t,
	}))
}
