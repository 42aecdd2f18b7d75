package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/transcribe"
)

var funcs = template.FuncMap{
	"clock": review.Clock,
	// seconds is an audio offset for the player's currentTime.
	"seconds": func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) },
	"when":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}

// render writes a page; a template failure after headers is only logged.
func (s *Server) render(w http.ResponseWriter, status int, name string, data map[string]any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.tmpl.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error().Err(err).Str("template", name).Msg("render failed")
	}
}

func (s *Server) page(sess *session, title string, data map[string]any) map[string]any {
	data["Title"] = title
	data["User"] = sess.actor
	data["CSRF"] = sess.csrf
	data["Clinical"] = review.SeesClinical(sess.actor.Role)
	data["AdminCalls"] = seesAdministrative(sess.actor.Role)
	return data
}

func (s *Server) fail(w http.ResponseWriter, sess *session, status int, msg string, err error) {
	if err != nil {
		s.log.Error().Err(err).Str("user", sess.actor.ID).Msg(msg)
	}
	s.render(w, status, "error.html", s.page(sess, "Error", map[string]any{"Message": msg}))
}

func (s *Server) queue(w http.ResponseWriter, r *http.Request, sess *session) {
	q := r.URL.Query()
	f := review.Filter{Line: q.Get("line"), State: review.State(q.Get("state")), Kind: review.Kind(q.Get("kind"))}
	if d, err := time.Parse("2006-01-02", q.Get("from")); err == nil {
		f.From = d
	}
	if d, err := time.Parse("2006-01-02", q.Get("to")); err == nil {
		f.Before = d.AddDate(0, 0, 1)
	}
	items, err := s.store.List(r.Context(), f)
	if err != nil {
		s.fail(w, sess, http.StatusInternalServerError, "The queue could not be loaded.", err)
		return
	}
	if !q.Has("state") {
		// Open items first (oldest first), then finished ones.
		sort.SliceStable(items, func(i, j int) bool { return !items[i].State.Final() && items[j].State.Final() })
	}
	lines := map[string]bool{}
	all, _ := s.store.List(r.Context(), review.Filter{})
	for _, it := range all {
		lines[it.Call.Line] = true
	}
	var lineList []string
	for l := range lines {
		if l != "" {
			lineList = append(lineList, l)
		}
	}
	sort.Strings(lineList)
	s.render(w, http.StatusOK, "queue.html", s.page(sess, "Review queue", map[string]any{
		"Items": items, "Filter": q, "Lines": lineList, "Backlog": s.backlogLine(r.Context()),
		"States": []review.State{review.StateTriage, review.StateProposed, review.StateConfirmed, review.StateAmended, review.StateRejected, review.StateAdministrative},
	}))
}

// segmentView is a transcript segment split around its rule hits.
type segmentView struct {
	Index      int
	Start, End time.Duration
	Speaker    string
	Parts      []part
}

type part struct {
	Text string
	Hit  *classify.Hit
	Why  string
}

func segmentsView(t *transcribe.Transcript, hits []classify.Hit) []segmentView {
	if t == nil {
		return nil
	}
	bySeg := map[int][]classify.Hit{}
	for _, h := range hits {
		if !h.Suppressed {
			bySeg[h.Segment] = append(bySeg[h.Segment], h)
		}
	}
	var out []segmentView
	for i, sg := range t.Segments {
		v := segmentView{Index: i, Start: sg.Start, End: sg.End, Speaker: sg.Speaker}
		hs := bySeg[i]
		sort.Slice(hs, func(a, b int) bool { return hs[a].Start < hs[b].Start })
		pos := 0
		for _, h := range hs {
			if h.Start < pos || h.End > len(sg.Text) || h.Start >= h.End {
				continue // overlapping or out-of-range span: leave it unhighlighted
			}
			if h.Start > pos {
				v.Parts = append(v.Parts, part{Text: sg.Text[pos:h.Start]})
			}
			h := h
			v.Parts = append(v.Parts, part{Text: sg.Text[h.Start:h.End], Hit: &h, Why: why(h)})
			pos = h.End
		}
		if pos < len(sg.Text) {
			v.Parts = append(v.Parts, part{Text: sg.Text[pos:]})
		}
		out = append(out, v)
	}
	return out
}

func why(h classify.Hit) string {
	s := string(h.Class) + " evidence: " + h.Category + " (rule " + h.RuleID + ")"
	if h.Tolerant {
		s += ", matched allowing for a misspelling"
	}
	return s
}

func (s *Server) callPage(w http.ResponseWriter, r *http.Request, sess *session) {
	id, ok := callID(r)
	if !ok {
		s.fail(w, sess, http.StatusNotFound, "No such call.", nil)
		return
	}
	it, err := s.store.Get(r.Context(), id)
	if errors.Is(err, pipeline.ErrNotFound) {
		s.fail(w, sess, http.StatusNotFound, "No such call in review.", nil)
		return
	}
	if err != nil {
		s.fail(w, sess, http.StatusInternalServerError, "The call could not be loaded.", err)
		return
	}
	s.showCall(w, r.Context(), sess, it, http.StatusOK, notice(r.URL.Query().Get("msg")), "")
}

