package classify

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callscribe/callscribe/transcribe"
)

func defaultClassifier(t testing.TB) *Classifier {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return c
}

// suppressedBy returns the context rule that cancelled the hit on text, or
// "" if text was hit and not suppressed; it fails if text was not hit.
func suppressedBy(t *testing.T, d Decision, text string) string {
	t.Helper()
	for _, h := range d.Hits {
		if strings.EqualFold(h.Text, text) && h.Class == Clinical {
			return h.SuppressedBy
		}
	}
	t.Fatalf("no clinical hit on %q; hits %q", text, hitTexts(d))
	return ""
}

func TestContextSuppressesIdiomsPlacesAndHomonyms(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct {
		in, hit, by string
	}{
		{"Sorting out my appointment letters has been a headache.", "headache", "ctx.idiom.headache"},
		{"I'm dying to know when my appointment is. Is it in the letter?", "dying", "ctx.idiom.dying"},
		{"The parking is driving me mad, where is the car park?", "mad", "ctx.idiom.mad"},
		{"Can I rebook my appointment? The queue is killing me.", "killing me", "ctx.idiom.killing"},
		{"Where is the pain clinic car park? My appointment is at ten.", "pain", "ctx.place.service-names"},
		{"I depressed the button on the barrier at the car park and nothing happened.", "depressed", "ctx.homonym.depressed"},
		{"I'll join the video appointment on my tablet; the link is in the letter.", "tablet", "ctx.homonym.devices"},
		{"The number for the bus depot is on the letter.", "depot", "ctx.homonym.devices"},
		{"Don't panic, I'll rebook the appointment for you.", "panic", "ctx.idiom.panic"},
		// rules 2026.4
		{"I nearly had a fit when the parking fine arrived. Can you check the letter?", "had a fit", "ctx.idiom.misc"},
		{"Sorry, I'm not mad at you, the booking system lost my appointment letter.", "mad", "ctx.idiom.mad"},
		{"The pay machine in the car park was not taking cards, so I got a ticket at my appointment.", "not taking", "ctx.idiom.misc"},
		{"We run a hearing voices group on Mondays; can we leave posters at reception?", "hearing voices", "ctx.place.service-names"},
		{"Our charity has a safeguarding policy; where do we post the volunteer forms?", "safeguarding", "ctx.place.service-names"},
	}
	for _, tc := range tests {
		t.Run(tc.hit, func(t *testing.T) {
			d := c.ClassifyText(tc.in)
			if got := suppressedBy(t, d, tc.hit); got != tc.by {
				t.Errorf("%q suppressed by %q, want %q", tc.hit, got, tc.by)
			}
			if d.Label != Administrative {
				t.Errorf("labelled %s (%q), want administrative", d.Label, d.Reasons)
			}
			for _, h := range d.Hits {
				if h.Suppressed != (h.SuppressedBy != "") {
					t.Errorf("hit %+v: Suppressed and SuppressedBy disagree", h)
				}
			}
		})
	}
}

func TestContextDoesNotSuppressLiteralUse(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct{ in, hit string }{
		{"I've been really depressed since Christmas.", "depressed"},
		{"He said he's going to kill me.", "kill me"},
		{"I've had pain in my back and I can't sleep.", "pain"},
		{"My depot is due on Friday.", "depot"},
		{"She had a fit last night and bit her tongue.", "had a fit"},
		{"He's not taking his tablets again.", "not taking"},
		{"My son has been confused and up at night.", "confused"},
		{"My sister goes to her bipolar support group but she's stopped going out.", "bipolar"},
		{"I'm worried about a safeguarding issue with my neighbour's children.", "safeguarding"},
	}
	for _, tc := range tests {
		d := c.ClassifyText(tc.in)
		if by := suppressedBy(t, d, tc.hit); by != "" {
			t.Errorf("%q: %q suppressed by %s", tc.in, tc.hit, by)
		}
	}
}

func TestNegatedClinicalContentIsClinical(t *testing.T) {
	c := defaultClassifier(t)
	for _, in := range []string{
		"I'm not suicidal, I just want to change my appointment.",
		"No thoughts of self-harm. Can you send the letter to my new address?",
		"He doesn't drink alcohol at all, he just needs the appointment moved.",
		"I'm not on any medication now, please update my address.",
		"I've never had a diagnosis, I just need my date of birth corrected.",
	} {
		if d := c.ClassifyText(in); d.Label != Clinical {
			t.Errorf("%q: labelled %s (%q), want clinical", in, d.Label, d.Reasons)
		}
	}
}

