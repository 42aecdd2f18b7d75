package classify

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/transcribe"
)

// adminCall is an administrative call as Whisper segments it, with good
// confidence figures: 12 segments, two speakers, no clinical content.
func adminCall() *transcribe.Transcript {
	lines := []struct{ speaker, text string }{
		{"handler", " Single Point of Access, Sam speaking."},
		{"caller", " Hi, I've moved house and I need to update my address, please."},
		{"handler", " Of course. Can I take your name and date of birth?"},
		{"caller", " Alex Morgan, the ninth of May, nineteen eighty-eight."},
		{"handler", " Thanks, Alex. And the new address?"},
		{"caller", " Twelve Orchard Lane, Ashdale, postcode A D four, six T Q."},
		{"handler", " That's updated. Is your mobile number still the same?"},
		{"caller", " Yes, same mobile."},
		{"handler", " Your next appointment letter will go to Orchard Lane."},
		{"caller", " Lovely, and is the car park still free after five?"},
		{"handler", " It is, the barrier is up after five."},
		{"caller", " Great, thanks. Bye."},
	}
	t := &transcribe.Transcript{Duration: 48 * time.Second}
	for i, l := range lines {
		t.Segments = append(t.Segments, transcribe.Segment{
			Index: i, Start: time.Duration(4*i) * time.Second, End: time.Duration(4*i+4) * time.Second,
			Text: l.text, Speaker: l.speaker, AvgLogProb: -0.3, NoSpeechProb: 0.02,
		})
	}
	return t
}

func TestAdminCallIsAdministrative(t *testing.T) {
	d := defaultClassifier(t).Classify(adminCall())
	if d.Label != Administrative {
		t.Fatalf("labelled %s, want administrative; reasons %q", d.Label, d.Reasons)
	}
}

// A window Whisper scored as probably not speech (whisper.cpp gives all the
// segments of a 30-second window the window's no-speech probability) does
// not by itself make a call uncertain: only a large share of doubtful words
// does.
func TestOneDoubtfulSegmentIsNotEnoughForUncertain(t *testing.T) {
	c := defaultClassifier(t)
	tr := adminCall()
	tr.Segments[0].NoSpeechProb = 0.9 // the greeting, over a ring tone
	tr.Segments[7].AvgLogProb = -1.4  // "Yes, same mobile." barely understood
	d := c.Classify(tr)
	if d.Label != Administrative {
		t.Errorf("labelled %s, want administrative; reasons %q", d.Label, d.Reasons)
	}
	if d.Quality.DoubtfulWords == 0 || d.Quality.DoubtfulShare >= c.quality.MaxDoubtfulShare {
		t.Errorf("quality %+v: want a few doubtful words, under the limit", d.Quality)
	}
}

// Clinical words heard only where Whisper may have invented the text are
// not enough to call a call clinical, and too much to call it
// administrative: a person listens.
func TestClinicalEvidenceOnlyInDoubtfulSegmentGoesToAPerson(t *testing.T) {
	c := defaultClassifier(t)
	tr := adminCall()
	tr.Segments[10].Text = " It is. And he's been hearing voices again."
	tr.Segments[10].NoSpeechProb = 0.8
	d := c.Classify(tr)
	if d.Label != Uncertain {
		t.Fatalf("labelled %s, want uncertain; reasons %q", d.Label, d.Reasons)
	}
	if !strings.Contains(strings.Join(d.Reasons, " | "), "may be invented") {
		t.Errorf("reasons %q do not say the evidence may be invented", d.Reasons)
	}
	var hit *Hit
	for i := range d.Hits {
		if d.Hits[i].Class == Clinical {
			hit = &d.Hits[i]
		}
	}
	if hit == nil || !hit.Doubtful || hit.Segment != 10 {
		t.Errorf("clinical hit %+v: want it reported in segment 10 as doubtful", hit)
	}

	// The same words in a trustworthy segment make the call clinical, and
	// doubtful segments elsewhere do not change that.
	tr.Segments[10].NoSpeechProb = 0.02
	tr.Segments[3].AvgLogProb = -1.6
	if d := c.Classify(tr); d.Label != Clinical {
		t.Errorf("with the evidence trustworthy: labelled %s, want clinical; reasons %q", d.Label, d.Reasons)
	}
}

// Trustworthy clinical evidence makes a call clinical even when the rest of
// the transcript is poor: the call holds clinical information, and what
// Whisper missed cannot make it administrative. The quality problem is
// still reported.
func TestClinicalEvidenceStandsDespitePoorQuality(t *testing.T) {
	c := defaultClassifier(t)
	tr := typicalCall()
	for i := range tr.Segments[:8] {
		tr.Segments[i].AvgLogProb = -1.5 // the first half barely understood
	}
	d := c.Classify(tr)
	if d.Label != Clinical {
		t.Fatalf("labelled %s, want clinical; reasons %q", d.Label, d.Reasons)
	}
	if !strings.Contains(strings.Join(d.Reasons, " | "), "does not change the label") {
		t.Errorf("reasons %q do not report the quality problem", d.Reasons)
	}
}

