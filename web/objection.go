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
// so the user goes back to the queue.
func (s *Server) object(w http.ResponseWriter, r *http.Request, sess *session) {
	id, ok := callID(r)
	if !ok {
		s.fail(w, sess, http.StatusNotFound, "No such call.", nil)
		return
	}
	if !mayRecordObjection(sess.actor.Role) {
		s.fail(w, sess, http.StatusForbidden, "Your role may not record objections.", nil)
		return
	}
	o := pipeline.Objection{CallID: id, By: sess.actor.ID, Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	e, err := retention.Eraser{Pipeline: s.store.Pipeline(), Review: s.store}.Object(r.Context(), o)
	if err != nil {
		s.fail(w, sess, http.StatusInternalServerError, "The objection could not be recorded; nothing may have been erased. Try again, or use 'callscribe object'.", err)
		return
	}
	if s.cfg.Audit != nil {
		who := audit.Actor{User: sess.actor.ID, Role: sess.actor.Role}
		for _, k := range []audit.ObjectKind{audit.KindRecording, audit.KindTranscript, audit.KindDecision, audit.KindProposal} {
			if _, err := s.cfg.Audit.Append(r.Context(), audit.Allow(who, audit.ActionDelete, audit.Object{Kind: k, ID: id}, audit.PurposeObjection)); err != nil {
				s.log.Error().Err(err).Str("call_id", id).Msg("audit event not written")
			}
		}
	}
	s.log.Info().Str("call_id", id).Str("user", sess.actor.ID).Bool("recording_erased", e.Recording).Msg("objection to recording recorded in the review UI")
	http.Redirect(w, r, "/?msg=objection-recorded", http.StatusSeeOther)
}
