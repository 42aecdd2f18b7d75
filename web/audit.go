package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/callscribe/callscribe/audit"
)

// AuditAppender is what the UI needs of the audit trail: append one event
// and know whether it was written. *audit.Log is the real one; a test can
// hand in a trail that fails.
type AuditAppender interface {
	Append(ctx context.Context, ev audit.Event) (audit.Entry, error)
}

var _ AuditAppender = (*audit.Log)(nil)

// auditTimeout bounds one append. The append does not use the request's
// cancellation (a browser that hangs up must not cancel the record of what
// it was sent), so it needs a bound of its own; Append retries a busy tail
// for well under this.
const auditTimeout = 10 * time.Second

// errAuditUnavailable is what a handler's writes return once its response
// has been replaced by the refusal page.
var errAuditUnavailable = errors.New("audit trail unavailable: response refused")

// trail is the configured trail, or nil. A nil *audit.Log (serve without
// an audit key) is no trail, not one that panics.
func (s *Server) trail() AuditAppender {
	if l, ok := s.cfg.Audit.(*audit.Log); ok && l == nil {
		return nil
	}
	return s.cfg.Audit
}

// appendAudit writes events to the audit trail, if there is one, logging
// any that could not be written; the error joins their failures, so the
// caller can refuse what it would have sent.
func (s *Server) appendAudit(ctx context.Context, events ...audit.Event) error {
	t := s.trail()
	if t == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	var errs []error
	for _, e := range events {
		if _, err := t.Append(ctx, e); err != nil {
			s.log.Error().Err(err).Str("call_id", e.Object.ID).Str("action", string(e.Action)).Msg("audit event not written")
			errs = append(errs, fmt.Errorf("audit %s of %s %s: %w", e.Action, e.Object.Kind, e.Object.ID, err))
		}
	}
	return errors.Join(errs...)
}

// auditUnavailable is the answer to a request whose audit event could not
// be written: 503, a page that says so, and none of what was asked for.
// note adds what the user must know (an action may have been done).
func (s *Server) auditUnavailable(w http.ResponseWriter, sess *session, note string) {
	msg := "The audit trail is unavailable, so nothing about this call can be shown. Tell the data protection officer."
	if note != "" {
		msg += " " + note
	}
	s.render(w, http.StatusServiceUnavailable, "error.html", s.page(sess, "Audit trail unavailable", map[string]any{"Message": msg}))
}

// actor is the signed-in user as the audit trail names them.
func actor(sess *session) audit.Actor {
	return audit.Actor{User: sess.actor.ID, Role: sess.actor.Role}
}

// outcomeEvent is the event for a request on obj that was answered with
// status: 403 is a refusal, another 4xx or 5xx an action or read that was
// allowed but did not happen, the rest allowed and done. 404 is no event:
// no such call, nothing was touched.
func outcomeEvent(who audit.Actor, action audit.Action, obj audit.Object, purpose audit.Purpose, status int) (audit.Event, bool) {
	switch {
	case status == http.StatusNotFound:
		return audit.Event{}, false
	case status == http.StatusForbidden:
		return audit.Deny(who, action, obj, purpose, "role not allowed"), true
	case status >= 400:
		return audit.Fail(who, action, obj, purpose, fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))), true
	}
	return audit.Allow(who, action, obj, purpose), true
}
