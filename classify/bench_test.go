package classify

import (
	"os"
	"path/filepath"
	"strings"
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

// textBytes is the size of a transcript's text, the unit of throughput:
// MB/s in these benchmarks is megabytes of transcript text per second on
// one core.
func textBytes(t *transcribe.Transcript) int64 {
	n := 0
	for _, s := range t.Segments {
		n += len(s.Text)
	}
	return int64(n)
}

// BenchmarkClassify classifies a typical one-minute call (about 1 KB of
// text in 14 segments) with the full default rules.
func BenchmarkClassify(b *testing.B) {
	c := defaultClassifier(b)
	tr := typicalCall()
	b.SetBytes(textBytes(tr))
	b.ReportAllocs()
	for b.Loop() {
		c.Classify(tr)
	}
}

// BenchmarkClassifyDevCalls classifies the reference transcripts of all the
// labelled dev calls (about 50 KB), each split into its turns as segments.
func BenchmarkClassifyDevCalls(b *testing.B) {
	c := defaultClassifier(b)
	var trs []*transcribe.Transcript
	var n int64
	names, _ := filepath.Glob(filepath.Join(devCallsDir, "call-*.txt"))
	if len(names) == 0 {
		b.Skipf("no dev calls at %s", devCallsDir)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		tr := &transcribe.Transcript{}
		for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			tr.Segments = append(tr.Segments, transcribe.Segment{Index: i, Text: line, AvgLogProb: -0.3,
				Start: time.Duration(i) * 4 * time.Second, End: time.Duration(i+1) * 4 * time.Second})
		}
		trs = append(trs, tr)
		n += textBytes(tr)
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, tr := range trs {
			c.Classify(tr)
		}
	}
}

// BenchmarkClassifyParallel shows that classifiers scale across cores
// (each call takes its own pooled working memory).
func BenchmarkClassifyParallel(b *testing.B) {
	c := defaultClassifier(b)
	tr := typicalCall()
	b.SetBytes(textBytes(tr))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Classify(tr)
		}
	})
}

// BenchmarkDefault compiles the embedded rules: parse the YAML, build the
// vocabulary and the automata. This is the cost of a start or a reload.
func BenchmarkDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}
