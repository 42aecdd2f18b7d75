package classify

import (
	"slices"
	"testing"
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