func TestEvidenceDecidesLabel(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct {
		name, in string
		want     Label
	}{
		{"one strong term is enough", "Can you move my appointment? I've run out of sertraline.", Clinical},
		{"one weak term goes to a person", "Can you move my appointment? I've been feeling a bit withdrawn.", Uncertain},
		{"two different weak terms are clinical", "She's been withdrawn and confused all week, can you move her appointment?", Clinical},
		{"a weak term repeated is still weak", "Mood, mood, mood. Please change my appointment letter and my address.", Uncertain},
		{"administrative only", "Please change my appointment to Tuesday and send the letter to my new address.", Administrative},
		{"no evidence either way", "Hello there, it is about the thing we talked about on Monday afternoon.", Uncertain},
		{"naming a psychiatrist is not clinical", "I need to rebook my appointment with the psychiatrist, Doctor Okafor.", Administrative},
		{"misspelt drug name alone goes to a person", "He is on olanzepine and his appointment needs moving.", Uncertain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := c.ClassifyText(tc.in)
			if d.Label != tc.want {
				t.Errorf("labelled %s, want %s; reasons %q", d.Label, tc.want, d.Reasons)
			}
			if len(d.Reasons) == 0 {
				t.Error("no reasons given")
			}
			if d.RulesVersion != c.Version() || d.RulesVersion == "" {
				t.Errorf("rules version %q, want %q", d.RulesVersion, c.Version())
			}
		})
	}
}

func TestTolerantMatchMarksNearSpellings(t *testing.T) {
	c := defaultClassifier(t)
	d := c.ClassifyText("He takes ketiapine at night.")
	if len(d.Hits) != 1 || !d.Hits[0].Tolerant || d.Hits[0].RuleID != "clin.med.antipsychotic" || d.Hits[0].Text != "ketiapine" {
		t.Fatalf("hits %+v, want one tolerant antipsychotic hit on ketiapine", d.Hits)
	}
	for _, in := range []string{"He takes quetiapine at night.", "She has the ability to cope with appointments."} {
		for _, h := range c.ClassifyText(in).Hits {
			if h.Tolerant {
				t.Errorf("%q: unexpected near-spelling hit %+v", in, h)
			}
		}
	}
}

func TestReasonsHoldNoTranscriptTextBeyondTerms(t *testing.T) {
	c := defaultClassifier(t)
	d := c.ClassifyText("Zebedee Quiggly from Flat 9 says he's been hearing voices; please rebook his appointment.")
	for _, r := range d.Reasons {
		for _, private := range []string{"Zebedee", "Quiggly", "Flat 9"} {
			if strings.Contains(r, private) {
				t.Errorf("reason %q repeats transcript text %q", r, private)
			}
		}
	}
}

func segs(texts ...string) []transcribe.Segment {
	out := make([]transcribe.Segment, len(texts))
	for i, s := range texts {
		out[i] = transcribe.Segment{
			Index: i, Text: s, Start: time.Duration(i) * 4 * time.Second, End: time.Duration(i+1) * 4 * time.Second,
			AvgLogProb: -0.3, NoSpeechProb: 0.02,
		}
	}
	return out
}

func TestUntrustworthyTranscriptsAreUncertain(t *testing.T) {
	c := defaultClassifier(t)
	good := segs("Hello, I need to rebook my appointment for next week.", "I also take sertraline, fifty milligrams.")
	tests := []struct {
		name   string
		t      *transcribe.Transcript
		reason string
	}{
		{"nil transcript", nil, "no speech"},
		{"no segments", &transcribe.Transcript{}, "no speech"},
		{"only blank segments", &transcribe.Transcript{Segments: segs("  ", "...")}, "no speech"},
		{"very short", &transcribe.Transcript{Segments: segs("Hello?", "Yes.")}, "only 2 words"},
		{"repetition loop", &transcribe.Transcript{Segments: segs(
			"I need to rebook my appointment.", "Thank you for watching.", "Thank you for watching.",
			"Thank you for watching.", "Thank you for watching.", "Thank you for watching.")}, "repeats itself"},
		{"loop at the end of a long call", &transcribe.Transcript{Segments: append(adminCall().Segments, segs(
			"So I'll see you then.", "So I'll see you then.", "So I'll see you then.", "So I'll see you then.",
			"So I'll see you then.", "So I'll see you then.", "So I'll see you then.", "So I'll see you then.")...)},
			"part of the transcript repeats itself"},
		{"low log-probability", &transcribe.Transcript{Segments: func() []transcribe.Segment {
			s := segs(good[0].Text, good[1].Text)
			s[0].AvgLogProb, s[1].AvgLogProb = -1.4, -1.2
			return s
		}()}, "log-probability"},
		{"high no-speech probability", &transcribe.Transcript{Segments: func() []transcribe.Segment {
			s := segs(good[0].Text, good[1].Text)
			s[1].NoSpeechProb = 0.9
			return s
		}()}, "not speech"},
		{"half the words barely understood", &transcribe.Transcript{Segments: func() []transcribe.Segment {
			s := adminCall().Segments
			for i := range s[:len(s)/2] {
				s[i].AvgLogProb = -1.3
			}
			return s
		}()}, "barely understood"},
		{"low average log-probability over the call", &transcribe.Transcript{Segments: func() []transcribe.Segment {
			s := adminCall().Segments
			for i := range s {
				s[i].AvgLogProb = -0.9
			}
			return s
		}()}, "unsure of the words"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := c.Classify(tc.t)
			if d.Label != Uncertain {
				t.Fatalf("labelled %s, want uncertain; reasons %q", d.Label, d.Reasons)
			}
			if !strings.Contains(strings.Join(d.Reasons, " | "), tc.reason) {
				t.Errorf("reasons %q do not mention %q", d.Reasons, tc.reason)
			}
		})
	}
	if d := c.Classify(&transcribe.Transcript{Segments: good}); d.Label != Clinical {
		t.Errorf("the same transcript with good quality: %s, want clinical (%q)", d.Label, d.Reasons)
	}
}

