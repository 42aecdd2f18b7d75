package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
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

// adminCalls lists recent administrative calls with redacted transcripts,
// as the privacy notice promises admin staff: administrative transcripts
// only, never clinical content, and never an NHS number, phone number,
// date or postcode. Only calls the pipeline labelled administrative are
// read at all; clinical and uncertain calls are never loaded here,
// whatever the role. Each call shown is a transcript read in the audit
// trail, written before the page is sent: a read that cannot be audited
// is not shown.
func (s *Server) adminCalls(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	who := actor(sess)
	if !seesAdministrative(sess.actor.Role) {
		deny := audit.Deny(who, audit.ActionRead, audit.Object{Kind: audit.KindTranscript, ID: adminCallsObject}, audit.PurposeAdministration, "role not allowed")
		if err := s.appendAudit(ctx, deny); err != nil {
			s.auditUnavailable(w, sess, "")
			return
		}
		s.fail(w, sess, http.StatusForbidden, "Your role may not see call transcripts.", nil)
		return
	}
	calls, err := s.administrativeCalls(ctx, adminCallsLimit)
	if err != nil {
		s.fail(w, sess, http.StatusInternalServerError, "The administrative calls could not be loaded.", err)
		return
	}
	for _, c := range calls {
		ev := audit.Allow(who, audit.ActionRead, audit.Object{Kind: audit.KindTranscript, ID: c.ID}, audit.PurposeAdministration)
		if err := s.appendAudit(ctx, ev); err != nil {
			s.auditUnavailable(w, sess, "")
			return
		}
	}
	s.render(w, http.StatusOK, "admincalls.html", s.page(sess, "Administrative calls", map[string]any{
		"Calls": calls, "Limit": adminCallsLimit,
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
