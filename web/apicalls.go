package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/retention"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/roles"
)

// overviewObject names the pipeline overview (GET /api/v1/calls) in the
// audit trail, as queueObject names the queue page.
const overviewObject = "call-overview"

// CallView is GET /api/v1/calls/{id}: where the call is, for every staff
// role; its result (transcript and decision) or dead letter only for the
// roles that see clinical content, as on the call page.
type CallView struct {
	ID    string             `json:"id"`
	State pipeline.CallState `json:"state"`
	// Ahead is how many received calls wait before this one, when it
	// waits for a worker.
	Ahead *int `json:"calls_ahead,omitempty"`
	// At is when this was read.
	At      time.Time               `json:"at"`
	Result  *pipeline.ResultMessage `json:"result,omitempty"`
	Failure *pipeline.FailedMessage `json:"failure,omitempty"`
}

// apiCall answers GET /api/v1/calls/{id}, behind the audit gate (a read of
// the transcript for clinicians, of the decision for the other roles): a
// call the pipeline never received is 404 and no event.
func (s *Server) apiCall(w http.ResponseWriter, r *http.Request, sess *session) {
	id, ok := callID(r)
	if !roles.SeesCalls(sess.actor.Role) {
		apiError(w, http.StatusForbidden, "your role sees accuracy monitoring only, not calls")
		return
	}
	ctx := r.Context()
	v := CallView{ID: id, At: s.cfg.Now().UTC()}
	var err error
	if ok {
		v.State, err = s.cfg.Calls.State(ctx, id)
	}
	if !ok || errors.Is(err, pipeline.ErrNotFound) {
		apiError(w, http.StatusNotFound, fmt.Sprintf("no call with ID %q was ever received by the pipeline", id))
		return
	}
	if err != nil {
		s.apiFail(w, sess, "the call's state could not be read", err)
		return
	}
	v.Ahead = s.queuePosition(ctx, id, v.State)
	if review.SeesClinical(sess.actor.Role) {
		if err := s.callContent(ctx, &v); err != nil {
			s.apiFail(w, sess, "the call's result could not be read", err)
			return
		}
	}
	writeJSON(w, http.StatusOK, v)
}

// callContent adds the result of a transcribed call, or the dead letter of
// a failed one, to v; either may have expired or been erased.
func (s *Server) callContent(ctx context.Context, v *CallView) error {
	var err error
	switch v.State.State {
	case pipeline.StateTranscribed:
		v.Result, err = s.cfg.Calls.Result(ctx, v.ID)
	case pipeline.StateFailed:
		v.Failure, err = s.cfg.Calls.Failure(ctx, v.ID)
	}
	if errors.Is(err, pipeline.ErrNotFound) {
		return nil
	}
	return err
}

// queuePosition is how many calls wait before a received one; nil when it
// is not waiting or the queue cannot be read (a bound keeps a slow queue
// from holding the answer).
func (s *Server) queuePosition(ctx context.Context, id string, st pipeline.CallState) *int {
	if st.State != pipeline.StateReceived {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	ahead, waiting, err := s.cfg.Calls.QueuePosition(ctx, id)
	if err != nil || !waiting {
		return nil
	}
	return &ahead
}

// apiOverview answers GET /api/v1/calls: what the pipeline is doing
// (calls in flight, the backlog, recent failures), states only, for every
// staff role, audited as the queue page is.
func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request, sess *session) {
	if !roles.SeesCalls(sess.actor.Role) {
		apiError(w, http.StatusForbidden, "your role sees accuracy monitoring only, not calls")
		return
	}
	within := 24 * time.Hour
	if v := r.URL.Query().Get("failed_within"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			apiError(w, http.StatusBadRequest, "failed_within: want a duration such as 24h")
			return
		}
		within = d
	}
	ov, err := s.cfg.Calls.Overview(r.Context(), s.cfg.Now().Add(-within).UTC())
	if err != nil {
		s.apiFail(w, sess, "the pipeline overview could not be read", err)
		return
	}
	writeJSON(w, http.StatusOK, ov)
}

// apiObjectionRequest is the body of POST /api/v1/calls/{id}/objection.
type apiObjectionRequest struct {
	Reason string `json:"reason"`
}

// ObjectionView is the answer to an objection: who recorded it (the
// token's identity) and what was erased.
type ObjectionView struct {
	By      string            `json:"by"`
	Erasure retention.Erasure `json:"erasure"`
}

// apiObject records an objection to recording as the token's person, with
// the same roles and audit as the call page.
func (s *Server) apiObject(w http.ResponseWriter, r *http.Request, sess *session) {
	var req apiObjectionRequest
	if err := readJSON(r, &req); err != nil {
		apiError(w, http.StatusBadRequest, `want a JSON body {"reason": ...}`)
		return
	}
	res := s.recordObjection(r.Context(), sess, r.PathValue("id"), req.Reason)
	switch {
	case res.status == http.StatusNotFound:
		apiError(w, http.StatusNotFound, fmt.Sprintf("no call with ID %q was ever received by the pipeline; nothing was recorded", r.PathValue("id")))
	case res.status == http.StatusForbidden && res.unaudited:
		apiRefusal(w, sess)
	case res.status == http.StatusForbidden:
		apiError(w, http.StatusForbidden, fmt.Sprintf("your role %s may not record objections (clinicians and admin staff may)", sess.actor.Role))
	case res.status != http.StatusOK && res.unaudited:
		apiError(w, http.StatusServiceUnavailable, auditUnavailableMsg+"; the objection may not have been recorded")
	case res.status == http.StatusUnprocessableEntity:
		apiError(w, res.status, rootMessage(res.err))
	case res.status != http.StatusOK:
		s.apiFail(w, sess, "the objection could not be recorded; nothing may have been erased", res.err)
	case res.unaudited:
		apiError(w, http.StatusServiceUnavailable, auditUnavailableMsg+"; the objection WAS recorded and the call erased, but not audited")
	default:
		writeJSON(w, http.StatusOK, ObjectionView{By: sess.actor.ID, Erasure: res.erasure})
	}
}

// apiFail answers 500 with msg, logging err (which may name the call, never
// its content).
func (s *Server) apiFail(w http.ResponseWriter, sess *session, msg string, err error) {
	s.log.Error().Err(err).Str("user", sess.actor.ID).Msg(msg)
	apiError(w, http.StatusInternalServerError, msg)
}

// roleRefused answers 403 for a role the endpoint is not for.
func roleRefused(w http.ResponseWriter, sess *session, what, who string) {
	apiError(w, http.StatusForbidden, fmt.Sprintf("your role %s may not %s (%s may)", sess.actor.Role, what, who))
}
