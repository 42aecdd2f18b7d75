package web

import (
	"context"
	"errors"
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

// objectionResult is how an objection from a person ended: status is 200
// (erased), 403 (role), 404 (no such call), 422 (a reason the pipeline
// refuses) or 500 (the erasure failed); unaudited, that the outcome could
// not be written to the audit trail.
type objectionResult struct {
	status    int
	erasure   retention.Erasure
	err       error
	unaudited bool
}

// recordObjection is an objection to recording made by the signed-in
// person, from the call page or the API: the same erasure as
// calls.objection.<id>, so the recording and everything derived from it
// go, and a tombstone keeps who recorded it. The role is checked first; a
// call the pipeline never received is not found, and leaves no tombstone
// (only the telephony system may object ahead of a call, on the bus). The
// outcome is audited before the caller answers.
func (s *Server) recordObjection(ctx context.Context, sess *session, id, reason string) objectionResult {
	obj := audit.Object{Kind: audit.KindRecording, ID: id}
	if !pipeline.ValidID(id) {
		return objectionResult{status: http.StatusNotFound}
	}
	if !mayRecordObjection(sess.actor.Role) {
		deny := audit.Deny(actor(sess), audit.ActionDelete, obj, audit.PurposeObjection, "role not allowed")
		return objectionResult{status: http.StatusForbidden, unaudited: s.appendAudit(ctx, deny) != nil}
	}
	if _, err := s.cfg.Calls.State(ctx, id); errors.Is(err, pipeline.ErrNotFound) {
		return objectionResult{status: http.StatusNotFound}
	}
	o := pipeline.Objection{CallID: id, By: sess.actor.ID, ByRole: sess.actor.Role, Reason: strings.TrimSpace(reason)}
	e, err := s.cfg.Objector.Object(ctx, o)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, pipeline.ErrInvalidCall) {
			status = http.StatusUnprocessableEntity
		}
		failed := audit.Fail(actor(sess), audit.ActionDelete, obj, audit.PurposeObjection, "erasure failed")
		return objectionResult{status: status, err: err, unaudited: s.appendAudit(ctx, failed) != nil}
	}
	// The erasure stands whether or not it can be audited; the person must
	// know when it was not.
	unaudited := s.appendAudit(ctx, e.AuditEvents(actor(sess), audit.PurposeObjection)...) != nil
	s.log.Info().Str("call_id", id).Str("user", sess.actor.ID).Bool("recording_erased", e.Recording).Msg("objection to recording recorded")
	return objectionResult{status: http.StatusOK, erasure: e, unaudited: unaudited}
}

// object records an objection from the call page. The page it came from
// no longer exists after it, so the user goes back to the queue.
func (s *Server) object(w http.ResponseWriter, r *http.Request, sess *session) {
	res := s.recordObjection(r.Context(), sess, r.PathValue("id"), r.PostFormValue("reason"))
	switch {
	case res.status == http.StatusNotFound:
		s.fail(w, sess, http.StatusNotFound, "No such call.", nil)
	case res.status == http.StatusForbidden && res.unaudited:
		s.auditUnavailable(w, sess, "")
	case res.status == http.StatusForbidden:
		s.fail(w, sess, http.StatusForbidden, "Your role may not record objections.", nil)
	case res.status != http.StatusOK && res.unaudited:
		s.auditUnavailable(w, sess, "The objection may not have been recorded: try again.")
	case res.status != http.StatusOK:
		s.fail(w, sess, res.status, "The objection could not be recorded; nothing may have been erased. Try again.", res.err)
	case res.unaudited:
		s.auditUnavailable(w, sess, "The objection was recorded and the call erased, but not audited.")
	default:
		http.Redirect(w, r, "/?msg=objection-recorded", http.StatusSeeOther)
	}
}
