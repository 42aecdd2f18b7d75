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
// 403, failed). The events are written when the handler starts its
// response, before the first byte leaves; if they cannot be written, the
// response is replaced by the 503 refusal page. A page that shows the
// transcript is a read of the transcript (of the decision, for roles that
// see only the state); a clinician's decision is an update of the
// proposal. Nothing of the call's content enters the events.
func (s *Server) audited(kind audit.ObjectKind, action audit.Action, h authedHandler) authedHandler {
	return s.auditedAs(s.pageRefusal(action), kind, action, h)
}

// auditedAs is audited with the refusal refuse (a page, or JSON for the API).
func (s *Server) auditedAs(refuse refusal, kind audit.ObjectKind, action audit.Action, h authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		who, id := actor(sess), r.PathValue("id")
		page := audit.Object{Kind: audit.KindTranscript, ID: id}
		if !review.SeesClinical(sess.actor.Role) {
			page.Kind = audit.KindDecision // the page shows such roles the state, not the words
		}
		obj := audit.Object{Kind: kind, ID: id}
		if kind == audit.KindTranscript {
			obj = page
		}
		s.gated(refuse, func(status int) []audit.Event {
			ev, ok := outcomeEvent(who, action, obj, audit.PurposeReview, status)
			if !ok {
				return nil
			}
			if action != audit.ActionRead && reshowsCall(status) {
				return []audit.Event{ev, audit.Allow(who, audit.ActionRead, page, audit.PurposeReview)}
			}
			return []audit.Event{ev}
		}, h)(w, r, sess)
	}
}

// reshowsCall reports whether an action answered with status shows the
// call page: act re-renders it with the reason whenever the action did not
// go through (403 by role, 409, 422, 202 not delivered), which is a read
// of what the page shows. A redirect or no such call shows nothing. A 500
// whose page could not be loaded counts too: the trail may hold a read
// that did not happen, never miss one that did.
func reshowsCall(status int) bool {
	return status < 300 || (status >= 400 && status != http.StatusNotFound)
}

// auditedList is audited for a page about many calls (the queue): one
// read event, on an object named for the page, as there is no one call.
func (s *Server) auditedList(name string, h authedHandler) authedHandler {
	return s.auditedListAs(s.pageRefusal(audit.ActionRead), name, h)
}

// auditedListAs is auditedList with the refusal refuse.
func (s *Server) auditedListAs(refuse refusal, name string, h authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		obj := audit.Object{Kind: audit.KindDecision, ID: name}
		s.gated(refuse, func(status int) []audit.Event {
			ev, ok := outcomeEvent(actor(sess), audit.ActionRead, obj, audit.PurposeReview, status)
			if !ok {
				return nil
			}
			return []audit.Event{ev}
		}, h)(w, r, sess)
	}
}

// refusal answers a request whose audit event could not be written.
type refusal func(w http.ResponseWriter, sess *session)

// pageRefusal is the UI's refusal page for action.
func (s *Server) pageRefusal(action audit.Action) refusal {
	return func(w http.ResponseWriter, sess *session) {
		note := ""
		if action != audit.ActionRead {
			note = "If you submitted a change, it may have been saved: reload the call before trying again."
		}
		s.auditUnavailable(w, sess, note)
	}
}

// gated runs h behind an auditGate that writes events(status) first and
// answers with refuse if it cannot.
func (s *Server) gated(refuse refusal, events func(status int) []audit.Event, h authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		if s.trail() == nil {
			h(w, r, sess)
			return
		}
		g := &auditGate{ResponseWriter: w, base: w.Header().Clone()}
		g.record = func(status int) error { return s.appendAudit(r.Context(), events(status)...) }
		g.refuse = func(w http.ResponseWriter) { refuse(w, sess) }
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
