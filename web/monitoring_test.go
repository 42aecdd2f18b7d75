package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/roles"
	"github.com/callscribe/callscribe/web"
)

// outcomeCount reads the count in the page's "Decisions by outcome" row.
func outcomeCount(t *testing.T, page, verdict string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)id="outcome-` + verdict + `".*?<span class="count">(\d+)</span>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s row on the monitoring page", verdict)
	}
	return m[1]
}

// Only the safety role sees the monitoring page; every other role, admin
// staff and clinicians included, gets 403, and each read and refusal is in
// the audit trail. The safety role sees no call: the queue sends it to
// monitoring, call pages and the API's calls are refused.
func TestMonitoringPageRolesAndAudit(t *testing.T) {
	e := newEnv(t)
	trail := openTrail(t, e)
	id := e.clinicalCall(t)
	doc := e.login(t, "dr.khan", clinicianPW)
	res, err := e.c.Result(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	// Amend one word of the machine transcript and confirm.
	seg := res.Transcript.Segments[0].Text
	amended := strings.Replace(review.TranscriptText(res.Transcript), seg, seg+" indeed", 1)
	if r := doc.post("/calls/"+id+"/confirm", url.Values{"csrf": {doc.csrf}, "clarified": {"yes"}, "text": {amended}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("amend and confirm: %d", r.StatusCode)
	}

	it, err := e.store.Get(context.Background(), id)
	if err != nil || it.Amendment == nil || it.Amendment.Edits != 1 {
		t.Fatalf("amendment measured as %+v (%v), want 1 edit", it.Amendment, err)
	}
	nhs := it.Call.NHSNumber
	cso := e.login(t, "cso", safetyPW)
	page := cso.get("/monitoring", http.StatusOK)
	if got := outcomeCount(t, page, "amended"); got != "1" {
		t.Errorf("amended count %s, want 1", got)
	}
	if got := outcomeCount(t, page, "confirmed"); got != "0" {
		t.Errorf("confirmed count %s, want 0", got)
	}
	if !strings.Contains(page, `id="wer-pooled"`) || !strings.Contains(page, "1 word edit in") {
		t.Errorf("no word error estimate from the one-word amendment:\n%s", page)
	}
	for _, leak := range []string{id, seg, "indeed", nhs} {
		if strings.Contains(page, leak) {
			t.Errorf("monitoring page holds call data %q", leak)
		}
	}
	if strings.Contains(page, `id="nav-queue"`) || !strings.Contains(page, `id="nav-monitoring"`) {
		t.Error("safety role's menu: want monitoring, not the queue")
	}
	// The call's retention ends: its decision stays in the figures, and
	// still nothing about the call is on the page.
	if _, err := e.store.Retire(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	page = cso.get("/monitoring", http.StatusOK)
	if got := outcomeCount(t, page, "amended"); got != "1" {
		t.Errorf("after retention ended: amended count %s, want 1", got)
	}
	if !strings.Contains(page, "of which 1 deleted at the end of retention") {
		t.Errorf("the retired call is not counted as such:\n%s", page)
	}
	for _, leak := range []string{id, seg, "indeed", nhs} {
		if strings.Contains(page, leak) {
			t.Errorf("monitoring page after retirement holds call data %q", leak)
		}
	}
	cso.get("/", http.StatusSeeOther)
	if p := cso.get("/calls/"+id, http.StatusForbidden); strings.Contains(p, seg) || strings.Contains(p, nhs) {
		t.Error("the safety role's refusal shows the call")
	}
	cso.get("/admin-calls", http.StatusForbidden)
	cso.get("/calls/"+id+"/audio", http.StatusForbidden)
	tok := e.apiToken(t, "cso", safetyPW)
	if r := e.api(t, http.MethodGet, "/api/v1/calls/"+id, tok, nil); r.code != http.StatusForbidden {
		t.Errorf("API call read by the safety role: %d", r.code)
	}
	if r := e.api(t, http.MethodGet, "/api/v1/calls", tok, nil); r.code != http.StatusForbidden {
		t.Errorf("API overview read by the safety role: %d", r.code)
	}

	for _, u := range []struct{ name, pw string }{{"sam", adminPW}, {"dr.khan", clinicianPW}, {"dpo", dpoPW}, {"aud", auditorPW}} {
		c := e.login(t, u.name, u.pw)
		if p := c.get("/monitoring", http.StatusForbidden); strings.Contains(p, `id="outcomes"`) {
			t.Errorf("%s's refusal shows the figures", u.name)
		}
		if strings.Contains(c.get("/", http.StatusOK), `id="nav-monitoring"`) {
			t.Errorf("%s is offered the monitoring link", u.name)
		}
	}

	entries, err := trail.Query(context.Background(), audit.Actor{User: "auditor", Role: roles.Auditor}, audit.Filter{ObjectID: "accuracy-monitoring"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]audit.Outcome{}
	for _, en := range entries {
		ev := en.Event
		if ev.Action != audit.ActionRead || ev.Object.Kind != audit.KindDecision {
			t.Errorf("unexpected event %+v", ev)
		}
		got[ev.User] = ev.Outcome
	}
	want := map[string]audit.Outcome{"cso": audit.Allowed, "sam": audit.Denied, "dr.khan": audit.Denied, "dpo": audit.Denied, "aud": audit.Denied}
	for u, o := range want {
		if got[u] != o {
			t.Errorf("audit of %s reading the monitoring page: %q, want %q", u, got[u], o)
		}
	}
}

// An audit append failure refuses the page: 503, no figures.
func TestMonitoringRefusedWhenTheTrailCannotAppend(t *testing.T) {
	e := newEnv(t)
	trail := &breakableTrail{real: openTrail(t, e)}
	e.web = e.serveUI(t, func(cfg *web.Config, _ string) { cfg.Audit = trail })
	cso := e.login(t, "cso", safetyPW)
	if p := cso.get("/monitoring", http.StatusOK); !strings.Contains(p, `id="outcomes"`) {
		t.Fatal("control: no figures with a working trail")
	}
	trail.broken.Store(true)
	body := cso.get("/monitoring", http.StatusServiceUnavailable)
	if !strings.Contains(body, "audit trail is unavailable") || strings.Contains(body, `id="outcomes"`) || strings.Contains(body, "Calls reviewed or in review") {
		t.Errorf("refused monitoring page:\n%s", body)
	}
	if trail.failed.Load() == 0 {
		t.Error("no append was attempted")
	}
}
