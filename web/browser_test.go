// The browser test runs in the host pass of scripts/test.sh, where CI
// installs Debian's chromium; the whisper pass inside the sid root (built
// with -tags whisper) has no browser and re-runs nothing whisper changes here.
//go:build !whisper

package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/callscribe/callscribe/review"
)

// artefactDir is where the browser test leaves its screenshots:
// CALLSCRIBE_ARTEFACTS, else testdata-out/browser at the repository root
// (git-ignored).
func artefactDir(t *testing.T) string {
	dir := os.Getenv("CALLSCRIBE_ARTEFACTS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "testdata-out", "browser")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chromium finds Debian's Chromium. Under CI a missing browser fails the
// test, so a broken set-up cannot pass as green.
func chromium(t *testing.T) string {
	for _, name := range []string{os.Getenv("CALLSCRIBE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not installed (apt-get install chromium)")
	}
	t.Skip("chromium not installed (apt-get install chromium)")
	return ""
}

// browser starts a fresh headless Chromium with its own profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		// The test server's certificate is self-signed (httptest TLS), so
		// the Secure cookies are exercised over real HTTPS.
		chromedp.Flag("ignore-certificate-errors", true),
		// Let segment clicks start playback without a prior gesture.
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(1280, 1100),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(artefactDir(t), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

func signIn(e *env, user, pw string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(e.web.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#queue")),
	)
}

// eval runs a JavaScript expression and returns its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// TestBrowserReview drives the review UI in Debian's Chromium as a duty
// clinician and as admin staff would, checking every page with axe-core
// at 1366 and 320 px (checkPage): the queue (risk first), a proposal
// (segment click seeks the audio; single-key shortcuts off; keyboard-only
// confirm counted in Tab presses), the page after confirming (where the
// record went, next call), a triage page, the error page, the API token
// page, sign-in, and admin staff's queue, call page, administrative calls
// and administrative call page. The FHIR record appears on NATS and
// validates; admin staff can neither see a transcript nor fetch audio.
func TestBrowserReview(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	ctx := browser(t)
	// Whisper barely understood two passages of call-0003 (shown as
	// "Unsure" on its proposal page) and all of call-0005 (which goes to
	// triage, for the triage page).
	e := newEnvUnsure(t, nil, map[string][]int{"call-0003": {1, 2}, "call-0005": {-1}})
	id := e.clinicalCall(t)

	if err := chromedp.Do(ctx, signIn(e, "dr.khan", clinicianPW)); err != nil {
		t.Fatalf("clinician sign-in: %v", err)
	}
	checkQueue(t, ctx, e)
	checkPage(t, ctx, "queue")
	checkSearch(t, ctx, e, id)

	open(t, ctx, e, "/calls/"+id, "#transcript")
	checkProposal(t, ctx, e, id)
	checkPage(t, ctx, "proposal")
	checkShortcutsOff(t, ctx, e, id)
	tabsToConfirm(t, ctx, e, id, false)
	open(t, ctx, e, "/calls/"+id, "#transcript")
	if n := tabsToConfirm(t, ctx, e, id, true); n > 12 {
		t.Errorf("%d Tab presses to confirm a %s call by keyboard, want at most 12", n, e.duration(t, id))
	}
	checkConfirmed(t, ctx, e, id)
	checkPage(t, ctx, "confirmed")
	checkRecord(t, e, id, "dr.khan")

	open(t, ctx, e, "/calls/"+e.triageCall(t), "#triage-form")
	checkPage(t, ctx, "triage")
	open(t, ctx, e, "/calls/call-9999", "#error-message")
	checkPage(t, ctx, "not-found")
	open(t, ctx, e, "/account/api-token", "#mint-token")
	checkPage(t, ctx, "api-token")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#username"))); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	checkPage(t, ctx, "login")
	checkAdmin(t, ctx, e, id)
}

// open navigates to path and waits for sel.
func open(t *testing.T, ctx context.Context, e *env, path, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(e.web.URL+path), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
}

// checkQueue: by default only calls needing action, calls with risk
// evidence first, counts above.
func checkQueue(t *testing.T, ctx context.Context, e *env) {
	t.Helper()
	rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#queue tbody tr")).map(r => r.id + (r.classList.contains("risk") ? " risk" : "") + " " + r.className.match(/state-(\S+)/)[1])`)
	counts := eval[string](t, ctx, `document.getElementById("counts").textContent`)
	t.Logf("queue rows (default view): %q; counts: %s", rows, counts)
	seenPlain := false
	for _, r := range rows {
		if strings.Contains(r, " risk") && seenPlain {
			t.Errorf("a call with risk evidence is listed after one without: %q", rows)
		}
		seenPlain = seenPlain || !strings.Contains(r, " risk")
		if !strings.HasSuffix(r, " proposed") && !strings.HasSuffix(r, " triage") {
			t.Errorf("default queue lists a finished call: %s", r)
		}
	}
	if len(rows) == 0 || !strings.Contains(counts, "need") {
		t.Errorf("queue: rows %q, counts %q", rows, counts)
	}
}

// checkSearch finds a call by its NHS number typed as 3 3 4.
func checkSearch(t *testing.T, ctx context.Context, e *env, id string) {
	t.Helper()
	it, err := e.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := it.Call.NHSNumber
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#q"), n[:3]+" "+n[3:6]+" "+n[6:]),
		chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.CSS(`#queue[data-search]`)),
	); err != nil {
		t.Fatal(err)
	}
	rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#queue tbody tr")).map(r => r.id)`)
	if len(rows) != 1 || rows[0] != "row-"+id {
		t.Errorf("search by NHS number %s: rows %q, want only %s", n, rows, id)
	}
}

// checkProposal: patient banner, speakers, plain-English evidence, and a
// click on a passage moves the audio there.
func checkProposal(t *testing.T, ctx context.Context, e *env, id string) {
	t.Helper()
	nhs := eval[string](t, ctx, `document.getElementById("nhs-number").textContent`)
	caller := eval[string](t, ctx, `document.getElementById("caller-number").textContent`)
	speakers := eval[int](t, ctx, `document.querySelectorAll(".segment .speaker").length`)
	evidence := eval[int](t, ctx, `document.querySelectorAll("#evidence .evidence-item").length`)
	unsure := eval[int](t, ctx, `document.querySelectorAll(".segment.doubtful").length`)
	t.Logf("proposal banner: NHS number %q, caller %q; %d speaker labels; %d evidence categories; %d passages marked unsure: %q",
		nhs, caller, speakers, evidence, unsure, eval[string](t, ctx, `(document.getElementById("unsure") || {}).textContent || ""`))
	if len(nhs) != 12 || nhs[3] != ' ' || nhs[7] != ' ' || caller != "07700900123" || speakers == 0 || evidence == 0 || unsure != 2 {
		t.Errorf("proposal page: NHS number %q (want 3 3 4), caller %q, speakers %d, evidence %d, unsure passages %d (want 2)", nhs, caller, speakers, evidence, unsure)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("player").readyState >= 1`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("audio metadata: %v", err)
	}
	segs := eval[int](t, ctx, `document.querySelectorAll(".segment").length`)
	if segs < 3 {
		t.Fatalf("%d segments on the page", segs)
	}
	sel := fmt.Sprintf("#seg-%d", segs/2)
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), "data-start"))
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	fmt.Sscan(attr.Value, &want)
	if before := eval[float64](t, ctx, `document.getElementById("player").currentTime`); before != 0 {
		t.Fatalf("audio at %.2f s before any click", before)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel+" .text"))); err != nil {
		t.Fatalf("click segment: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("player").currentTime > 0`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("audio did not move: %v", err)
	}
	pos := eval[float64](t, ctx, `document.getElementById("player").currentTime`)
	if want <= 0 || pos < want-0.5 || pos > want+5 {
		t.Fatalf("audio at %.2f s after clicking a segment starting at %.2f s", pos, want)
	}
	t.Logf("segment %s starts at %.2f s; audio currentTime %.2f s", sel, want, pos)
	eval[any](t, ctx, `document.getElementById("player").pause()`)
	if !strings.Contains(e.logs.String(), `"range":"bytes=`) {
		t.Error("the browser fetched the audio without a Range request")
	}
	if stops := eval[int](t, ctx, `document.querySelectorAll(".segment [tabindex], .segment button, .segment a, .segment[tabindex]").length`); stops != segs {
		t.Errorf("%d tab stops in %d segments, want one each", stops, segs)
	}
}

// checkShortcutsOff: with shortcuts not turned on (the default), the old
// single keys do nothing (WCAG 2.1.4): no passage plays, nothing is
// ticked, nothing is confirmed.
func checkShortcutsOff(t *testing.T, ctx context.Context, e *env, id string) {
	t.Helper()
	open(t, ctx, e, "/calls/"+id, "#transcript")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("j"), chromedp.KeyEvent("l"), chromedp.KeyEvent("c"), chromedp.KeyEvent("e"), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	current := eval[int](t, ctx, `document.querySelectorAll(".segment.current").length`)
	ticked := eval[bool](t, ctx, `document.getElementById("clarified").checked`)
	editOpen := eval[bool](t, ctx, `document.getElementById("edit").open`)
	it, _ := e.store.Get(context.Background(), id)
	if current != 0 || ticked || editOpen || it.State != review.StateProposed || eval[bool](t, ctx, `document.getElementById("shortcuts-on").checked`) {
		t.Errorf("single keys acted with shortcuts off: playing %d, clarified %v, edit open %v, state %s", current, ticked, editOpen, it.State)
	}
}

// tabsToConfirm confirms the open proposal by keyboard alone and returns
// the Tab presses it took from page load. With skip, it follows the skip
// link and "Go to the decision" (Enter), ticks "clarified" (Space) and
// presses Confirm (Enter); without, it only counts the Tabs to reach
// Confirm and confirms nothing.
func tabsToConfirm(t *testing.T, ctx context.Context, e *env, id string, skip bool) int {
	t.Helper()
	var path []string
	for tabs := 1; tabs <= 80; tabs++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
		at := eval[string](t, ctx, `(d => d.id || d.tagName + "." + d.className)(document.activeElement)`)
		path = append(path, at)
		key := ""
		switch {
		case at == "confirm" && !skip:
			t.Logf("keyboard: %d Tab presses to reach Confirm without skip links on a %s call: %s", tabs, e.duration(t, id), strings.Join(path, " > "))
			return tabs
		case at == "confirm":
			key = "\r"
		case skip && (strings.Contains(at, "nhsuk-skip-link") || at == "skip-to-decision"):
			key = "\r"
		case skip && at == "clarified":
			key = " "
		}
		if key == "" {
			continue
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(key)); err != nil {
			t.Fatal(err)
		}
		if at == "confirm" {
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#message"))); err != nil {
				t.Fatalf("keyboard confirm: %v", err)
			}
			t.Logf("keyboard: %d Tab presses from page load to activating Confirm on a %s call (skip link, Go to the decision, Space on clarified, Enter): %s", tabs, e.duration(t, id), strings.Join(path, " > "))
			return tabs
		}
	}
	t.Fatalf("Confirm not reached in 80 Tab presses: %s", strings.Join(path, " > "))
	return 0
}

