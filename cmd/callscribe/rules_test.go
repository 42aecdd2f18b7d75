package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/testenv"
)

func smallRules(t *testing.T, clinicalTerms string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	text := "version: t\nrules:\n" +
		"  - id: clin.med\n    category: medication\n    class: clinical\n    terms: [" + clinicalTerms + "]\n" +
		"  - id: admin.appt\n    category: appointments\n    class: administrative\n    terms: [appointment, letter]\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRulesTestRefusesClinicalAsAdministrative: a rules edit that drops the
// only clinical term of a labelled clinical call exits non-zero and names
// the call and the rules that fired; a harmless edit exits 0 (positive
// control), as do the embedded rules on the same folder.
func TestRulesTestRefusesClinicalAsAdministrative(t *testing.T) {
	dir := testenv.LabelledSet(t)
	code, out, errOut := runCLI(t, "rules", "test", "-rules", smallRules(t, "olanzapine"), dir)
	if code != 1 || !strings.Contains(out, "guard/call-1") || !strings.Contains(out, "rules fired: admin.appt") ||
		!strings.Contains(errOut, "clinical call(s) administrative") {
		t.Errorf("bad edit: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "rules", "test", "-rules", smallRules(t, "sertraline, olanzapine"), dir)
	if code != 0 || !strings.Contains(out, "misclassified: none") {
		t.Errorf("harmless edit: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "rules", "test", dir); code != 0 {
		t.Errorf("embedded rules: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ := runCLI(t, "rules", "lint", dir); code != 2 {
		t.Errorf("unknown subcommand: exit %d, want 2", code)
	}
}

// TestServeRulesGuard: serve's -rules-guard refuses to start on rules that
// label a guard call administrative, starts on good ones, and a reload of a
// bad edit then keeps the old rules (positive control: a harmless edit
// goes live).
func TestServeRulesGuard(t *testing.T) {
	dir := testenv.LabelledSet(t)
	bad := smallRules(t, "olanzapine")
	r, err := classify.NewReloader(bad, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := guardRules(r, dir, zerolog.Nop()); !errors.Is(err, classify.ErrGuardFailed) {
		t.Errorf("start on rules failing the guard: %v", err)
	}
	path := smallRules(t, "sertraline")
	r, err = classify.NewReloader(path, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := guardRules(r, dir, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(bad)
	os.WriteFile(path, []byte(strings.Replace(string(data), "version: t", "version: t2", 1)), 0o600)
	if _, err := r.Reload(); !errors.Is(err, classify.ErrGuardFailed) || r.Current().Version() != "t" {
		t.Errorf("bad reload: %v, rules in force %s", err, r.Current().Version())
	}
	os.WriteFile(path, []byte(strings.Replace(string(data), "version: t", "version: t3", 1)+"  - id: clin.more\n    category: medication\n    class: clinical\n    terms: [sertraline]\n"), 0o600)
	if _, err := r.Reload(); err != nil || r.Current().Version() != "t3" {
		t.Errorf("harmless reload: %v, rules in force %s", err, r.Current().Version())
	}
}

// TestRulesTestTranscripts: -transcripts classifies stored transcripts of
// the same calls too, and a clinical call whose transcript lost its
// clinical word fails (positive control: the text alone passes).
func TestRulesTestTranscripts(t *testing.T) {
	dir := testenv.LabelledSet(t)
	trs := t.TempDir()
	tr := `{"segments":[{"index":0,"text":"He has run out of his, and it is about the appointment letter.","speaker":"caller"}]}`
	if err := os.WriteFile(filepath.Join(trs, "call-1.json"), []byte(tr), 0o600); err != nil {
		t.Fatal(err)
	}
	rules := smallRules(t, "sertraline")
	if code, out, errOut := runCLI(t, "rules", "test", "-rules", rules, dir); code != 0 {
		t.Fatalf("text only: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ := runCLI(t, "rules", "test", "-rules", rules, "-transcripts", trs, dir)
	if code != 1 || !strings.Contains(out, "stored transcript") || !strings.Contains(out, "guard/call-1 [stored transcript]") {
		t.Errorf("with a transcript lacking the clinical word: exit %d\n%s", code, out)
	}
}
