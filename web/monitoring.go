package web

import (
	"fmt"
	"net/http"

	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/roles"
)

// monitoringObject names the accuracy-monitoring page in the audit trail:
// counts over many calls, not one call.
const monitoringObject = "accuracy-monitoring"

// monitoring shows how reviewers' decisions bear out the classifier and
// the transcription (NHS England's guidance on AI transcription asks for
// ongoing monitoring of accuracy): proposals confirmed, amended and
// rejected by rule and by week, triage outcomes, the share of uncertain
// calls, the rules behind rejections and the word error rate estimated
// from amendments. Counts only: no call is named. It sits behind
// auditedList, so the read (or the refusal) is in the trail before a byte
// is sent.
func (s *Server) monitoring(w http.ResponseWriter, r *http.Request, sess *session) {
	if !roles.MonitorsAccuracy(sess.actor.Role) {
		s.fail(w, sess, http.StatusForbidden, "Accuracy monitoring is for the clinical safety officer and the rules owner (role safety).", nil)
		return
	}
	st, err := s.store.Monitor(r.Context())
	if err != nil {
		s.fail(w, sess, http.StatusInternalServerError, "The monitoring figures could not be loaded.", err)
		return
	}
	s.render(w, http.StatusOK, "monitoring.html", s.page(sess, "Accuracy monitoring", map[string]any{
		"Stats": st, "Verdicts": review.Verdicts,
	}))
}

// home is the queue for the roles that see calls; the safety role, which
// works from aggregates only, is sent to the monitoring page (a redirect
// shows nothing, so it needs no audit event).
func (s *Server) home(queue authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		if !roles.SeesCalls(sess.actor.Role) {
			http.Redirect(w, r, "/monitoring", http.StatusSeeOther)
			return
		}
		queue(w, r, sess)
	}
}

// percent formats a share for the page: "25%", or "–" with nothing to share.
func percent(part, whole int) string {
	if whole == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(part)/float64(whole))
}

// ratio formats a rate in [0, 1] as a percentage to one place.
func ratio(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) }

// verdictName is a verdict as the page says it.
func verdictName(v review.Verdict) string {
	return map[review.Verdict]string{
		review.VerdictConfirmed:           "Confirmed",
		review.VerdictAmended:             "Amended and confirmed",
		review.VerdictRejectedNotClinical: "Rejected: not clinical",
		review.VerdictRejectedClinical:    "Rejected: clinical, not recorded",
		review.VerdictTriagedClinical:     "Triaged as clinical",
		review.VerdictTriagedAdmin:        "Triaged as administrative",
	}[v]
}
