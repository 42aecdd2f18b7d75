package classify

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func norms(toks []token) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.norm
	}
	return out
}

func TestTokeniseNormalises(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"case and punctuation", "Hello, WORLD! (again)...", []string{"hello", "world", "again"}},
		{"n't", "I can't, don't and won't", []string{"i", "can", "not", "do", "not", "and", "will", "not"}},
		{"other contractions", "I'm, you're, we've, she'll, he'd", []string{"i", "am", "you", "are", "we", "have", "she", "will", "he", "would"}},
		{"curly apostrophe", "I\u2019m fine", []string{"i", "am", "fine"}},
		{"'s read as is", "it's the queue's fault", []string{"it", "is", "the", "queue", "is", "fault"}},
		{"let's", "let's go", []string{"let", "us", "go"}},
		{"trailing apostrophe", "my parents' address", []string{"my", "parents", "address"}},
		{"ampersand", "A&E", []string{"a", "and", "e"}},
		{"letters and digits split", "50mg, PHQ-9", []string{"50", "mg", "phq", "9"}},
		{"hyphen splits", "self-harm", []string{"self", "harm"}},
		{"informal", "I'm gonna, cannot", []string{"i", "am", "going", "to", "can", "not"}},
		{"lost apostrophes", "im sure i dont know, cant say", []string{"i", "am", "sure", "i", "do", "not", "know", "can", "not", "say"}},
		{"american spellings", "anesthetic behavior hospitalized counseling diarrhea pediatric tumor",
			[]string{"anaesthetic", "behaviour", "hospitalised", "counselling", "diarrhoea", "paediatric", "tumour"}},
		{"british stays", "anaesthetic behaviour hospitalised", []string{"anaesthetic", "behaviour", "hospitalised"}},
		{"iz roots untouched", "size prize citizen seized", []string{"size", "prize", "citizen", "seized"}},
		{"non-ascii letters", "Café naïve", []string{"café", "naïve"}},
		{"nothing but punctuation", " -- !! ", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := norms(tokenise(tc.in))
			if !slices.Equal(got, tc.want) {
				t.Errorf("tokenise(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTokenSpansPointIntoOriginal(t *testing.T) {
	in := "Café: I\u2019m NOT-sleeping, 50mg."
	want := []struct{ norm, orig string }{
		{"café", "Café"},
		{"i", "I\u2019m"}, {"am", "I\u2019m"},
		{"not", "NOT"}, {"sleeping", "sleeping"},
		{"50", "50"}, {"mg", "mg"},
	}
	toks := tokenise(in)
	if len(toks) != len(want) {
		t.Fatalf("got %d tokens %q, want %d", len(toks), norms(toks), len(want))
	}
	for i, w := range want {
		if toks[i].norm != w.norm || in[toks[i].start:toks[i].end] != w.orig {
			t.Errorf("token %d = %q spanning %q, want %q spanning %q", i, toks[i].norm, in[toks[i].start:toks[i].end], w.norm, w.orig)
		}
	}
}

// corpus is text to check the fast paths against the reference ones: the
// dev calls' reference transcripts, the rules' own terms, the unit-test
// sentences, and a dictionary when the machine has one.
func corpus(t *testing.T) []string {
	t.Helper()
	out := []string{
		"Café: I\u2019m NOT-sleeping, 50mg. A&E, self-harm; y'all O'Neill's ʼtisn’t",
		"He's hospitalized; HOSPITALISING behavior, counseled, anesthetized, esophagitis, pediatric Mom's gray center.",
		"I'M GONNA, dont, cant, Wont, Dunno, cannot; ½ ١٢٣ naïve ÉCOLE Σίσυφος",
		"'quoted' words' ends, don't'", "\xff\xfe broken \xc3 utf8",
	}
	names, _ := filepath.Glob(filepath.Join(devCallsDir, "*.txt"))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(data))
	}
	rf := defaultConfig()
	if err := yaml.Unmarshal(defaultRules, &rf); err != nil {
		t.Fatal(err)
	}
	if err := rf.expandClasses(); err != nil {
		t.Fatal(err)
	}
	for _, r := range rf.Rules {
		out = append(out, strings.Join(r.Terms, ", "))
	}
	for _, cx := range rf.Contexts {
		out = append(out, strings.Join(cx.Terms, ", "))
	}
	for _, dict := range []string{"/usr/share/dict/british-english", "/usr/share/dict/american-english", "/usr/share/dict/words"} {
		if data, err := os.ReadFile(dict); err == nil {
			out = append(out, strings.Split(string(data), "\n")...)
		}
	}
	return out
}

// TestLexerMatchesTokenise holds the matcher's allocation-free lexer to
// the reference tokeniser: the same words, spans and normal forms.
func TestLexerMatchesTokenise(t *testing.T) {
	c := defaultClassifier(t)
	s := c.getScratch()
	for _, text := range corpus(t) {
		s.reset()
		s.lex(text, 0)
		toks := tokenise(text)
		if len(toks) != len(s.words) {
			t.Fatalf("%q: lexer %d words, tokenise %d", text, len(s.words), len(toks))
		}
		for i, w := range s.words {
			got := britishSpelling(string(s.arena[w.off : w.off+w.n]))
			if got != toks[i].norm || int(w.start) != toks[i].start || int(w.end) != toks[i].end {
				t.Fatalf("%q word %d: lexer %q %d-%d, tokenise %q %d-%d", text, i, got, w.start, w.end, toks[i].norm, toks[i].start, toks[i].end)
			}
		}
	}
}

// TestVocabularyMatchesNormalisation checks that the compiled vocabulary
// gives every word the IDs that normalising and stemming it would: the
// listing of spellings and inflections misses none and adds none.
func TestVocabularyMatchesNormalisation(t *testing.T) {
	rf := defaultConfig()
	if err := yaml.Unmarshal(defaultRules, &rf); err != nil {
		t.Fatal(err)
	}
	if err := rf.expandClasses(); err != nil {
		t.Fatal(err)
	}
	c, v, err := compile(rf)
	if err != nil {
		t.Fatal(err)
	}
	checked := map[string]bool{}
	check := func(w string) {
		if checked[w] {
			return
		}
		checked[w] = true
		norm := britishSpelling(w)
		want := wordInfo{exact: v.exactID[norm], stem: v.stemID[stem(norm)]}
		got := c.vocab[w]
		if got != want {
			t.Errorf("%q (normal form %q, stem %q): vocabulary gives %+v, normalising gives %+v", w, norm, stem(norm), got, want)
		}
		if fast := c.table.lookup(hashString(w), []byte(w)); fast.wordInfo != got || fast.informal != (informalWords[w] != nil) {
			t.Errorf("%q: hash table gives %+v, map %+v", w, fast, got)
		}
	}
	s := c.getScratch()
	for _, text := range corpus(t) {
		s.reset()
		s.lex(text, 0)
		for _, w := range s.words {
			check(string(s.arena[w.off : w.off+w.n]))
		}
	}
	// Every listed spelling, and every word of the vocabulary with common
	// endings added, must also agree.
	for w := range c.vocab {
		check(w)
	}
	for w := range v.exactID {
		for _, end := range []string{"s", "es", "ed", "d", "ing", "er", "ers", "ly", "ness", "y", "ies", "ied"} {
			check(w + end)
		}
	}
	t.Logf("%d words checked; vocabulary lists %d spellings of %d exact words and %d stems", len(checked), len(c.vocab), len(v.exactID), len(v.stemID))
}
