package web_test

import (
	"context"
	"crypto/ed25519"
	"html"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/roles"
	"github.com/callscribe/callscribe/web"
)

// moreAdminCalls are administrative dev calls with identifiers in them,
// ingested beside devCalls: call-0004 an NHS number and a date of birth,
// call-0017 a mobile number, call-0028 a postcode, call-0080 a postcode
// and a mobile number read out twice.
var moreAdminCalls = []string{"call-0004", "call-0017", "call-0028", "call-0080"}

// ingestMore adds dev calls to the env and waits until they are
// transcribed, recording the pipeline's label in e.calls.
func (e *env) ingestMore(t *testing.T, ids ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	dir := testenv.Shared(t, "calls/dev")
	for i, id := range ids {
		f, err := os.Open(filepath.Join(dir, id+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		meta := pipeline.CallMeta{
			ID: id, StartedAt: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 11 * time.Minute),
			Line: "spa-admin", HandlerID: "h-007", CallerNumber: "07700900456", RecordingConsent: true,
		}
		if _, err := e.c.Ingest(ctx, meta, f); err != nil {
			t.Fatalf("Ingest %s: %v", id, err)
		}
		f.Close()
	}
	for _, id := range ids {
		for {
			st, err := e.c.State(ctx, id)
			if err == nil && st.State.Settled() {
				if st.State != pipeline.StateTranscribed {
					t.Fatalf("%s settled as %s", id, st.State)
				}
				e.calls[id] = string(st.Label)
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s not transcribed: %v", id, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// adminRow finds one call's row on /admin-calls.
func adminRow(page, id string) string {
	m := regexp.MustCompile(`(?s)<tr class="admin-call" id="admin-` + regexp.QuoteMeta(id) + `">.*?</tr>`).FindString(page)
	return m
}

var (
	tenDigitsRE      = regexp.MustCompile(`\d(?:[\s\-]?\d){9}`)
	transcriptCellRE = regexp.MustCompile(`(?s)<pre class="redacted" id="redacted-transcript">(.*?)</pre>`)
)

// Admin staff list administrative calls and read each on its own page,
// redacted; clinical and uncertain calls never appear, on the list or by
// URL; the DPO and auditors are refused; every call listed (a decision
// read), every call page (a transcript read) and every refusal is in the
// audit trail.
func TestAdminCallsPage(t *testing.T) {
	e := newEnv(t)
	e.ingestMore(t, moreAdminCalls...)
	ctx := context.Background()
	trail := openTrail(t, e)

	adm := e.login(t, "sam", adminPW)
	if q := adm.get("/", http.StatusOK); !strings.Contains(q, `href="/admin-calls"`) {
		t.Error("admin nav lacks the administrative calls link")
	}
	page := adm.get("/admin-calls", http.StatusOK)

	var shown, other []string
	for id, label := range e.calls {
		if label == string(classify.Administrative) {
			shown = append(shown, id)
		} else {
			other = append(other, id)
		}
	}
	if len(shown) < 3 || len(other) == 0 {
		t.Fatalf("labels %v: want several administrative calls and some others", e.calls)
	}
	t.Logf("pipeline labels: %v", e.calls)
	// The list shows no words of any call; each call's page shows its
	// redacted transcript. No identifier survives in any transcript shown.
	// (The rest of a page has call times and the CSRF token, which are
	// digits too.)
	if transcriptCellRE.MatchString(page) {
		t.Error("the list shows a transcript")
	}
	callPages := map[string]string{}
	var texts []string
	for _, id := range shown {
		callPages[id] = adm.get("/admin-calls/"+id, http.StatusOK)
		for _, m := range transcriptCellRE.FindAllStringSubmatch(callPages[id], -1) {
			texts = append(texts, html.UnescapeString(m[1]))
		}
	}
	if len(texts) < len(shown) {
		t.Fatalf("%d transcripts on the page, want %d", len(texts), len(shown))
	}
	all := strings.Join(texts, "\n")
	if tenDigitsRE.MatchString(all) {
		t.Error("a transcript shows a 10-digit number")
	}
	for what, re := range map[string]*regexp.Regexp{"6+ digit run": sixDigitsRE, "postcode": postcodeRE, "number read out": spokenSixRE, "day and month": dayOfMonthRE} {
		if re.MatchString(all) {
			t.Errorf("a transcript shows a %s", what)
		}
	}
	for _, banned := range []string{"07700900456", "07700900123", "9434765919", "943 476 5919"} { // the UI shows NHS numbers 3 3 4
		for _, p := range append([]string{page}, slices.Collect(maps.Values(callPages))...) {
			if strings.Contains(p, banned) {
				t.Errorf("a page contains the caller's number or NHS number")
			}
		}
	}

	// Each administrative call: its row on the list, and on its page its
	// redacted words, the tags where the ground truth had identifiers, and
	// none of its identifiers.
	wantTags := map[string][]string{
		"call-0001": {"[date]"},
		"call-0004": {"[date]", "[NHS number]"},
		"call-0017": {"[date]", "[phone number]"},
		"call-0028": {"[date]", "[postcode]"},
		"call-0080": {"[date]", "[postcode]", "[phone number]"},
	}
	for _, id := range shown {
		row := adminRow(page, id)
		if row == "" {
			t.Errorf("%s (administrative) not on the page", id)
			continue
		}
		res, err := e.c.Result(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		row = callPages[id]
		if !strings.Contains(row, html.EscapeString(web.Redact(review.TranscriptText(res.Transcript)))) {
			t.Errorf("%s: row lacks the redacted transcript", id)
		}
		for _, tag := range wantTags[id] {
			if !strings.Contains(row, tag) {
				t.Errorf("%s: row lacks %s", id, tag)
			}
		}
		for _, sg := range res.Transcript.Segments {
			if spokenSixRE.MatchString(sg.Text) && strings.Contains(row, html.EscapeString(sg.Text)) {
				t.Errorf("%s: a segment with a number read out is shown unredacted", id)
			}
		}
	}
	if adminRow(page, "call-0080") == "" || adminRow(page, "call-0004") == "" {
		t.Errorf("calls with phone, postcode and NHS number not shown as administrative: %v", e.calls)
	}
	// Clinical and uncertain calls: not there, not a word of them.
	for _, id := range other {
		if strings.Contains(page, id) {
			t.Errorf("%s (%s) appears on the admin calls page", id, e.calls[id])
		}
		if p := adm.get("/admin-calls/"+id, http.StatusNotFound); strings.Contains(p, id+"</h1>") {
			t.Errorf("%s (%s) has an administrative call page", id, e.calls[id])
		}
		res, _ := e.c.Result(ctx, id)
		for _, sg := range res.Transcript.Segments {
			if len(sg.Text) > 30 && strings.Contains(page, html.EscapeString(sg.Text)) {
				t.Errorf("%s (%s): transcript text on the admin calls page", id, e.calls[id])
			}
		}
	}
	// Clinicians may look too; the DPO and auditors may not.
	doc := e.login(t, "dr.khan", clinicianPW)
	if p := doc.get("/admin-calls", http.StatusOK); adminRow(p, shown[0]) == "" {
		t.Errorf("clinician's page lacks %s", shown[0])
	}
	for _, id := range shown {
		doc.get("/admin-calls/"+id, http.StatusOK)
	}
	for _, u := range []struct{ name, pw string }{{"dpo", dpoPW}, {"aud", auditorPW}} {
		c := e.login(t, u.name, u.pw)
		if q := c.get("/", http.StatusOK); strings.Contains(q, `href="/admin-calls"`) {
			t.Errorf("%s sees the administrative calls link", u.name)
		}
		if p := c.get("/admin-calls", http.StatusForbidden); strings.Contains(p, shown[0]) {
			t.Errorf("%s's refusal names a call", u.name)
		}
		if p := c.get("/admin-calls/"+shown[0], http.StatusForbidden); transcriptCellRE.MatchString(p) {
			t.Errorf("%s's refusal shows a transcript", u.name)
		}
	}

	// The trail, per viewer, for administration: a decision read per call
	// listed, a transcript read per call page; the refusals too.
	entries, err := trail.Query(ctx, audit.Actor{User: "auditor", Role: roles.Auditor}, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	reads := map[string]map[string]bool{}  // transcript reads
	listed := map[string]map[string]bool{} // decision reads (the list)
	denied := map[string]bool{}
	for _, en := range entries {
		ev := en.Event
		if ev.Purpose != audit.PurposeAdministration {
			continue
		}
		if ev.Outcome == audit.Denied {
			denied[ev.User] = true
			continue
		}
		m := reads
		if ev.Object.Kind == audit.KindDecision {
			m = listed
		}
		if ev.Action != audit.ActionRead || (ev.Object.Kind != audit.KindTranscript && ev.Object.Kind != audit.KindDecision) {
			t.Errorf("unexpected event %+v", ev)
		}
		if m[ev.User] == nil {
			m[ev.User] = map[string]bool{}
		}
		m[ev.User][ev.Object.ID] = true
	}
	for _, user := range []string{"sam", "dr.khan"} {
		for _, id := range shown {
			if !reads[user][id] || !listed[user][id] {
				t.Errorf("no audit event for %s reading %s (page %v, list %v)", user, id, reads[user][id], listed[user][id])
			}
		}
		for _, id := range other {
			if reads[user][id] || listed[user][id] {
				t.Errorf("audit says %s read %s (%s) on the admin calls pages", user, id, e.calls[id])
			}
		}
	}
	if !denied["dpo"] || !denied["aud"] {
		t.Errorf("refusals not audited: %v", denied)
	}
	// Transcript text never reaches the logs, redacted or not.
	for _, id := range shown {
		res, _ := e.c.Result(ctx, id)
		for _, sg := range res.Transcript.Segments {
			if len(sg.Text) > 20 && strings.Contains(e.logs.String(), sg.Text) {
				t.Fatalf("%s: transcript text logged", id)
			}
		}
	}
}

// openTrail opens an audit trail on e's server and restarts the UI with it.
func openTrail(t *testing.T, e *env) *audit.Log {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	trail, err := audit.Open(context.Background(), e.c, audit.Config{Signer: audit.NewSigner(key)})
	if err != nil {
		t.Fatal(err)
	}
	e.web = e.serveUI(t, func(cfg *web.Config, _ string) { cfg.Audit = trail })
	return trail
}
