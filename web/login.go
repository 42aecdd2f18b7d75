package web

import (
	"crypto/subtle"
	"net/http"

	"github.com/callscribe/callscribe/audit"
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

// login is the sign-in form's answer: checkSignIn, then a session.
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
	acct, refused := s.checkSignIn(r, r.PostFormValue("username"), r.PostFormValue("password"))
	if refused != nil {
		if refused.retry != "" {
			w.Header().Set("Retry-After", refused.retry)
		}
		s.loginRefused(w, refused.status, refused.msg)
		return
	}
	s.startSession(w, r, acct)
}

// signInRefusal is why a sign-in was refused: the status, a fixed message
// for people, and Retry-After when waiting helps.
type signInRefusal struct {
	status int
	msg    string
	retry  string
}

// checkSignIn checks a password behind the sign-in guard, for the form
// and the API alike: throttled attempts and attempts that find every
// hashing slot taken are refused before any hash is computed (see
// throttle.go and hashgate.go); a wrong password is audited. What was
// typed as the username is logged only when it names an account;
// otherwise a keyed digest, as it may be a password typed into the wrong
// field.
func (s *Server) checkSignIn(r *http.Request, user, pw string) (Account, *signInRefusal) {
	acct, known := s.cfg.Accounts[user]
	key, addr := s.signin.account(user), clientAddr(r)
	lg := s.log.With().Str("addr", addr).Str("user_ref", key.ref()).Logger()
	if known {
		lg = lg.With().Str("user", acct.Username).Logger()
	}
	end, wait := s.signin.throttle.begin(key, addr)
	if end == nil {
		lg.Debug().Dur("retry_after", wait).Msg("sign-in throttled") // not Warn: free for an attacker to repeat
		return acct, &signInRefusal{http.StatusTooManyRequests, "Too many failed sign-ins. Wait a few minutes, then try again.", retryAfter(wait)}
	}
	hash := acct.PasswordHash
	if !known {
		hash = s.dummyHash
	}
	var ok bool
	var err error
	if gerr := s.signin.hashes.do(r.Context(), func() { ok, err = CheckPassword(hash, pw) }); gerr != nil {
		end(attemptAbandoned)
		lg.Debug().Err(gerr).Msg("sign-in not checked") // as throttled: a flood must not flood the log
		return acct, &signInRefusal{http.StatusServiceUnavailable, "Sign-in is busy. Try again in a moment.", "1"}
	}
	if err != nil || !ok || !known {
		end(attemptFailed)
		lg.Warn().Err(err).Msg("sign-in refused")
		s.auditSignInRefused(r, acct, known)
		return acct, &signInRefusal{status: http.StatusUnauthorized, msg: "Wrong username or password."}
	}
	end(attemptSucceeded)
	return acct, nil
}

// startSession signs acct in and records it. A sign-in the trail cannot
// take is logged, not refused: the session alone shows nothing, as every
// read behind it is refused while the trail is down (auditGate), and the
// staff who must see that the trail is down are the ones signing in.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, acct Account) {
	token, _ := s.sessions.create(review.Actor{ID: acct.Username, Name: acct.Name, Role: acct.Role})
	who := audit.Actor{User: acct.Username, Role: acct.Role}
	obj := audit.Object{Kind: audit.KindSession, ID: sessionRef(token)}
	_ = s.appendAudit(r.Context(), audit.Allow(who, audit.ActionCreate, obj, purposeSignIn)) // logged there
	s.setCookie(w, loginCookie, "", -1)
	s.setCookie(w, sessionCookie, token, 0)
	s.log.Info().Str("user", acct.Username).Str("role", acct.Role).Msg("signed in")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// auditSignInRefused records a wrong password. An unknown username is
// recorded as "unknown": what was typed may be a password. Throttled
// attempts are not recorded one by one (they are free to repeat and the
// trail cannot be pruned); the failures that led to the throttle are.
func (s *Server) auditSignInRefused(r *http.Request, acct Account, known bool) {
	who := audit.Actor{User: "unknown", Role: "none"}
	if known {
		who = audit.Actor{User: acct.Username, Role: acct.Role}
	}
	obj := audit.Object{Kind: audit.KindSession, ID: "sign-in"}
	_ = s.appendAudit(r.Context(), audit.Deny(who, audit.ActionCreate, obj, purposeSignIn, "wrong username or password")) // logged there
}

// loginRefused shows the sign-in form again with a fixed message.
func (s *Server) loginRefused(w http.ResponseWriter, status int, msg string) {
	tok := newToken()
	s.setCookie(w, loginCookie, tok, 600)
	s.render(w, status, "login.html", map[string]any{"CSRF": tok, "Message": msg, "OIDC": s.oidcLabel()})
}

// logout ends the session and records it; ending a session is never
// refused, so a failed audit append is only logged.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *session) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.delete(c.Value)
		obj := audit.Object{Kind: audit.KindSession, ID: sessionRef(c.Value)}
		_ = s.appendAudit(r.Context(), audit.Allow(actor(sess), audit.ActionDelete, obj, purposeSignIn))
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