// checkConfirmed: the page after confirming says so, where the record
// went, and links to the next call.
func checkConfirmed(t *testing.T, ctx context.Context, e *env, id string) {
	t.Helper()
	state := eval[string](t, ctx, `document.getElementById("state").textContent`)
	if state != string(review.StateConfirmed) {
		t.Fatalf("state after confirm %q", state)
	}
	// The record is published just after the redirect; reload until the
	// page says where it went.
	for i := 0; i < 50 && !eval[bool](t, ctx, `/RECORDS/.test((document.getElementById("record-places") || {}).textContent || "")`); i++ {
		time.Sleep(100 * time.Millisecond)
		open(t, ctx, e, "/calls/"+id+"?msg=confirmed", "#message")
	}
	places := eval[string](t, ctx, `document.getElementById("record-places").textContent`)
	next := eval[string](t, ctx, `(a => a ? a.getAttribute("href") : "")(document.getElementById("next-call"))`)
	t.Logf("after confirm: %q; next call link %q", strings.Join(strings.Fields(places), " "), next)
	if !strings.Contains(places, "RECORDS") || next == "" {
		t.Errorf("confirmed page: record places %q, next call %q", places, next)
	}
}

// checkAdmin: admin staff's queue, a clinical call's page (state only),
// the administrative calls list and one administrative call's page with
// the objection form; no transcript, no audio for clinical calls.
func checkAdmin(t *testing.T, ctx context.Context, e *env, id string) {
	t.Helper()
	if err := chromedp.Do(ctx, signIn(e, "sam", adminPW)); err != nil {
		t.Fatalf("admin sign-in: %v", err)
	}
	if eval[int](t, ctx, `document.querySelectorAll(".risk-tag").length`) != 0 {
		t.Error("admin staff see risk flags (clinical evidence)")
	}
	checkPage(t, ctx, "admin-queue")
	open(t, ctx, e, "/calls/"+id, "#state")
	checkPage(t, ctx, "admin-clinical")
	restricted := eval[bool](t, ctx, `!!document.getElementById("restricted")`)
	hasTranscript := eval[bool](t, ctx, `!!document.getElementById("transcript")`)
	hasPlayer := eval[bool](t, ctx, `!!document.querySelector("audio")`)
	if !restricted || hasTranscript || hasPlayer {
		t.Fatalf("admin page: restricted notice %v, transcript %v, player %v", restricted, hasTranscript, hasPlayer)
	}
	if st := eval[int](t, ctx, `fetch("/calls/`+id+`/audio").then(r => r.status)`); st != 403 {
		t.Fatalf("admin fetching the audio URL: status %d, want 403", st)
	}
	open(t, ctx, e, "/admin-calls", "#admin-calls")
	checkPage(t, ctx, "admin-calls")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("a.admin-call-link")), chromedp.WaitVisible(chromedp.CSS("#redacted-transcript"))); err != nil {
		t.Fatalf("open an administrative call: %v", err)
	}
	if !eval[bool](t, ctx, `!!document.getElementById("object-form")`) {
		t.Error("no objection form on the administrative call page")
	}
	checkPage(t, ctx, "admin-call")
}

// triageCall returns a call waiting for triage.
func (e *env) triageCall(t *testing.T) string {
	t.Helper()
	items, err := e.store.List(context.Background(), review.Filter{State: review.StateTriage})
	if err != nil || len(items) == 0 {
		t.Fatalf("no call waiting for triage among %v (%v)", e.calls, err)
	}
	return items[0].CallID
}

// duration is a call's length as the page shows it.
func (e *env) duration(t *testing.T, id string) string {
	it, err := e.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return review.Clock(it.CallDuration)
}
