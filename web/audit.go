package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/review"
)

// audited records every request on a call in the audit trail: who, as what
// role, did what to which call, and whether it was allowed (a 403 is a
// refusal). A page that shows the transcript is a read of the transcript; a
// clinician's decision is an update of the proposal. Nothing of the call's
// content enters the event.
func (s *Server) audited(kind audit.ObjectKind, action audit.Action, h authedHandler) authedHandler {
	if s.cfg.Audit == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h(sw, r, sess)
		if sw.status == http.StatusNotFound {
			return // no such call: nothing was touched
		}
		who := audit.Actor{User: sess.actor.ID, Role: sess.actor.Role}
		obj := audit.Object{Kind: kind, ID: r.PathValue("id")}
		if kind == audit.KindTranscript && !review.SeesClinical(sess.actor.Role) {
			obj.Kind = audit.KindDecision // the page shows such roles the state, not the words
		}
		e := audit.Allow(who, action, obj, audit.PurposeReview)
		if sw.status == http.StatusForbidden {
			e = audit.Deny(who, action, obj, audit.PurposeReview, "role not allowed")
		}
		_ = s.appendAudit(r.Context(), e) // logged; the response has gone
	}
}

// appendAudit writes events to the audit trail, if there is one, logging
// any that could not be written; the error joins their failures, for pages
// that are not shown unless audited.
func (s *Server) appendAudit(ctx context.Context, events ...audit.Event) error {
	if s.cfg.Audit == nil {
		return nil
	}
	var errs []error
	for _, e := range events {
		if _, err := s.cfg.Audit.Append(ctx, e); err != nil {
			s.log.Error().Err(err).Str("call_id", e.Object.ID).Str("action", string(e.Action)).Msg("audit event not written")
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Flush passes through for streamed audio.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
