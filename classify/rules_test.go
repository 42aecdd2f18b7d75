package classify

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const ruleHead = "version: v\nrules:\n"

func TestParseRejectsBadRules(t *testing.T) {
	clin := "  - id: a\n    category: c\n    class: clinical\n    terms: [pain]\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"empty file", "", "file is empty"},
		{"invalid yaml", "version: [unclosed\n", "yaml"},
		{"unknown field", ruleHead + clin + "    colour: red\n", "colour"},
		{"no version", "rules:\n" + clin, "version is missing"},
		{"no rules", "version: v\n", "no rules"},
		{"duplicate id", ruleHead + clin + strings.Replace(clin, "[pain]", "[ache]", 1), `duplicate id "a"`},
		{"missing id", ruleHead + strings.Replace(clin, "id: a", "id: ''", 1), "has no id"},
		{"empty terms", ruleHead + strings.Replace(clin, "[pain]", "[]", 1), "no terms"},
		{"missing terms", ruleHead + "  - id: a\n    category: c\n    class: clinical\n", "no terms"},
		{"blank term", ruleHead + strings.Replace(clin, "[pain]", "[pain, '  ']", 1), `term 1 ("  ") has no words`},
		{"punctuation-only term", ruleHead + strings.Replace(clin, "[pain]", "['?!']", 1), "has no words"},
		{"unknown class", ruleHead + strings.Replace(clin, "clinical", "medical", 1), `unknown class "medical"`},
		{"missing category", ruleHead + strings.Replace(clin, "category: c", "category: ''", 1), "category is missing"},
		{"unknown match", ruleHead + clin + "    match: fuzzy\n", `unknown match "fuzzy"`},
		{"bad weight", ruleHead + clin + "    weight: -1\n", "weight -1"},
		{"term in two rules", ruleHead + clin + strings.Replace(clin, "id: a", "id: b", 1), `term "pain" is already a term of rule "a"`},
		{"same term once stemmed", ruleHead + strings.Replace(clin, "[pain]", "[overdose, overdosed]", 1), "the same as term"},
		{"exact term shadowed by stemmed term", ruleHead + clin +
			"  - id: b\n    category: c\n    class: clinical\n    match: exact\n    terms: [pains]\n", "would also be matched"},
		{"unknown context kind", ruleHead + clin + "contexts:\n  - id: x\n    kind: joke\n    terms: [pain clinic]\n", `unknown kind "joke"`},
		{"context without clinical term", ruleHead + clin + "contexts:\n  - id: x\n    kind: idiom\n    terms: [driving me up the wall]\n", "could never suppress"},
		{"context id clashes with rule id", ruleHead + clin + "contexts:\n  - id: a\n    kind: place\n    terms: [pain clinic]\n", `duplicate id "a"`},
		{"threshold out of range", "decision:\n  clinical_threshold: 0\n" + ruleHead + clin, "clinical_threshold"},
		{"no-speech limit out of range", "quality:\n  max_no_speech_prob: 1.5\n" + ruleHead + clin, "max_no_speech_prob"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tc.yaml)
			}
			if !errors.Is(err, ErrInvalidRules) {
				t.Errorf("error %q does not wrap ErrInvalidRules", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.yaml") {
				t.Errorf("error %q should name the file and say %q", err, tc.want)
			}
		})
	}
}

func TestLoadReadsFileAndKeepsDefaultsForOmittedSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	text := "version: site-7\nrules:\n  - id: a\n    category: c\n    class: clinical\n    terms: [lithium]\n" +
		"  - id: b\n    category: appointments\n    class: administrative\n    terms: [appointment]\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	d := c.ClassifyText("She takes lithium every morning before her appointment.")
	if d.Label != Clinical || d.RulesVersion != "site-7" {
		t.Errorf("got %s with rules %q, want clinical with site-7", d.Label, d.RulesVersion)
	}
	if c.quality.MinWords != defaultConfig().Quality.MinWords {
		t.Errorf("omitted quality settings were not defaulted: %+v", c.quality)
	}
}

func TestLoadMissingFileIsNotInvalidRules(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalidRules) {
		t.Errorf("Load of a missing file: %v; want a not-exist error, not ErrInvalidRules", err)
	}
}

func TestDefaultLexiconSize(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	clinical, admin := 0, 0
	for _, r := range c.rules {
		if r.class == Clinical {
			clinical += len(r.terms)
		} else {
			admin += len(r.terms)
		}
	}
	t.Logf("default rules %s: %d clinical terms, %d administrative terms, %d context rules", c.Version(), clinical, admin, len(c.contexts))
	if clinical < 150 {
		t.Errorf("only %d clinical terms; the lexicon should hold at least 150", clinical)
	}
}

// TestDefaultKnowsCommonPsychiatricDrugs names drugs an SPA line hears
// about every day: each alone must make a call clinical.
func TestDefaultKnowsCommonPsychiatricDrugs(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	drugs := []string{
		"sertraline", "fluoxetine", "citalopram", "mirtazapine", "venlafaxine", "olanzapine", "quetiapine",
		"aripiprazole", "risperidone", "clozapine", "lithium", "sodium valproate", "Depakote", "lamotrigine",
		"diazepam", "lorazepam", "zopiclone", "promethazine", "methadone", "buprenorphine", "haloperidol",
		"paliperidone", "Xeplion", "flupentixol", "Depixol", "zuclopenthixol", "Prozac", "Seroquel",
	}
	for _, drug := range drugs {
		d := c.ClassifyText("Can you check the letter about my " + drug + " for next week's appointment?")
		if d.Label != Clinical {
			t.Errorf("%s: labelled %s (%q), want clinical", drug, d.Label, d.Reasons)
		}
	}
}

// TestClassesExpand: a {class} in a context phrase stands for each member,
// and a mention outside the pattern still counts (positive control).
func TestClassesExpand(t *testing.T) {
	const file = `version: "t"
classes:
  service: [team, access line]
rules:
  - id: clin.weak
    category: mental state
    class: clinical
    weight: 0.5
    terms: [mental health]
  - id: admin.appt
    category: appointments
    class: administrative
    terms: [appointment, letter]
contexts:
  - id: ctx.service
    kind: service
    terms: ["mental health {service}"]
`
	c, err := Parse("t", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"Can you put me through to the mental health team about my appointment letter?",
		"Hello, mental health access line, is it about an appointment letter?",
	} {
		if d := c.ClassifyText(text); d.Label != Administrative {
			t.Errorf("%q: %s %q", text, d.Label, d.Reasons)
		}
	}
	if d := c.ClassifyText("My mental health has been bad since the appointment letter came."); d.Label != Uncertain {
		t.Errorf("positive control: a mental-health mention outside a service name is %s, want uncertain", d.Label)
	}
	for _, bad := range []string{
		strings.Replace(file, "{service}", "{nope}", 1),
		strings.Replace(file, "{service}", "{service", 1),
	} {
		if _, err := Parse("t", []byte(bad)); !errors.Is(err, ErrInvalidRules) {
			t.Errorf("bad class use accepted: %v", err)
		}
	}
}
