package classify

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// dictionaryPath is Debian's British English word list (package wbritish),
// present on developer machines that installed it and skipped elsewhere.
const dictionaryPath = "/usr/share/dict/british-english"

// TestTolerantTermsAreFarFromEverydayWords guards the misspelling match: a
// tolerant term within a few edits of an ordinary English word would turn
// that word into clinical evidence ("described" into "prescribed").
func TestTolerantTermsAreFarFromEverydayWords(t *testing.T) {
	f, err := os.Open(dictionaryPath)
	if errors.Is(err, fs.ErrNotExist) {
		// Under CI a missing word list fails: a broken set-up must not pass.
		if os.Getenv("CI") != "" {
			t.Fatalf("no word list at %s (apt-get install wbritish; scripts/test.sh installs it)", dictionaryPath)
		}
		t.Skipf("no word list at %s (apt-get install wbritish)", dictionaryPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := defaultClassifier(t)
	var scratch editScratch
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.ToLower(sc.Text())
		if strings.ContainsAny(w, "'") || c.vocab[w] != (wordInfo{}) {
			continue
		}
		for _, ft := range c.fuzzy {
			// An inflection of the term matches it exactly, through stemming.
			if abs(len(w)-len(ft.word)) > ft.maxEdits || stem(w) == stem(ft.word) {
				continue
			}
			if d := scratch.distance(w, ft.word, ft.maxEdits); d > 0 && d <= ft.maxEdits {
				t.Errorf("tolerant term %q (rule %s) is %d edit(s) from the word %q", ft.word, c.rules[ft.rule].id, d, w)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"olanzapine", "olanzapine", 2, 0},
		{"olanzepine", "olanzapine", 2, 1},
		{"ketiapine", "quetiapine", 2, 2},
		{"zeplion", "xeplion", 1, 1},
		{"sertarline", "sertraline", 2, 1},  // transposition
		{"appointment", "olanzapine", 2, 3}, // gives up past the limit
	}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
}
