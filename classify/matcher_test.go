package classify

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/callscribe/callscribe/transcribe"
)

// testRules is a small rules file for matcher tests, so that they do not
// depend on the shipped lexicon.
const testRules = `
version: test-1
rules:
  - id: t.risk
    category: risk
    class: clinical
    terms: [rapist, self harm, can't sleep, hearing voices, suicidal]
  - id: t.treat
    category: treatment
    class: clinical
    terms: [CBT, ECT, A&E]
  - id: t.weak
    category: symptoms
    class: clinical
    weight: 0.5
    terms: [pain, harm]
  - id: t.exact
    category: mental state
    class: clinical
    match: exact
    terms: [depressed]
  - id: t.admin
    category: appointments
    class: administrative
    terms: [appointment, car park]
contexts:
  - id: t.place
    kind: place
    terms: [pain clinic]
`

func mustParse(t testing.TB, yamlText string) *Classifier {
	t.Helper()
	c, err := Parse("test rules", []byte(yamlText))
	if err != nil {
		t.Fatalf("parsing test rules: %v", err)
	}
	return c
}

// hitTexts lists "ruleID:text" for every hit.
func hitTexts(d Decision) []string {
	var out []string
	for _, h := range d.Hits {
		out = append(out, h.RuleID+":"+h.Text)
	}
	return out
}

