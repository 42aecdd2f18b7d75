package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
)

// copyCalls puts the named dev calls (recording, label and reference
// transcript) into a fresh folder.
func copyCalls(t *testing.T, ids ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, id := range ids {
		for _, ext := range []string{".wav", ".json", ".txt"} {
			data, err := os.ReadFile(testenv.Shared(t, "calls/dev/"+id+ext))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, id+ext), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// TestEvalTextOnlyOnDevCalls runs eval on the reference transcripts of the
// whole dev set: the report must hold the confusion matrix, recall and
// precision, the uncertain rate and the goals, and the goals must be met.
func TestEvalTextOnlyOnDevCalls(t *testing.T) {
	dir := testenv.Shared(t, "calls/dev")
	code, out, errOut := runCLI(t, "eval", dir, "--text-only", "--json", "--goals")
	if code != 0 {
		t.Fatalf("eval --goals: exit %d\n%s\n%s", code, errOut, out)
	}
	var rep evalReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("eval --json output: %v\n%s", err, out)
	}
	if rep.Calls != 50 || len(rep.Modes) != 1 || rep.Modes[0].Mode != modeText || !rep.GoalsMet || rep.RulesVersion == "" {
		t.Fatalf("report: %d calls, %d modes, goals met %v, rules %q", rep.Calls, len(rep.Modes), rep.GoalsMet, rep.RulesVersion)
	}
	m := rep.Modes[0]
	total := 0
	for _, row := range m.Confusion {
		for _, n := range row {
			total += n
		}
	}
	if total != 50 || len(m.Results) != 50 || len(m.Classes) != 2 || len(m.Goals) != 2 {
		t.Errorf("mode report: %d in the matrix, %d results, %d classes, %d goals", total, len(m.Results), len(m.Classes), len(m.Goals))
	}
	for _, r := range m.Results {
		if r.Decision.RulesVersion != rep.RulesVersion || len(r.Decision.Reasons) == 0 {
			t.Errorf("%s: decision without rules version or reasons: %+v", r.ID, r.Decision)
		}
	}
	if m.ClinicalAsAdministrative != 0 {
		t.Errorf("%d clinical calls labelled administrative", m.ClinicalAsAdministrative)
	}

	// The text report says the same for a person.
	code, out, _ = runCLI(t, "eval", "--text-only", dir)
	for _, want := range []string{"== reference text: 50 calls", "true \\ label", "administrative  recall", "clinical        recall",
		"precision", "uncertain rate", "goal: clinical calls not labelled administrative", "goal: administrative recall", "all goals met"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval text report lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("eval: exit %d", code)
	}
}

// With --goals, eval fails (exit 1) when the rules miss a goal, and lists
// each misclassified call with its explanation.
func TestEvalGoalsFailWithBadRules(t *testing.T) {
	dir := copyCalls(t, "call-0002", "call-0003")
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	// Only an administrative lexicon: the clinical call looks administrative.
	text := "version: admin-only\nrules:\n  - id: a\n    category: appointments\n    class: administrative\n" +
		"    terms: [appointment, car park, clinic, number, thank, hello, speaking, date of birth, practice]\n"
	if err := os.WriteFile(rules, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "eval", dir, "--text-only", "--rules", rules, "--goals")
	if code != 1 || !strings.Contains(errOut, "goals not met") {
		t.Fatalf("eval --goals with bad rules: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"misclassified call-0003: clinical labelled administrative", "reason: ", "hit: ", "rules: admin-only", "NOT MET", "goals NOT met"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// Without --goals the same report exits 0.
	if code, _, _ := runCLI(t, "eval", dir, "--text-only", "--rules", rules); code != 0 {
		t.Errorf("eval without --goals: exit %d", code)
	}
}

func TestEvalUsageErrors(t *testing.T) {
	if code, _, errOut := runCLI(t, "eval"); code != 2 || !strings.Contains(errOut, "labelled folder") {
		t.Errorf("eval without a folder: exit %d, %q", code, errOut)
	}
	empty := t.TempDir()
	if code, _, errOut := runCLI(t, "eval", empty, "--text-only"); code != 1 || !strings.Contains(errOut, "no labelled calls") {
		t.Errorf("eval of an empty folder: exit %d, %q", code, errOut)
	}
	dir := copyCalls(t, "call-0002")
	if err := os.Remove(filepath.Join(dir, "call-0002.txt")); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "eval", dir, "--text-only"); code != 1 || !strings.Contains(errOut, "call-0002.txt is missing") {
		t.Errorf("eval with a reference transcript missing: exit %d, %q", code, errOut)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "call-1.json"), []byte(`{"label":"medical"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "eval", bad, "--text-only"); code != 1 || !strings.Contains(errOut, `label "medical"`) {
		t.Errorf("eval with an unknown label: exit %d, %q", code, errOut)
	}
}
