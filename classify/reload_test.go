package classify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/internal/testenv"
)

// rulesV writes a small valid rules file of the given version whose only
// clinical term is term.
func rulesV(version, term string) string {
	return "version: " + version + "\nrules:\n" +
		"  - id: c\n    category: medication\n    class: clinical\n    terms: [" + term + "]\n" +
		"  - id: a\n    category: appointments\n    class: administrative\n    terms: [appointment, letter]\n"
}

func writeRules(t *testing.T, path, text string) {
	t.Helper()
	// Write beside and rename, as editors and configuration tools do, so a
	// poll never reads half a file.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNewReloaderRefusesInvalidRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte("version: x\nrules: [oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewReloader(path, zerolog.Nop())
	if !errors.Is(err, ErrInvalidRules) || !strings.Contains(err.Error(), path) {
		t.Errorf("NewReloader on a broken file: %v; want ErrInvalidRules naming the file", err)
	}
	if _, err := NewReloader(filepath.Join(t.TempDir(), "absent.yaml"), zerolog.Nop()); err == nil {
		t.Error("NewReloader accepted a missing file")
	}
}

func TestReloaderEmbeddedRules(t *testing.T) {
	r, err := NewReloader("", zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	def := defaultClassifier(t)
	if r.Current() == nil || r.Current().Version() != def.Version() {
		t.Fatalf("embedded reloader serves %v, want version %s", r.Current(), def.Version())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run returned %v", err)
	}
}

// TestReloaderFollowsTheFile changes the rules file under a running
// Reloader: a valid change takes effect without a restart, an invalid one
// is refused with a logged reason while the rules in force stay, and
// mending the file brings the new rules in.
func TestReloaderFollowsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, rulesV("v1", "lithium"))
	var logs testenv.LogBuffer
	r, err := NewReloader(path, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	r.SetInterval(10 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}()
	<-r.ready

	text := "She takes clozapine and has an appointment letter."
	if d := r.Current().ClassifyText(text); d.Label != Administrative || d.RulesVersion != "v1" {
		t.Fatalf("v1: %s by %s, want administrative by v1", d.Label, d.RulesVersion)
	}

	writeRules(t, path, rulesV("v2", "clozapine"))
	waitFor(t, "v2 to load", func() bool { return r.Current().Version() == "v2" })
	if d := r.Current().ClassifyText(text); d.Label != Clinical || d.RulesVersion != "v2" {
		t.Errorf("v2: %s by %s, want clinical by v2", d.Label, d.RulesVersion)
	}

	// An invalid file: refused, logged once, v2 stays.
	writeRules(t, path, strings.Replace(rulesV("v3", "clozapine"), "class: clinical", "class: medical", 1))
	waitFor(t, "the refusal to be logged", func() bool { return strings.Contains(logs.String(), "refused") })
	time.Sleep(50 * time.Millisecond) // several more polls of the same bad file
	if v := r.Current().Version(); v != "v2" {
		t.Errorf("after an invalid file the rules in force are %s, want v2", v)
	}
	if err := r.Err(); !errors.Is(err, ErrInvalidRules) || !strings.Contains(err.Error(), `unknown class "medical"`) {
		t.Errorf("Err() = %v; want the validation error", err)
	}
	if n := strings.Count(logs.String(), "refused"); n != 1 {
		t.Errorf("refusal logged %d times, want once per change:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `unknown class \"medical\"`) {
		t.Errorf("log does not give the reason:\n%s", logs.String())
	}

	// Removed (mid-deploy): old rules stay.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the missing file to be reported", func() bool { return strings.Contains(logs.String(), "unreadable") })
	if v := r.Current().Version(); v != "v2" {
		t.Errorf("with the file gone the rules in force are %s, want v2", v)
	}

	writeRules(t, path, rulesV("v4", "olanzapine"))
	waitFor(t, "v4 to load", func() bool { return r.Current().Version() == "v4" })
	if r.Err() != nil {
		t.Errorf("Err() = %v after a good file", r.Err())
	}
	if !strings.Contains(logs.String(), `"version":"v4"`) {
		t.Errorf("reload not logged with its version:\n%s", logs.String())
	}
}

func TestReloadKeepsOldRulesOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, rulesV("v1", "lithium"))
	r, err := NewReloader(path, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := r.Reload(); changed || err != nil {
		t.Errorf("Reload of an unchanged file: changed %v, %v", changed, err)
	}
	writeRules(t, path, "version: v2\n")
	if _, err := r.Reload(); !errors.Is(err, ErrInvalidRules) || !strings.Contains(err.Error(), "no rules") {
		t.Errorf("Reload of a file without rules: %v", err)
	}
	if r.Current().Version() != "v1" {
		t.Errorf("rules in force %s after a refused reload, want v1", r.Current().Version())
	}
	writeRules(t, path, rulesV("v2", "lithium"))
	if changed, err := r.Reload(); !changed || err != nil || r.Current().Version() != "v2" {
		t.Errorf("Reload of a good file: changed %v, %v, version %s", changed, err, r.Current().Version())
	}
}
