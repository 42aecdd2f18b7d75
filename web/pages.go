package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/roles"
)

var funcs = template.FuncMap{
	"clock":     review.Clock,
	"seconds":   seconds,
	"when":      ukTime,
	"iso":       isoTime,
	"nhs":       nhsNumber,
	"stateName": stateName,
	"stateTag":  stateTag,
	"riskTag": func(r classify.Risk) string {
		return map[classify.Risk]string{classify.RiskStated: "Risk", classify.RiskPossible: "Possible risk"}[r]
	},
	"join":        strings.Join,
	"percent":     percent,
	"ratio":       ratio,
	"verdictName": verdictName,
	// dict passes named values to a sub-template.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
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
	data["SeesCalls"] = roles.SeesCalls(sess.actor.Role)
	data["Monitors"] = roles.MonitorsAccuracy(sess.actor.Role)
	return data
}

func (s *Server) fail(w http.ResponseWriter, sess *session, status int, msg string, err error) {
	if err != nil {
		s.log.Error().Err(err).Str("user", sess.actor.ID).Msg(msg)
	}
	s.render(w, status, "error.html", s.page(sess, errorTitle(status), map[string]any{"Message": msg, "Status": status}))
}

func (s *Server) callPage(w http.ResponseWriter, r *http.Request, sess *session) {
	id, ok := callID(r)
	if !ok {
		s.fail(w, sess, http.StatusNotFound, "No such call.", nil)
		return
	}
	if !roles.SeesCalls(sess.actor.Role) {
		s.fail(w, sess, http.StatusForbidden, "Your role sees accuracy monitoring only, not individual calls.", nil)
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

// showCall renders a call: the triage page for a call waiting for triage,
// else the call page. Transcript, evidence and audio are only fetched for
// roles that may see them, so nothing clinical is even loaded for others.
func (s *Server) showCall(w http.ResponseWriter, ctx context.Context, sess *session, it review.Item, status int, msg, errMsg string) {
	data := map[string]any{
		"Item": it, "Message": msg, "Error": errMsg, "MayObject": mayRecordObjection(sess.actor.Role),
		"RecordPlaces": recordPlace(it.Record),
	}
	if errMsg != "" {
		data["Errors"] = []fieldError{{Field: errorField(it.State), Text: errMsg}}
	}
	if it.State.Final() {
		data["Next"] = s.nextCall(ctx, it.CallID, review.SeesClinical(sess.actor.Role))
	}
	if review.SeesClinical(sess.actor.Role) {
		res, err := s.store.Pipeline().Result(ctx, it.CallID)
		if err != nil {
			s.fail(w, sess, http.StatusInternalServerError, "The transcript could not be loaded.", err)
			return
		}
		d := res.Decision
		data["Segments"] = segmentsView(res.Transcript, d)
		data["Evidence"] = evidence(d.Hits)
		data["Risk"], data["RiskCats"] = classify.RiskOf(d.Hits)
		data["Unsure"] = unsure(d.Quality)
		data["DoubtfulCount"] = len(d.Quality.DoubtfulSegments)
		data["Uncertain"] = uncertainWhy(d)
		data["Text"] = review.TranscriptText(res.Transcript)
		data["Reasons"] = d.Reasons
		if t := res.Transcript; t != nil {
			data["Truncated"], data["SilentChannels"] = t.Truncated, t.SilentChannels
		}
	}
	name, title := "call.html", "Call "+it.CallID
	data["EvidenceHeading"] = "Why this call is proposed for the record"
	if it.State == review.StateTriage {
		name, title = "triage.html", "Triage call "+it.CallID
		data["EvidenceHeading"] = "What the computer found"
	} else if it.Kind == review.KindTriage || it.State.Final() {
		data["EvidenceHeading"] = "What the computer found"
	}
	s.render(w, status, name, s.page(sess, title, data))
}

// errorField is the form field an action's error summary links to.
func errorField(st review.State) string {
	if st == review.StateTriage {
		return "triage-reason"
	}
	return "clarified"
}

// nextCall is the call to open after finishing one: the first that needs
// action, in queue order, other than done; "" when none is left.
func (s *Server) nextCall(ctx context.Context, done string, clinical bool) string {
	items, err := s.store.List(ctx, review.Filter{})
	if err != nil {
		return ""
	}
	rows := s.rated(ctx, items, clinical)
	sortQueue(rows)
	for _, r := range rows {
		if !r.State.Final() && r.CallID != done {
			return r.CallID
		}
	}
	return ""
}

// errorTitle is the error page's heading for a status.
func errorTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusForbidden:
		return "You cannot do this"
	}
	return "Sorry, there is a problem"
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