func TestQualityMeasures(t *testing.T) {
	c := defaultClassifier(t)
	s := segs("I can't make my appointment.", "Please ring me back on my mobile.", "Yes.")
	s[0].AvgLogProb, s[1].AvgLogProb, s[2].AvgLogProb = -0.2, -0.5, -1.5
	s[1].NoSpeechProb = 0.3
	q := c.Classify(&transcribe.Transcript{Segments: s}).Quality
	// "can't" is one word though it reads as "can not".
	want := Quality{Segments: 3, Words: 13, SpeechSeconds: 12, MaxNoSpeechProb: 0.3, DoubtfulWords: 1, DoubtfulShare: 1.0 / 13}
	want.AvgLogProb = (5*-0.2 + 7*-0.5 + 1*-1.5) / 13
	if q.Segments != want.Segments || q.Words != want.Words || q.SpeechSeconds != want.SpeechSeconds ||
		q.MaxNoSpeechProb != want.MaxNoSpeechProb || fmt.Sprintf("%.6f", q.AvgLogProb) != fmt.Sprintf("%.6f", want.AvgLogProb) ||
		q.DoubtfulWords != want.DoubtfulWords || q.DoubtfulShare != want.DoubtfulShare {
		t.Errorf("quality %+v, want %+v", q, want)
	}
	if q.RepetitionRatio != 0 || q.LongestRepeatWords != 0 {
		t.Errorf("repetition ratio %v, longest repeat %d words, for text without repeats", q.RepetitionRatio, q.LongestRepeatWords)
	}
}

func TestClassifyTextUnknownQualityIsNotUncertain(t *testing.T) {
	c := defaultClassifier(t)
	d := c.ClassifyText("Hi, can I change the address on my appointment letters please?")
	if d.Label != Administrative {
		t.Errorf("labelled %s, want administrative; reasons %q", d.Label, d.Reasons)
	}
	if d.Quality.Segments != 1 || d.Quality.AvgLogProb != 0 || d.Quality.MaxNoSpeechProb != 0 {
		t.Errorf("quality %+v: plain text should be one segment with no confidence figures", d.Quality)
	}
}

func TestClassifierIsSafeForConcurrentUse(t *testing.T) {
	c := defaultClassifier(t)
	tr := &transcribe.Transcript{Segments: segs(
		"I'm ringing about my son, he's on clozapine and missed his bloods.",
		"The pain clinic car park was full, so we missed the appointment.",
	)}
	want := c.Classify(tr)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got := c.Classify(tr); !reflect.DeepEqual(got, want) {
					errs <- fmt.Sprintf("concurrent result %+v differs from %+v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// "Confusing" describes a thing, "confused" a person (rules 2026.4): the
// first is no clinical evidence, the second is (TestContextDoesNotSuppressLiteralUse).
func TestConfusingIsNotConfused(t *testing.T) {
	c := defaultClassifier(t)
	d := c.ClassifyText("Three letters about one appointment is confusing. Which date is right?")
	for _, h := range d.Hits {
		if h.Class == Clinical {
			t.Errorf("clinical hit %+v on a confusing letter", h)
		}
	}
}
