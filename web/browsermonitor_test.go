//go:build !whisper

package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/callscribe/callscribe/review"
)

// TestBrowserMonitoring makes real decisions in Chromium as the duty
// clinician (confirm, amend, reject as not clinical, reject as clinical but
// not recorded, triage as clinical), then signs in as the clinical safety
// officer and finds each counted on the accuracy-monitoring page, which
// axe-core checks at 1366 and 320 px (monitoring-1366.png, -320.png).
func TestBrowserMonitoring(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	ctx := browser(t)
	// call-0005 is wholly barely understood, so it goes to triage.
	e := newEnvUnsure(t, nil, map[string][]int{"call-0005": {-1}})
	// Clinical calls without an NHS number: nothing to confirm them into,
	// but a clinician may reject them.
	e.ingestMore(t, "call-0010", "call-0011", "call-0016")
	items, err := e.store.List(context.Background(), review.Filter{State: review.StateProposed})
	if err != nil {
		t.Fatal(err)
	}
	var withNHS, without []string
	for _, it := range items {
		if it.Call.NHSNumber != "" {
			withNHS = append(withNHS, it.CallID)
		} else {
			without = append(without, it.CallID)
		}
	}
	if len(withNHS) < 2 || len(without) < 2 {
		t.Fatalf("want 2 proposals with an NHS number and 2 without; labels %v", e.calls)
	}
	triage := e.triageCall(t)

	if err := chromedp.Do(ctx, signIn(e, "dr.khan", clinicianPW)); err != nil {
		t.Fatalf("clinician sign-in: %v", err)
	}
	decide := func(id, first string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		open(t, ctx, e, "/calls/"+id, first)
		if err := chromedp.Do(ctx, append(steps, chromedp.WaitVisible(chromedp.CSS("#message")))...); err != nil {
			t.Fatalf("decide %s: %v", id, err)
		}
	}
	clarifyAndConfirm := []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS("#clarified")), chromedp.Click(chromedp.CSS("#confirm"))}
	decide(withNHS[0], "#confirm", clarifyAndConfirm...)
	open(t, ctx, e, "/calls/"+withNHS[1], "#confirm")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#edit summary")), chromedp.WaitVisible(chromedp.CSS("#text"))); err != nil {
		t.Fatalf("open the edit box: %v", err)
	}
	// One word added at the end: one edit.
	eval[any](t, ctx, `(x => { x.value = x.value.trimEnd() + " indeed"; })(document.getElementById("text"))`)
	if err := chromedp.Do(ctx, append(clarifyAndConfirm, chromedp.WaitVisible(chromedp.CSS("#message")))...); err != nil {
		t.Fatalf("amend %s: %v", withNHS[1], err)
	}
	decide(without[0], "#reject", chromedp.SendKeys(chromedp.CSS("#reason"), "a booking query"),
		chromedp.Click(chromedp.CSS("#not-clinical")), chromedp.Click(chromedp.CSS("#reject")))
	decide(without[1], "#reject", chromedp.SendKeys(chromedp.CSS("#reason"), "already in the record"), chromedp.Click(chromedp.CSS("#reject")))
	decide(triage, "#triage-form", chromedp.Click(chromedp.CSS("#triage-clinical")),
		chromedp.SendKeys(chromedp.CSS("#triage-reason"), "talks about medication"), chromedp.Click(chromedp.CSS("#triage-submit")))

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "cso"), chromedp.SendKeys(chromedp.CSS("#password"), safetyPW),
		chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#outcomes"))); err != nil {
		t.Fatalf("safety officer sign-in (lands on monitoring): %v", err)
	}
	counts := eval[map[string]string](t, ctx, `Object.fromEntries(Array.from(document.querySelectorAll("#outcomes tbody tr")).map(r => [r.id.replace("outcome-", ""), r.querySelector(".count").textContent]))`)
	want := map[string]string{"confirmed": "1", "amended": "1", "rejected-not-clinical": "1", "rejected-clinical-not-recorded": "1", "triaged-clinical": "1", "triaged-administrative": "0"}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("monitoring page: %s %q, want %s (all: %v)", k, counts[k], v, counts)
		}
	}
	wer := eval[string](t, ctx, `document.getElementById("wer").textContent`)
	uncertain := eval[string](t, ctx, `document.getElementById("uncertain-share").textContent`)
	rejected := eval[int](t, ctx, `document.querySelectorAll("#rejected-rules tr.rejected-rule").length`)
	weeks := eval[int](t, ctx, `document.querySelectorAll("#by-week tbody tr").length`)
	t.Logf("monitoring: outcomes %v; %s; uncertain %s; %d rules behind rejections; %d week rows", counts, strings.Join(strings.Fields(wer), " "), uncertain, rejected, weeks)
	if !strings.Contains(wer, "1 word edit in") || !strings.HasPrefix(strings.TrimSpace(uncertain), "1 (") || rejected == 0 || weeks != 1 {
		t.Errorf("monitoring page: WER %q, uncertain %q, rejected rules %d, weeks %d", wer, uncertain, rejected, weeks)
	}
	for _, id := range append(withNHS, without...) {
		if eval[bool](t, ctx, `document.body.textContent.includes("`+id+`")`) {
			t.Errorf("monitoring page names call %s", id)
		}
	}
	checkPage(t, ctx, "monitoring")
}