// showCall renders a call. Transcript, hits and audio are only fetched for
// roles that may see them, so nothing clinical is even loaded for others.
func (s *Server) showCall(w http.ResponseWriter, ctx context.Context, sess *session, it review.Item, status int, msg, errMsg string) {
	data := map[string]any{"Item": it, "Message": msg, "Error": errMsg, "MayObject": mayRecordObjection(sess.actor.Role)}
	if review.SeesClinical(sess.actor.Role) {
		res, err := s.store.Pipeline().Result(ctx, it.CallID)
		if err != nil {
			s.fail(w, sess, http.StatusInternalServerError, "The transcript could not be loaded.", err)
			return
		}
		var hits []classify.Hit
		for _, h := range res.Decision.Hits {
			if !h.Suppressed {
				hits = append(hits, h)
			}
		}
		data["Segments"] = segmentsView(res.Transcript, res.Decision.Hits)
		data["Hits"] = hits
		data["Text"] = review.TranscriptText(res.Transcript)
		data["Reasons"] = res.Decision.Reasons
	}
	s.render(w, status, "call.html", s.page(sess, "Call "+it.CallID, data))
}

// act runs one review action and shows the result on the call page:
// success redirects (so a reload does not resubmit), failure re-renders
// with the reason and the user's input kept.
func (s *Server) act(w http.ResponseWriter, r *http.Request, sess *session, do func(ctx context.Context, id string, rev uint64) (review.Item, error), done string) {
	id, ok := callID(r)
	if !ok {
		s.fail(w, sess, http.StatusNotFound, "No such call.", nil)
		return
	}
	var rev uint64
	if v := r.PostFormValue("rev"); v != "" {
		rev, _ = strconv.ParseUint(v, 10, 64) // garbage reads as 0: act on the current revision
	}
	_, err := do(r.Context(), id, rev)
	if err == nil {
		http.Redirect(w, r, "/calls/"+id+"?msg="+done, http.StatusSeeOther)
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong; nothing was changed. Try again, or report it."
	switch {
	case errors.Is(err, review.ErrNotClarified), errors.Is(err, review.ErrReasonRequired), errors.Is(err, review.ErrNoPatient):
		status, msg = http.StatusUnprocessableEntity, rootMessage(err)
	case errors.Is(err, review.ErrWrongState), errors.Is(err, review.ErrConflict):
		status, msg = http.StatusConflict, "Someone else has already acted on this call; the page shows where it is now."
	case errors.Is(err, review.ErrForbidden):
		status, msg = http.StatusForbidden, "Your role may not do this."
	case errors.Is(err, review.ErrNotDelivered):
		status, msg = http.StatusAccepted, "Confirmed, but the record could not be delivered yet; it will be retried automatically."
	}
	if status >= 500 {
		s.log.Error().Err(err).Str("call", id).Str("user", sess.actor.ID).Msg("review action failed")
	}
	it, gerr := s.store.Get(r.Context(), id)
	if gerr != nil {
		s.fail(w, sess, status, msg, gerr)
		return
	}
	s.showCall(w, r.Context(), sess, it, status, "", msg)
}

// rootMessage is the innermost error's text: the user-facing reason
// without the call ID prefixes added on the way up.
func rootMessage(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request, sess *session) {
	s.act(w, r, sess, func(ctx context.Context, id string, rev uint64) (review.Item, error) {
		in := review.ConfirmInput{Clarified: r.PostFormValue("clarified") == "yes"}
		if text := normaliseText(r.PostFormValue("text")); text != "" {
			res, err := s.store.Pipeline().Result(ctx, id)
			if err != nil {
				return review.Item{}, err
			}
			if text != normaliseText(review.TranscriptText(res.Transcript)) {
				in.AmendedText = text
			}
		}
		return s.store.Confirm(ctx, id, rev, sess.actor, in)
	}, "confirmed")
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, sess *session) {
	s.act(w, r, sess, func(ctx context.Context, id string, rev uint64) (review.Item, error) {
		return s.store.Reject(ctx, id, rev, sess.actor, r.PostFormValue("reason"), r.PostFormValue("not_clinical") == "yes")
	}, "rejected")
}

func (s *Server) triage(w http.ResponseWriter, r *http.Request, sess *session) {
	s.act(w, r, sess, func(ctx context.Context, id string, rev uint64) (review.Item, error) {
		return s.store.Triage(ctx, id, rev, sess.actor, classify.Label(r.PostFormValue("label")), r.PostFormValue("reason"))
	}, "triaged")
}

func normaliseText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}
