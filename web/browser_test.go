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

// TestBrowserReview drives the review UI in Debian's Chromium: a clinician
// signs in, opens a proposal, clicks a segment (the audio jumps there),
// confirms; the FHIR record appears on NATS and validates. Then admin
// staff sign in and can neither see the transcript nor fetch the audio.
func TestBrowserReview(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	ctx := browser(t)
	e := newEnv(t)
	id := e.clinicalCall(t)

	// Clinician: queue, then the proposal.
	if err := chromedp.Do(ctx, signIn(e, "dr.khan", clinicianPW)); err != nil {
		t.Fatalf("clinician sign-in: %v", err)
	}
	shot(t, ctx, "queue.png")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a.call-link[href="/calls/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#transcript")),
	); err != nil {
		t.Fatalf("open proposal: %v", err)
	}
	// The player has fetched the recording's header (by a range request).
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("player").readyState >= 1`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("audio metadata: %v", err)
	}

	// Click a segment well into the call: the audio position moves there.
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
	shot(t, ctx, "proposal.png")
	if !strings.Contains(e.logs.String(), `"range":"bytes=`) {
		t.Error("the browser fetched the audio without a Range request")
	}

	// Confirm by the keyboard shortcuts. "c" alone is stopped by the
	// browser (the clarified box is required) and nothing changes; "l"
	// ticks "clarified with the patient", then "c" confirms.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("c"), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if it, _ := e.store.Get(context.Background(), id); it.State != review.StateProposed {
		t.Fatalf("confirmed without clarified: %s", it.State)
	}
	if err := chromedp.Do(ctx,
		chromedp.KeyEvent("l"),
		chromedp.KeyEvent("c"),
		chromedp.WaitVisible(chromedp.CSS("#message")),
	); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	state, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#state")))
	if err != nil {
		t.Fatal(err)
	}
	if state != string(review.StateConfirmed) {
		t.Fatalf("state after confirm %q", state)
	}
	shot(t, ctx, "confirmed.png")
	checkRecord(t, e, id, "dr.khan")

	// Admin staff: same call, no transcript, no audio, by page or by URL.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		signIn(e, "sam", adminPW),
		chromedp.Navigate(e.web.URL+"/calls/"+id),
		chromedp.WaitVisible(chromedp.CSS("#state")),
	); err != nil {
		t.Fatalf("admin: %v", err)
	}
	shot(t, ctx, "admin-call.png")
	restricted := eval[bool](t, ctx, `!!document.getElementById("restricted")`)
	hasTranscript := eval[bool](t, ctx, `!!document.getElementById("transcript")`)
	hasPlayer := eval[bool](t, ctx, `!!document.querySelector("audio")`)
	if !restricted || hasTranscript || hasPlayer {
		t.Fatalf("admin page: restricted notice %v, transcript %v, player %v", restricted, hasTranscript, hasPlayer)
	}
	if st := eval[int](t, ctx, `fetch("/calls/`+id+`/audio").then(r => r.status)`); st != 403 {
		t.Fatalf("admin fetching the audio URL: status %d, want 403", st)
	}
}
