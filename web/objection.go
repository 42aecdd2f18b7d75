package web

import (
	"net/http"
	"strings"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/retention"
	"github.com/callscribe/callscribe/review"
)

// mayRecordObjection: the staff who take calls back, clinicians and admin.
func mayRecordObjection(role string) bool {
	return role == review.RoleClinician || role == review.RoleAdmin
}

// object records a caller's objection to recording from the call page: the
// same erasure as 'callscribe object' and calls.objection.<id>, so the
// recording and everything derived from it go, and a tombstone keeps who
// recorded the objection. The page it came from no longer exists after it,
// so the user goes back to the queue. Its outcome is audited before the
// answer: erased, refused by role, or failed.
func (s *Server) object(w http.ResponseWriter, r *http.Request, sess *session) {
	id, ok := callID(r)
	if !ok {
		s.fail(w, sess, http.StatusNotFound, "No such call.", nil)
		return
	}
	obj := audit.Object{Kind: audit.KindRecording, ID: id}
	if !mayRecordObjection(sess.actor.Role) {
		deny := audit.Deny(actor(sess), audit.ActionDelete, obj, audit.PurposeObjection, "role not allowed")
		if err := s.appendAudit(r.Context(), deny); err != nil {
			s.auditUnavailable(w, sess, "")
			return
		}
		s.fail(w, sess, http.StatusForbidden, "Your role may not record objections.", nil)
		return
	}
	o := pipeline.Objection{CallID: id, By: sess.actor.ID, Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	e, err := retention.Eraser{Pipeline: s.store.Pipeline(), Review: s.store}.Object(r.Context(), o)
	if err != nil {
		failed := audit.Fail(actor(sess), audit.ActionDelete, obj, audit.PurposeObjection, "erasure failed")
		if aerr := s.appendAudit(r.Context(), failed); aerr != nil {
			s.auditUnavailable(w, sess, "The objection may not have been recorded: use 'callscribe object'.")
			return
		}
		s.fail(w, sess, http.StatusInternalServerError, "The objection could not be recorded; nothing may have been erased. Try again, or use 'callscribe object'.", err)
		return
	}
	// The erasure stands whether or not it can be audited; the user must
	// know when it was not.
	if err := s.appendAudit(r.Context(), e.AuditEvents(actor(sess), audit.PurposeObjection)...); err != nil {
		s.auditUnavailable(w, sess, "The objection was recorded and the call erased, but not audited.")
		return
	}
	s.log.Info().Str("call_id", id).Str("user", sess.actor.ID).Bool("recording_erased", e.Recording).Msg("objection to recording recorded in the review UI")
	http.Redirect(w, r, "/?msg=objection-recorded", http.StatusSeeOther)
}
