package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
)

// adminCallsLimit caps the page: admin staff work on recent calls, and
// every call shown is one transcript read in the audit trail.
const adminCallsLimit = 200

// adminCallsObject is the audit object ID of a refused request for the
// page: there is no call to name, and a refusal must still be recorded.
const adminCallsObject = "admin-calls"

// adminCall is one administrative call as admin staff may see it.
type adminCall struct {
	ID        string
	StartedAt time.Time
	Line      string
	// Text is the transcript with identifiers redacted (Redact).
	Text string
}

// seesAdministrative reports whether a role may read redacted
// administrative transcripts: admin staff, whose work they are, and
// clinicians, who see everything anyway. The DPO and auditors have their
// own tools and no need for call content.
func seesAdministrative(role string) bool {
	return role == review.RoleAdmin || role == review.RoleClinician
}

// adminCalls lists recent administrative calls, as the privacy notice
// promises admin staff: administrative calls only, never clinical or
// uncertain ones, whatever the role. The list shows no words of a call
// (each has its own page, adminCallPage), so each call on the page shown
// is a read of its decision in the audit trail, written before the page is
// sent: a list that cannot be audited is not shown.
func (s *Server) adminCalls(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	if !s.mayReadAdministrative(w, r, sess, adminCallsObject) {
		return
	}
	calls, err := s.administrativeCalls(ctx, adminCallsLimit)
	if err != nil {
		s.fail(w, sess, http.StatusInternalServerError, "The administrative calls could not be loaded.", err)
		return
	}
	q := r.URL.Query()
	search := strings.ToLower(strings.TrimSpace(q.Get("q")))
	var found []adminCall
	for _, c := range calls {
		if search == "" || strings.Contains(strings.ToLower(c.ID), search) {
			found = append(found, c)
		}
	}
	pg, _ := strconv.Atoi(q.Get("page"))
	pager := newPager(len(found), pg, queuePage, q)
	found = found[pager.From:pager.To]
	for _, c := range found {
		ev := audit.Allow(actor(sess), audit.ActionRead, audit.Object{Kind: audit.KindDecision, ID: c.ID}, audit.PurposeAdministration)
		if err := s.appendAudit(ctx, ev); err != nil {
			s.auditUnavailable(w, sess, "")
			return
		}
	}
	s.render(w, http.StatusOK, "admincalls.html", s.page(sess, "Administrative calls", map[string]any{
		"Calls": found, "Limit": adminCallsLimit, "Pager": pager, "Search": q.Get("q"),
	}))
}

// mayReadAdministrative refuses roles that may not read administrative
// calls, auditing the refusal (on object) first; false when it answered.
func (s *Server) mayReadAdministrative(w http.ResponseWriter, r *http.Request, sess *session, object string) bool {
	if seesAdministrative(sess.actor.Role) {
		return true
	}
	deny := audit.Deny(actor(sess), audit.ActionRead, audit.Object{Kind: audit.KindTranscript, ID: object}, audit.PurposeAdministration, "role not allowed")
	if err := s.appendAudit(r.Context(), deny); err != nil {
		s.auditUnavailable(w, sess, "")
		return false
	}
	s.fail(w, sess, http.StatusForbidden, "Your role may not see call transcripts.", nil)
	return false
}

// adminCallPage is one administrative call for admin staff: when, which
// line, its redacted transcript, and the objection form. A call that is
// not (or no longer) labelled administrative is "not found" here, on its
// state and again on its result, so no clinical word is loaded. The read
// is audited before the page is sent.
func (s *Server) adminCallPage(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	id, ok := callID(r)
	if !ok {
		s.fail(w, sess, http.StatusNotFound, "No such administrative call.", nil)
		return
	}
	if !s.mayReadAdministrative(w, r, sess, id) {
		return
	}
	pc := s.store.Pipeline()
	st, err := pc.State(ctx, id)
	if err == nil && (st.State != pipeline.StateTranscribed || st.Label != classify.Administrative) {
		err = pipeline.ErrNotFound
	}
	var res *pipeline.ResultMessage
	if err == nil {
		if res, err = pc.Result(ctx, id); err == nil && res.Decision.Label != classify.Administrative {
			err = pipeline.ErrNotFound
		}
	}
	if errors.Is(err, pipeline.ErrNotFound) {
		s.fail(w, sess, http.StatusNotFound, "No such administrative call.", nil)
		return
	}
	if err != nil {
		s.fail(w, sess, http.StatusInternalServerError, "The call could not be loaded.", err)
		return
	}
	ev := audit.Allow(actor(sess), audit.ActionRead, audit.Object{Kind: audit.KindTranscript, ID: id}, audit.PurposeAdministration)
	if err := s.appendAudit(ctx, ev); err != nil {
		s.auditUnavailable(w, sess, "")
		return
	}
	s.render(w, http.StatusOK, "admincall.html", s.page(sess, "Administrative call "+id, map[string]any{
		"Call":      adminCall{ID: id, StartedAt: res.Call.StartedAt, Line: res.Call.Line, Text: Redact(review.TranscriptText(res.Transcript))},
		"MayObject": mayRecordObjection(sess.actor.Role),
	}))
}

// administrativeCalls returns up to limit transcribed calls the pipeline
// labelled administrative, newest first, with redacted text. The label is
// checked on the call's state before its result is read, and again on the
// result itself, so a clinical or uncertain transcript is never loaded
// into this page even if the two disagree.
func (s *Server) administrativeCalls(ctx context.Context, limit int) ([]adminCall, error) {
	pc := s.store.Pipeline()
	ids, err := pc.CallIDs(ctx)
	if err != nil {
		return nil, err
	}
	type candidate struct {
		id string
		at time.Time
	}
	var cands []candidate
	for _, id := range ids {
		st, err := pc.State(ctx, id)
		if errors.Is(err, pipeline.ErrNotFound) {
			continue // erased between listing and reading
		}
		if err != nil {
			return nil, err
		}
		if st.State != pipeline.StateTranscribed || st.Label != classify.Administrative {
			continue
		}
		at := st.CallAt
		if at.IsZero() {
			at = st.UpdatedAt
		}
		cands = append(cands, candidate{id, at})
	}
	sort.Slice(cands, func(i, j int) bool {
		if !cands[i].at.Equal(cands[j].at) {
			return cands[i].at.After(cands[j].at)
		}
		return cands[i].id > cands[j].id
	})
	var out []adminCall
	for _, c := range cands {
		if len(out) == limit {
			break
		}
		res, err := pc.Result(ctx, c.id)
		if errors.Is(err, pipeline.ErrNotFound) {
			continue // result expired or erased since the state was read
		}
		if err != nil {
			return nil, fmt.Errorf("call %s: %w", c.id, err)
		}
		if res.Decision.Label != classify.Administrative {
			continue
		}
		out = append(out, adminCall{
			ID: c.id, StartedAt: res.Call.StartedAt, Line: res.Call.Line,
			Text: Redact(review.TranscriptText(res.Transcript)),
		})
	}
	return out, nil
}
