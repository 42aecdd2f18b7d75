package process

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/transcribe"
)

// scriptedEngine is a TEST DOUBLE for transcribe.Engine: it does not run
// Whisper. It returns the next of its scripted texts on each call, and
// records the prompts it was given, to test what the processor does with
// a second transcription.
type scriptedEngine struct {
	texts   []string
	prompts []string
}

func (e *scriptedEngine) Transcribe(_ context.Context, a *transcribe.Audio, o transcribe.Options) (*transcribe.Transcript, error) {
	text := e.texts[len(e.prompts)]
	e.prompts = append(e.prompts, o.InitialPrompt)
	return &transcribe.Transcript{Duration: a.Duration(), Segments: []transcribe.Segment{{
		Start: 0, End: a.Duration(), Text: text, AvgLogProb: -0.3,
		Tokens: []transcribe.Token{{Text: text, P: 0.9}},
	}}}, nil
}
func (e *scriptedEngine) Model() string { return "scripted-test-double" }
func (e *scriptedEngine) Close() error  { return nil }

// toneWAV is one second of a 440 Hz tone: loud enough not to count as silence.
func toneWAV(t *testing.T) []byte {
	t.Helper()
	s := make([]float32, transcribe.SampleRate)
	for i := range s {
		s[i] = 0.3 * float32(math.Sin(2*math.Pi*440*float64(i)/transcribe.SampleRate))
	}
	path := filepath.Join(t.TempDir(), "tone.wav")
	if err := transcribe.WriteWAV16(path, s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// confirmPrompt stands for cmd's -confirm-prompt default.
const confirmPrompt = "Single Point of Access, NHS mental health trust."

func TestAdministrativeCallIsTranscribedTwiceBeforeTheLabelStands(t *testing.T) {
	rules, err := classify.Default()
	if err != nil {
		t.Fatal(err)
	}
	const admin = "Hi, I just need to update my address and phone number, and my letters go to my old flat."
	const clinical = "I moved back in with my mum after the overdose in January and my letters go to my old flat."
	// "wandering" is a weak word: alone it makes a call uncertain.
	const weak = "Will anyone be wandering me back about my appointment? The number ending 456, my mobile, and my letters."
	const thin = "Okay, thanks, bye."
	cases := []struct {
		name          string
		first, second string
		want          classify.Label
		wantTxt       string
	}{
		{"second hears clinical evidence", admin, clinical, classify.Clinical, clinical},
		{"second agrees", admin, admin, classify.Administrative, admin},
		{"second is unusable", admin, thin, classify.Administrative, admin},
		{"weak word not heard again", weak, admin, classify.Administrative, admin},
		{"weak word, second unusable", weak, thin, classify.Uncertain, weak},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eng := &scriptedEngine{texts: []string{tc.first, tc.second}}
			p := New(Config{Confirm: &transcribe.Options{InitialPrompt: confirmPrompt}, MaxDuration: time.Minute, SilenceDB: -50},
				eng, func() *classify.Classifier { return rules })
			out, err := p.Run(context.Background(), "c1", bytes.NewReader(toneWAV(t)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(eng.prompts) != 2 || eng.prompts[0] != "" || eng.prompts[1] != confirmPrompt {
				t.Fatalf("prompts %q: want a plain transcription, then one with the greeting", eng.prompts)
			}
			if out.Decision.Label != tc.want || out.Transcript.Segments[0].Text != tc.wantTxt {
				t.Errorf("label %s, text %q; want %s, %q", out.Decision.Label, out.Transcript.Segments[0].Text, tc.want, tc.wantTxt)
			}
			if tc.want == classify.Clinical && !strings.Contains(strings.Join(out.Decision.Reasons, " "), "second one") {
				t.Errorf("reasons %q do not say a second transcription found the evidence", out.Decision.Reasons)
			}
		})
	}

	// A clinical call is not transcribed again.
	eng := &scriptedEngine{texts: []string{clinical}}
	p := New(Config{Confirm: &transcribe.Options{InitialPrompt: confirmPrompt}, MaxDuration: time.Minute, SilenceDB: -50},
		eng, func() *classify.Classifier { return rules })
	if _, err := p.Run(context.Background(), "c2", bytes.NewReader(toneWAV(t)), nil); err != nil {
		t.Fatal(err)
	}
	if len(eng.prompts) != 1 {
		t.Errorf("clinical call transcribed %d times", len(eng.prompts))
	}
}
