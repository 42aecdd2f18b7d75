package classify

import (
	"testing"

	"github.com/callscribe/callscribe/transcribe"
)

// FuzzClassify feeds arbitrary text through the classifier: it must not
// panic, every hit must point at the text it reports, and the lexer must
// agree with the reference tokeniser.
func FuzzClassify(f *testing.F) {
	for _, seed := range []string{
		"", "I'm not suicidal, I can't sleep; A&E at 3am. Olanzepine 10mg!", "ʼtisn’t y'all O'Neill's",
		"self-\u2019harm", "\xff\xfe\xc3", "Café naïve ÉCOLE ١٢٣", "don't don't don't don't don't don't",
		"the pain clinic car park is driving me mad",
	} {
		f.Add(seed, "He's been hearing voices.")
	}
	c, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		tr := &transcribe.Transcript{Segments: []transcribe.Segment{{Text: a, AvgLogProb: -0.3}, {Text: b, NoSpeechProb: 0.9}}}
		d := c.Classify(tr)
		for _, h := range d.Hits {
			seg := tr.Segments[h.Segment].Text
			if h.Start < 0 || h.End > len(seg) || h.Start >= h.End || seg[h.Start:h.End] != h.Text {
				t.Fatalf("hit %+v does not point into segment %q", h, seg)
			}
		}
		s := c.getScratch()
		defer c.putScratch(s)
		for _, text := range []string{a, b} {
			s.reset()
			s.lex(text, 0)
			toks := tokenise(text)
			if len(toks) != len(s.words) {
				t.Fatalf("%q: lexer %d words, tokenise %d", text, len(s.words), len(toks))
			}
			for i, w := range s.words {
				if got := britishSpelling(string(s.arena[w.off : w.off+w.n])); got != toks[i].norm {
					t.Fatalf("%q word %d: lexer %q, tokenise %q", text, i, got, toks[i].norm)
				}
			}
		}
	})
}