func TestMatchingWholeWordsOnly(t *testing.T) {
	c := mustParse(t, testRules)
	tests := []struct {
		in   string
		want []string
	}{
		{"I saw my therapist today about my appointment", []string{"t.admin:appointment"}},
		{"the rapist was arrested", []string{"t.risk:rapist"}},
		{"we expected the cbtx form and subcbt codes", nil},
		{"Offered CBT. Also ECT?", []string{"t.treat:CBT", "t.treat:ECT"}},
		{"painting and painful were fine", nil},
		{"harmony", nil},
	}
	for _, tc := range tests {
		got := hitTexts(c.ClassifyText(tc.in))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: hits %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMatchingPhrasesAcrossFormsAndSpellings(t *testing.T) {
	c := mustParse(t, testRules)
	tests := []struct {
		in   string
		want []string
	}{
		{"history of Self-Harm.", []string{"t.risk:Self-Harm"}},
		{"she was self harming", []string{"t.risk:self harming"}},
		{"I CANNOT sleep", []string{"t.risk:CANNOT sleep"}},
		{"I can\u2019t sleep at all", []string{"t.risk:can\u2019t sleep"}},
		{"he heard voices", []string{"t.risk:heard voices"}},
		{"went to A and E", []string{"t.treat:A and E"}},
		{"went to A&E", []string{"t.treat:A&E"}},
	}
	for _, tc := range tests {
		got := hitTexts(c.ClassifyText(tc.in))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: hits %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExactRulesAreNotStemmed(t *testing.T) {
	c := mustParse(t, testRules)
	if got := hitTexts(c.ClassifyText("the weather is depressing")); got != nil {
		t.Errorf("exact term matched an inflection: %q", got)
	}
	if got := hitTexts(c.ClassifyText("I feel Depressed")); !slices.Equal(got, []string{"t.exact:Depressed"}) {
		t.Errorf("exact term: hits %q, want [t.exact:Depressed]", got)
	}
}

func TestLongerHitHidesShorterOfSameClass(t *testing.T) {
	c := mustParse(t, testRules)
	d := c.ClassifyText("talked about self harm")
	if got := hitTexts(d); !slices.Equal(got, []string{"t.risk:self harm"}) {
		t.Errorf("hits %q, want only the phrase, not the weak word inside it", got)
	}
}

func TestHitSpansAndSegmentsPointIntoTranscript(t *testing.T) {
	c := mustParse(t, testRules)
	tr := &transcribe.Transcript{Segments: []transcribe.Segment{
		{Index: 0, Start: 0, End: 2e9, Text: " Hello, it's about my Appointment.", Speaker: "caller"},
		{Index: 1, Start: 2e9, End: 5e9, Text: " Naïve question — I\u2019ve been SUICIDAL, and I can't sleep!", Speaker: "caller", AvgLogProb: -0.2},
	}}
	d := c.Classify(tr)
	want := []struct {
		rule, text string
		seg        int
	}{
		{"t.admin", "Appointment", 0},
		{"t.risk", "SUICIDAL", 1},
		{"t.risk", "can't sleep", 1},
	}
	if len(d.Hits) != len(want) {
		t.Fatalf("hits %q, want %d", hitTexts(d), len(want))
	}
	for i, w := range want {
		h := d.Hits[i]
		seg := tr.Segments[h.Segment]
		if h.RuleID != w.rule || h.Segment != w.seg || h.Text != w.text || seg.Text[h.Start:h.End] != w.text {
			t.Errorf("hit %d = %+v, want rule %s text %q in segment %d", i, h, w.rule, w.text, w.seg)
		}
		if h.AudioStart != seg.Start || h.AudioEnd != seg.End || h.Speaker != "caller" {
			t.Errorf("hit %d audio %v-%v speaker %q, want the segment's %v-%v caller", i, h.AudioStart, h.AudioEnd, h.Speaker, seg.Start, seg.End)
		}
	}
}

func TestPhrasesDoNotSpanSegments(t *testing.T) {
	c := mustParse(t, testRules)
	tr := &transcribe.Transcript{Segments: []transcribe.Segment{
		{Text: "I was thinking about self"}, {Text: "harm reduction leaflets"},
	}}
	for _, h := range c.Classify(tr).Hits {
		if h.RuleID == "t.risk" {
			t.Errorf("phrase matched across a segment boundary: %+v", h)
		}
	}
}

// TestMatcherFindsWhatBruteForceFinds checks the word matcher (one-word
// terms by ID, phrases by a trie walked back from each word) against a
// plain search over word sequences, with many overlapping and nested terms,
// segment boundaries, and word IDs chosen so that the bytes of two
// neighbouring IDs often spell a third across their boundary.
func TestMatcherFindsWhatBruteForceFinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ids := []uint16{0x0101, 0x0102, 0x0201, 0x0202, 0x0001, 0x0100, 0x0002, 0x0200, 0x0301, 0}
	randWords := func(n int) []uint16 {
		w := make([]uint16, n)
		for i := range w {
			w[i] = ids[rng.IntN(len(ids))]
		}
		return w
	}
	for round := range 500 {
		b := newMatcherBuilder()
		var pats [][]uint16
		for range 1 + rng.IntN(12) {
			p := randWords(1 + rng.IntN(3))
			if slices.Contains(p, 0) || b.has(p) { // 0 is a word in no term
				continue
			}
			b.add(p, patternRef{index: len(pats)})
			pats = append(pats, p)
		}
		m := b.build(0x0301)
		seq := randWords(1 + rng.IntN(40))
		s := &scratch{}
		segLen := 1 + rng.IntN(12)
		for i, id := range seq {
			s.words = append(s.words, word{seg: int32(i / segLen), info: wordInfo{exact: id}})
		}
		var got []string
		c := &Classifier{exact: m}
		for _, sp := range c.spans(s) {
			got = append(got, fmt.Sprint(sp.ref.index, sp.first, sp.last))
		}
		var want []string
		for pi, p := range pats {
			for i := 0; i+len(p) <= len(seq); i++ {
				if slices.Equal(seq[i:i+len(p)], p) && s.words[i].seg == s.words[i+len(p)-1].seg {
					want = append(want, fmt.Sprint(pi, i, i+len(p)-1))
				}
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: words %x (segments of %d) patterns %x:\n matcher %q\n brute   %q", round, seq, segLen, pats, got, want)
		}
	}
}
