package web

import (
	"net/http"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/review"
)

// queueObject names the review queue in the audit trail: a list of calls,
// not one call.
const queueObject = "review-queue"

// audited records every request on a call in the audit trail: who, as what
// role, did what to which call, and how it ended (allowed, refused with
// 403, failed). The event is written when the handler starts its response,
// before the first byte leaves; if it cannot be written, the response is
// replaced by the 503 refusal page. A page that shows the transcript is a
// read of the transcript; a clinician's decision is an update of the
// proposal. Nothing of the call's content enters the event.
func (s *Server) audited(kind audit.ObjectKind, action audit.Action, h authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		obj := audit.Object{Kind: kind, ID: r.PathValue("id")}
		if kind == audit.KindTranscript && !review.SeesClinical(sess.actor.Role) {
			obj.Kind = audit.KindDecision // the page shows such roles the state, not the words
		}
		s.gated(obj, action, audit.PurposeReview, h)(w, r, sess)
	}
}

// auditedList is audited for a page about many calls (the queue): one
// event, on an object named for the page, as there is no one call.
func (s *Server) auditedList(page string, h authedHandler) authedHandler {
	return s.gated(audit.Object{Kind: audit.KindDecision, ID: page}, audit.ActionRead, audit.PurposeReview, h)
}

// gated runs h behind an auditGate for obj.
func (s *Server) gated(obj audit.Object, action audit.Action, purpose audit.Purpose, h authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		if s.trail() == nil {
			h(w, r, sess)
			return
		}
		g := &auditGate{ResponseWriter: w, base: w.Header().Clone()}
		g.record = func(status int) error {
			ev, ok := outcomeEvent(actor(sess), action, obj, purpose, status)
			if !ok {
				return nil
			}
			return s.appendAudit(r.Context(), ev)
		}
		g.refuse = func(w http.ResponseWriter) {
			note := ""
			if action != audit.ActionRead {
				note = "If you submitted a change, it may have been saved: reload the call before trying again."
			}
			s.auditUnavailable(w, sess, note)
		}
		h(g, r, sess)
		if !g.decided {
			g.WriteHeader(http.StatusOK) // an empty answer is still an answer
		}
	}
}

// auditGate holds a response back until its audit event is written: the
// first WriteHeader, Write or Flush records the event with the status the
// handler chose, and only then lets anything through. If the record fails,
// the handler's headers are dropped, the refusal page is sent instead, and
// the handler's later writes fail, so http.ServeContent or a template
// stops there.
type auditGate struct {
	http.ResponseWriter
	base    http.Header // headers before the handler ran (security headers)
	record  func(status int) error
	refuse  func(w http.ResponseWriter)
	decided bool
	refused bool
}

func (g *auditGate) WriteHeader(code int) {
	if g.decided {
		if !g.refused {
			g.ResponseWriter.WriteHeader(code) // net/http reports the superfluous call
		}
		return
	}
	g.decided = true
	if err := g.record(code); err != nil {
		g.refused = true
		h := g.ResponseWriter.Header()
		clear(h) // Content-Length, Content-Range, ETag, Location: they describe what is not sent
		for k, v := range g.base {
			h[k] = v
		}
		g.refuse(g.ResponseWriter)
		return
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *auditGate) Write(p []byte) (int, error) {
	if !g.decided {
		g.WriteHeader(http.StatusOK)
	}
	if g.refused {
		return 0, errAuditUnavailable
	}
	return g.ResponseWriter.Write(p)
}

// Flush passes through for streamed audio, once the event is written.
func (g *auditGate) Flush() {
	if !g.decided {
		g.WriteHeader(http.StatusOK)
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok && !g.refused {
		f.Flush()
	}
}
