package web

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/review"
)

// readsAuditTrail: the auditor and the DPO, as audit.DefaultAuthorize.
func readsAuditTrail(role string) bool {
	return role == review.RoleAuditor || role == review.RoleDPO
}

// auditTrailObject is the audit trail as the object of its own events.
var auditTrailObject = audit.Object{Kind: audit.KindAudit, ID: audit.StreamAudit}

// AuditEntries is GET /api/v1/audit.
type AuditEntries struct {
	Entries []audit.Entry `json:"entries"`
}

// apiAuditQuery answers GET /api/v1/audit?object=&user=&action=&kind=&since=&until=
// (times RFC 3339). The reader records the read in the trail before it
// reads and refuses when it cannot (audit.Log.Query), so no entry leaves
// unaudited; other roles are refused here, audited as denied.
func (s *Server) apiAuditQuery(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.mayReadTrail(w, r, sess) {
		return
	}
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	entries, err := s.cfg.AuditReader.Query(r.Context(), actor(sess), f)
	if err != nil {
		s.trailUnreadable(w, sess, err)
		return
	}
	writeJSON(w, http.StatusOK, AuditEntries{Entries: entries})
}

// AuditVerifyRequest is the body of POST /api/v1/audit/verify: the tree
// head the auditor kept from an earlier verification, and the public keys
// (base64) they trust; none: the server's own keys.
type AuditVerifyRequest struct {
	Trusted    *audit.Head `json:"trusted_head,omitempty"`
	PublicKeys []string    `json:"public_keys,omitempty"`
}

// apiAuditVerify verifies the trail for the auditor or DPO and answers
// with the report, audited as a read of the trail as Query is.
func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.mayReadTrail(w, r, sess) {
		return
	}
	var req AuditVerifyRequest
	if err := readJSON(r, &req); err != nil {
		apiError(w, http.StatusBadRequest, `want a JSON body {"trusted_head": ..., "public_keys": [...]}`)
		return
	}
	opts := audit.VerifyOptions{Trusted: req.Trusted}
	for _, k := range req.PublicKeys {
		pub, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			apiError(w, http.StatusBadRequest, "public_keys: want base64 ed25519 public keys, as in audit.key.pub")
			return
		}
		opts.Keys = append(opts.Keys, ed25519.PublicKey(pub))
	}
	rep, err := s.cfg.AuditReader.VerifyLog(r.Context(), actor(sess), opts)
	if err != nil {
		s.trailUnreadable(w, sess, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// mayReadTrail refuses (and audits the refusal of) roles other than the
// auditor and DPO, and answers 503 where no reader is configured.
func (s *Server) mayReadTrail(w http.ResponseWriter, r *http.Request, sess *session) bool {
	if !readsAuditTrail(sess.actor.Role) {
		s.apiDeny(w, r, sess, audit.ActionRead, auditTrailObject, audit.PurposeAudit, "read the audit trail", "auditors and the data protection officer")
		return false
	}
	if s.cfg.AuditReader == nil {
		apiError(w, http.StatusServiceUnavailable, "the audit trail cannot be read through this server")
		return false
	}
	return true
}

// trailUnreadable answers a read of the trail that failed: the read could
// not be recorded, or the trail could not be read. Either way nothing of
// it is sent.
func (s *Server) trailUnreadable(w http.ResponseWriter, sess *session, err error) {
	if errors.Is(err, audit.ErrForbidden) {
		roleRefused(w, sess, "read the audit trail", "auditors and the data protection officer")
		return
	}
	s.log.Error().Err(err).Str("user", sess.actor.ID).Msg("audit trail not read")
	apiError(w, http.StatusServiceUnavailable, "the audit trail could not be read, or the read could not be recorded in it; nothing was sent")
}

// auditFilter reads the query's filters.
func auditFilter(q url.Values) (audit.Filter, error) {
	f := audit.Filter{ObjectID: q.Get("object"), User: q.Get("user"), Action: audit.Action(q.Get("action")), ObjectKind: audit.ObjectKind(q.Get("kind"))}
	for name, t := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			var err error
			if *t, err = time.Parse(time.RFC3339, v); err != nil {
				return f, fmt.Errorf("%s: want an RFC 3339 time", name)
			}
		}
	}
	return f, nil
}