// An administrative label needs substantive administrative evidence: a
// distinctive term and another mention, or several everyday ones.
func TestAdministrativeNeedsEnoughAdministrativeEvidence(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct {
		in   string
		want Label
	}{
		{"Hello, it's about my appointment, the one we talked about on Monday afternoon.", Uncertain},
		{"Hello, it's about the number for the room, the one we talked about on Monday.", Uncertain},
		{"Hello, it's about my appointment letter, the one we talked about on Monday afternoon.", Administrative},
		{"Hello, it's about my appointment and which room it is in, the one on Monday.", Administrative},
		{"Hello, which room is it, and is the clinic open, and what is the number?", Administrative},
	}
	for _, tc := range tests {
		d := c.ClassifyText(tc.in)
		if d.Label != tc.want {
			t.Errorf("%q: %s %q; want %s", tc.in, d.Label, d.Reasons, tc.want)
		}
		if tc.want == Uncertain && !strings.Contains(strings.Join(d.Reasons, " "), "administrative evidence is thin") {
			t.Errorf("%q: reasons %q do not say the administrative evidence is thin", tc.in, d.Reasons)
		}
	}
}

// The explanation names, for every hit, the rule, category, matched text
// and lexicon term, segment, byte span, audio time, speaker, and whether it
// was tolerant, doubtful or suppressed; and it gives the quality figures.
func TestExplanationListsEveryHitAndTheQuality(t *testing.T) {
	c := defaultClassifier(t)
	tr := &transcribe.Transcript{Segments: []transcribe.Segment{
		{Start: 0, End: 4 * time.Second, Speaker: "caller", AvgLogProb: -0.2, NoSpeechProb: 0.01,
			Text: "He's on ketiapine and the pain clinic car park is full."},
		{Start: 4 * time.Second, End: 9 * time.Second, Speaker: "handler", AvgLogProb: -0.3, NoSpeechProb: 0.02,
			Text: "I'll rebook the appointment and send a letter."},
	}}
	d := c.Classify(tr)
	var b bytes.Buffer
	if err := d.WriteText(&b, "  "); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"label: ", "rules: " + c.Version(), "quality: 2 segments", "avg log-prob -0.2", "doubtful words 0",
		`clin.med.antipsychotic`, `(medication)`, `seg 0 bytes 8-17 audio 0:00.0-0:04.0 caller "ketiapine" tolerant (near spelling of "quetiapine")`,
		`"pain" suppressed by ctx.place.service-names`,
		`admin.appointment`, `seg 1`, `audio 0:04.0-0:09.0 handler "rebook"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
	for _, h := range d.Hits {
		if h.Term == "" || h.RuleID == "" || h.Category == "" {
			t.Errorf("hit %+v lacks its term, rule or category", h)
		}
	}
}

// With stereo recordings each segment carries its channel's speaker, and
// every hit keeps it.
func TestHitsKeepTheSpeaker(t *testing.T) {
	c := defaultClassifier(t)
	d := c.Classify(adminCall())
	n := 0
	for _, h := range d.Hits {
		want := adminCall().Segments[h.Segment].Speaker
		if h.Speaker != want {
			t.Errorf("hit %+v: speaker %q, want %q", h, h.Speaker, want)
		}
		if h.Speaker == "handler" {
			n++
		}
	}
	if n == 0 {
		t.Error("no hit on the handler's channel")
	}
}

// TestMentionCountsOnlyBesideEvidence: a service named (a mention rule)
// alone leaves an administrative call administrative, and adds its weight
// when other clinical evidence is there (positive control).
func TestMentionCountsOnlyBesideEvidence(t *testing.T) {
	const file = `version: "t"
rules:
  - id: clin.mention
    category: services named
    class: clinical
    weight: 0.5
    mention: true
    terms: [police]
  - id: clin.weak
    category: mental state
    class: clinical
    weight: 0.5
    terms: [frightened]
  - id: admin.appt
    category: appointments
    class: administrative
    terms: [appointment, letter]
`
	c, err := Parse("t", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	d := c.ClassifyText("The letter about the appointment was handed in at the police station.")
	if d.Label != Administrative {
		t.Errorf("service named alone: %s %q", d.Label, d.Reasons)
	}
	if !slices.ContainsFunc(d.Hits, func(h Hit) bool { return h.RuleID == "clin.mention" }) {
		t.Errorf("the mention is not reported as a hit: %+v", d.Hits)
	}
	if d := c.ClassifyText("She is frightened and the police came; about the appointment letter."); d.Label != Clinical {
		t.Errorf("mention beside weak evidence: %s %q, want clinical (0.5 + 0.5)", d.Label, d.Reasons)
	}
	if d := c.ClassifyText("She is frightened; about the appointment letter."); d.Label != Uncertain {
		t.Errorf("control: weak evidence alone is %s, want uncertain", d.Label)
	}
	if _, err := Parse("t", []byte(file+"  - id: admin.x\n    category: c\n    class: administrative\n    mention: true\n    terms: [rota]\n")); err == nil {
		t.Error("mention on an administrative rule accepted")
	}
}
