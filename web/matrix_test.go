package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/review"
)

// TestRoleMatrixInTheUI walks every page and action on a clinical call with
// every role and checks who gets what: only clinicians see the words, hear
// the audio or change a proposal; the others get the call's state and a 403
// for the rest. (The same roles on NATS: pipeline.TestRoleMatrixOnNATS.)
func TestRoleMatrixInTheUI(t *testing.T) {
	e := newEnv(t)
	id := e.clinicalCall(t)
	res, err := e.c.Result(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	words := html.EscapeString(res.Transcript.Segments[len(res.Transcript.Segments)-1].Text)
	users := []struct {
		name, pw, role string
	}{
		{"sam", adminPW, review.RoleAdmin},
		{"dpo", dpoPW, review.RoleDPO},
		{"aud", auditorPW, review.RoleAuditor},
		{"dr.khan", clinicianPW, review.RoleClinician}, // last: confirming changes the call
	}
	checked := 0
	for _, u := range users {
		clinician := u.role == review.RoleClinician
		c := e.login(t, u.name, u.pw)
		c.get("/", http.StatusOK)
		page := c.get("/calls/"+id, http.StatusOK)
		if strings.Contains(page, words) != clinician {
			t.Errorf("%s: transcript shown = %v", u.role, !clinician)
		}
		audioWant := http.StatusForbidden
		if clinician {
			audioWant = http.StatusOK
		}
		c.get("/calls/"+id+"/audio", audioWant)
		// Redacted administrative transcripts: admin staff and clinicians
		// only, and never this (clinical) call.
		adminWant := http.StatusForbidden
		if u.role == review.RoleAdmin || clinician {
			adminWant = http.StatusOK
		}
		if list := c.get("/admin-calls", adminWant); strings.Contains(list, id) || strings.Contains(list, words) {
			t.Errorf("%s: clinical call %s on /admin-calls", u.role, id)
		}
		checked += 4
		for _, action := range []string{"reject", "triage", "confirm"} {
			if clinician && action != "confirm" {
				continue // each would change the call before confirm is tried
			}
			r := c.post("/calls/"+id+"/"+action, url.Values{"csrf": {c.csrf}, "clarified": {"yes"}, "reason": {"test"}, "label": {"administrative"}})
			if allowed := r.StatusCode == http.StatusSeeOther || r.StatusCode == http.StatusOK; allowed != clinician {
				t.Errorf("%s %s: status %d", u.role, action, r.StatusCode)
			}
			checked++
		}
	}
	it, err := e.store.Get(context.Background(), id)
	if err != nil || it.State != review.StateConfirmed {
		t.Errorf("after the matrix the call is %+v, %v; want confirmed by the clinician only", it.State, err)
	}
	t.Logf("UI role matrix: %d checks", checked)
}
