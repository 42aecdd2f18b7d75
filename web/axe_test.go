//go:build !whisper

package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// widths are the viewports every page is checked and photographed at: a
// clinic laptop (1366 px) and the narrowest reflow WCAG 1.4.10 asks for
// (320 px).
var widths = []int64{1366, 320}

// axeTags limit axe-core to WCAG 2.0, 2.1 and 2.2, levels A and AA.
const axeTags = `['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa']`

var (
	axeOnce sync.Once
	axeSrc  string
	axeErr  error
)

// axeScript is the vendored axe-core (scripts/vendor-axe.sh). Missing is a
// failure, never a skip: the checks are the point of the test.
func axeScript(t *testing.T) string {
	axeOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		var b []byte
		b, axeErr = os.ReadFile(filepath.Join(filepath.Dir(file), "testdata", "axe", "axe.min.js"))
		axeSrc = string(b)
	})
	if axeErr != nil {
		t.Fatalf("axe-core not vendored (run scripts/vendor-axe.sh): %v", axeErr)
	}
	return axeSrc
}

type axeResult struct {
	Passes, Incomplete int
	Violations         []struct {
		ID, Impact, Help string
		Nodes            []struct{ Target []any }
	}
}

// checkPage checks the page now open at each width: axe-core finds no
// WCAG 2.2 AA violation; at 320 px nothing scrolls sideways and "Sign out"
// (when there) is on screen. It writes name-<width>.png and logs axe's
// counts for the closing note, then leaves the page at 1366 px.
func checkPage(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, w := range widths {
		// The header's menu script re-lays out on resize; give it a moment.
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900), chromedp.Sleep(200*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if w == 320 {
			checkReflow(t, ctx, name)
		}
		r := runAxe(t, ctx)
		t.Logf("axe %-14s %4d px: passes %d, violations %d, incomplete %d", name, w, r.Passes, len(r.Violations), r.Incomplete)
		for _, v := range r.Violations {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target...))
			}
			t.Errorf("axe %s at %d px: %s (%s): %s at %s", name, w, v.ID, v.Impact, v.Help, strings.Join(where, ", "))
		}
		shot(t, ctx, fmt.Sprintf("%s-%d.png", name, w))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 900)); err != nil {
		t.Fatal(err)
	}
}

func runAxe(t *testing.T, ctx context.Context) axeResult {
	t.Helper()
	if !eval[bool](t, ctx, `typeof axe !== "undefined"`) {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](axeScript(t)+";true", chromedp.EvalAsValue)); err != nil {
			t.Fatalf("load axe-core: %v", err)
		}
	}
	js := `axe.run(document, {runOnly: {type: 'tag', values: ` + axeTags + `}}).then(r => JSON.stringify({
		passes: r.passes.length, incomplete: r.incomplete.length,
		violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => ({target: n.target}))}))}))`
	var r axeResult
	if err := json.Unmarshal([]byte(eval[string](t, ctx, js)), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkReflow asserts WCAG 1.4.10 at 320 px.
func checkReflow(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	sw := eval[int](t, ctx, `document.scrollingElement.scrollWidth`)
	signOut := eval[string](t, ctx, `(() => { const b = document.getElementById("logout"); if (!b) return "none";
		const r = b.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth && r.width > 0 ? "visible" : "off-screen " + r.left + ".." + r.right; })()`)
	t.Logf("reflow %-14s 320 px: scrollWidth %d, Sign out %s", name, sw, signOut)
	if sw > 320 {
		wide := eval[string](t, ctx, `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > 321).slice(0, 5).map(e => e.tagName + "." + e.className + "#" + e.id).join(", ")`)
		t.Errorf("%s at 320 px is %d px wide (WCAG 1.4.10); too wide: %s", name, sw, wide)
	}
	if signOut != "none" && signOut != "visible" {
		t.Errorf("%s at 320 px: Sign out %s", name, signOut)
	}
}
