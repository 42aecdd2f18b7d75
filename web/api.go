package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/callscribe/callscribe/audit"
)

// The API is the one door for people's command-line tasks (callscribe
// status, sar, audit, object): the same accounts, roles and audit trail as
// the pages, in JSON. It is authenticated only by an Authorization: Bearer
// token, never by the session cookie, so a page on another site cannot
// make a signed-in browser call it (no CSRF surface), and a token cannot
// open the pages.

// apiPrefix is where the API lives.
const apiPrefix = "/api/v1/"

// DefaultAPITokenIdle ends an API token left unused this long. Longer than
// a page session: a DPO runs a few commands over a morning from a
// terminal, where the token file (0600) is the user's own.
const DefaultAPITokenIdle = time.Hour

// maxAPIBody bounds a JSON request body: a login or an objection reason.
const maxAPIBody = 64 << 10

func (s *Server) apiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+apiPrefix+"login", s.apiLogin)
	mux.HandleFunc("POST "+apiPrefix+"logout", s.bearer(s.apiLogout))
	mux.HandleFunc("GET "+apiPrefix+"me", s.bearer(s.apiMe))
	mux.HandleFunc("GET "+apiPrefix+"calls", s.bearer(s.auditedListAs(apiRefusal, overviewObject, s.apiOverview)))
	mux.HandleFunc("GET "+apiPrefix+"calls/{id}", s.bearer(s.auditedAs(apiRefusal, audit.KindTranscript, audit.ActionRead, s.apiCall)))
	mux.HandleFunc("POST "+apiPrefix+"calls/{id}/objection", s.bearer(s.apiObject))
	mux.HandleFunc("POST "+apiPrefix+"sar", s.bearer(s.apiSAR))
	mux.HandleFunc("GET "+apiPrefix+"audit", s.bearer(s.apiAuditQuery))
	mux.HandleFunc("POST "+apiPrefix+"audit/verify", s.bearer(s.apiAuditVerify))
	mux.HandleFunc(apiPrefix, func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "no such API endpoint")
	})
}

// bearer requires a live API token in the Authorization header. Cookies
// are ignored: the API is not the pages.
func (s *Server) bearer(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := bearerToken(r)
		if tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="callscribe"`)
			apiError(w, http.StatusUnauthorized, "not signed in: send Authorization: Bearer TOKEN (callscribe login)")
			return
		}
		sess := s.apiTokens.get(tok)
		if sess == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="callscribe", error="invalid_token"`)
			apiError(w, http.StatusUnauthorized, "the API token is not valid or has expired: sign in again (callscribe login)")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
		h(w, r, sess)
	}
}

// Me is GET /api/v1/me: who the token signs in as. It holds no patient
// data, so it is not audited; 'callscribe login' checks a token with it.
type Me struct {
	User string `json:"user"`
	Name string `json:"name"`
	Role string `json:"role"`
}

func (s *Server) apiMe(w http.ResponseWriter, _ *http.Request, sess *session) {
	writeJSON(w, http.StatusOK, Me{User: sess.actor.ID, Name: sess.actor.Name, Role: sess.actor.Role})
}

// bearerToken is the token of an Authorization: Bearer header, or "".
func bearerToken(r *http.Request) string {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// apiErrorBody is every API error: a sentence for people.
type apiErrorBody struct {
	Error string `json:"error"`
}

func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiErrorBody{Error: msg})
}

// writeJSON answers with v; behind an auditGate the event is written
// before the header goes out.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a write refused by the gate or a gone client: nothing more to say
}

// apiRefusal is the API's answer when the audit event cannot be written:
// 503 and none of what was asked for.
func apiRefusal(w http.ResponseWriter, _ *session) {
	apiError(w, http.StatusServiceUnavailable, auditUnavailableMsg)
}

// auditUnavailableMsg says why a request was refused with the trail down.
const auditUnavailableMsg = "the audit trail is unavailable, so nothing can be shown or changed; tell the data protection officer"

// readJSON decodes the request body into v, refusing unknown fields.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
