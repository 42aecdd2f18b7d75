package classify

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/internal/testenv"
)

// TestReloadGuard: a rules edit that turns a labelled clinical call
// administrative is refused by the reload and the old rules stay; the log
// names the call and rules but holds no transcript text; a harmless edit
// is accepted (positive control).
func TestReloadGuard(t *testing.T) {
	calls, err := LoadLabelled(testenv.LabelledSet(t), "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, rulesV("v1", "sertraline"))
	var logs bytes.Buffer
	r, err := NewReloader(path, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetGuard(Guard(calls)); err != nil {
		t.Fatalf("rules v1 fail the guard: %v", err)
	}

	writeRules(t, path, rulesV("v2", "olanzapine")) // sertraline dropped
	r.check("SIGHUP")
	if got := r.Current().Version(); got != "v1" {
		t.Fatalf("after a bad edit the rules in force are %s, want v1", got)
	}
	if err := r.Err(); !errors.Is(err, ErrGuardFailed) || !strings.Contains(err.Error(), "guard/call-1") {
		t.Errorf("refusal: %v; want ErrGuardFailed naming guard/call-1", err)
	}
	if !strings.Contains(logs.String(), "refused by the labelled-call guard") || strings.Contains(logs.String(), "run out") {
		t.Errorf("log of the refusal: %s", logs.String())
	}

	writeRules(t, path, rulesV("v3", "sertraline, olanzapine"))
	r.check("SIGHUP")
	if got := r.Current().Version(); got != "v3" || r.Err() != nil {
		t.Errorf("harmless edit: rules in force %s, err %v; want v3 accepted", got, r.Err())
	}
}

// TestSetGuardChecksRulesInForce: rules that already fail the guard are
// reported when the guard is set, so serve refuses to start on them.
func TestSetGuardChecksRulesInForce(t *testing.T) {
	calls, err := LoadLabelled(testenv.LabelledSet(t), "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, rulesV("bad", "olanzapine"))
	r, err := NewReloader(path, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetGuard(Guard(calls)); !errors.Is(err, ErrGuardFailed) {
		t.Errorf("SetGuard on failing rules: %v", err)
	}
}

// TestDefaultRulesPassDevGuard: the embedded rules label no clinical call
// of the shared labelled sets administrative.
func TestDefaultRulesPassDevGuard(t *testing.T) {
	c := defaultClassifier(t)
	for _, dir := range []string{devCallsDir, "../../shared/calls/dev2"} {
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("no labelled calls at %s", dir)
		}
		calls, err := LoadLabelled(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(c, calls).Err(); err != nil {
			t.Error(err)
		}
	}
}
