package web

import (
	"crypto/subtle"
	"net/http"

	"github.com/callscribe/callscribe/review"
)

func equalToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// loginPage sets a short-lived double-submit cookie: the login form has no
// session yet, and login CSRF (signing a victim in as the attacker) is
// still worth stopping.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	tok := newToken()
	s.setCookie(w, loginCookie, tok, 600)
	msg := ""
	if r.URL.Query().Has("expired") {
		msg = "Please sign in. Sessions end after a period without activity."
	}
	s.render(w, http.StatusOK, "login.html", map[string]any{"CSRF": tok, "Message": msg, "OIDC": s.oidcLabel()})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !equalToken(r.PostFormValue("csrf"), c.Value) {
		http.Error(w, "the sign-in form expired; reload the page", http.StatusForbidden)
		return
	}
	user, pw := r.PostFormValue("username"), r.PostFormValue("password")
	acct, known := s.cfg.Accounts[user]
	hash := acct.PasswordHash
	if !known {
		hash = s.dummyHash
	}
	ok, err := CheckPassword(hash, pw)
	if err != nil || !ok || !known {
		s.log.Warn().Str("user", user).Msg("sign-in refused")
		tok := newToken()
		s.setCookie(w, loginCookie, tok, 600)
		s.render(w, http.StatusUnauthorized, "login.html", map[string]any{"CSRF": tok, "Message": "Wrong username or password.", "OIDC": s.oidcLabel()})
		return
	}
	token, _ := s.sessions.create(review.Actor{ID: acct.Username, Name: acct.Name, Role: acct.Role})
	s.setCookie(w, loginCookie, "", -1)
	s.setCookie(w, sessionCookie, token, 0)
	s.log.Info().Str("user", user).Str("role", acct.Role).Msg("signed in")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *session) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.delete(c.Value)
	}
	s.setCookie(w, sessionCookie, "", -1)
	s.log.Info().Str("user", sess.actor.ID).Msg("signed out")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// oidcLabel is the identity-provider button's text, empty without OIDC.
func (s *Server) oidcLabel() string {
	if s.oidc == nil {
		return ""
	}
	return s.oidc.cfg.Label
}
