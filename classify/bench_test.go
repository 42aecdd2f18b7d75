package classify

import (
	"testing"
	"time"

	"github.com/callscribe/callscribe/transcribe"
)

// typicalCall is about 60 seconds of an SPA call as Whisper segments it:
// 14 segments, about 190 words, mostly administrative with clinical remarks.
func typicalCall() *transcribe.Transcript {
	lines := []struct{ speaker, text string }{
		{"handler", " Good morning, Single Point of Access, this call may be recorded. You're speaking to Sam."},
		{"caller", " Hi, I'm calling about my brother's appointment next Thursday at the Beeches."},
		{"handler", " Okay, can I take his name and date of birth, please?"},
		{"caller", " It's Peter Grant, the third of June, nineteen eighty-two."},
		{"handler", " Thank you. I can see the appointment at ten thirty. How can I help?"},
		{"caller", " He can't get there on the bus any more, and I work till twelve, so could it be later?"},
		{"handler", " I can offer two fifteen the same day, in room four on the ground floor."},
		{"caller", " That's better. He's been a bit low since they changed his tablets, and he's not sleeping much."},
		{"handler", " I'm sorry to hear that. Is he still taking the new medication as prescribed?"},
		{"caller", " Yes, the mirtazapine, fifteen milligrams at night. He says it makes him drowsy in the morning."},
		{"handler", " I'll put a note on for the doctor to review that with him on Thursday. Has he had any thoughts of harming himself?"},
		{"caller", " No, nothing like that, he's just tired and fed up with it all."},
		{"handler", " Okay. I'll send a new letter to his address, and a text reminder the day before."},
		{"caller", " Lovely, thanks very much. Bye."},
	}
	t := &transcribe.Transcript{Duration: 60 * time.Second}
	step := 60 * time.Second / time.Duration(len(lines))
	for i, l := range lines {
		t.Segments = append(t.Segments, transcribe.Segment{
			Index: i, Start: time.Duration(i) * step, End: time.Duration(i+1) * step,
			Text: l.text, Speaker: l.speaker, AvgLogProb: -0.25, NoSpeechProb: 0.01,
		})
	}
	return t
}

func TestTypicalCallIsClinical(t *testing.T) {
	d := defaultClassifier(t).Classify(typicalCall())
	if d.Label != Clinical {
		t.Errorf("labelled %s, want clinical: %q", d.Label, d.Reasons)
	}
}

func BenchmarkClassify(b *testing.B) {
	c := defaultClassifier(b)
	tr := typicalCall()
	b.ReportAllocs()
	for b.Loop() {
		c.Classify(tr)
	}
}

func BenchmarkDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}
