package process

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/transcribe"
)

// spanEngine is a TEST DOUBLE for transcribe.Engine: it does not run
// Whisper. It returns one segment for each stretch of sound in the audio it
// is given (30 ms frames above −30 dBFS, split at 150 ms of quiet: enough
// for tones), and records how much audio it was given, so a test can see where
// the processor put each segment and what it skipped.
type spanEngine struct {
	calls []time.Duration
}

func (e *spanEngine) Transcribe(_ context.Context, a *transcribe.Audio, _ transcribe.Options) (*transcribe.Transcript, error) {
	e.calls = append(e.calls, a.Duration())
	tr := &transcribe.Transcript{Duration: a.Duration(), Model: e.Model()}
	const frame = transcribe.SpeechFrame
	start, quiet := -1, 0
	at := func(i int) time.Duration { return time.Duration(i) * time.Second / transcribe.SampleRate }
	for i := 0; i+frame <= len(a.Samples); i += frame {
		loud := (&transcribe.Audio{Samples: a.Samples[i : i+frame]}).RMSdBFS() >= -30
		switch {
		case loud && start < 0:
			start, quiet = i, 0
		case loud:
			quiet = 0
		case start >= 0:
			if quiet++; quiet == 5 {
				tr.Segments = append(tr.Segments, transcribe.Segment{Start: at(start), End: at(i - 4*frame), Text: "words", AvgLogProb: -0.2})
				start = -1
			}
		}
	}
	if start >= 0 {
		tr.Segments = append(tr.Segments, transcribe.Segment{Start: at(start), End: at(len(a.Samples)), Text: "words", AvgLogProb: -0.2})
	}
	return tr, nil
}
func (e *spanEngine) Model() string { return "span-test-double" }
func (e *spanEngine) Close() error  { return nil }

func newTestProcessor(eng transcribe.Engine) *Processor {
	rules, _ := classify.Default()
	return New(Config{MaxDuration: time.Minute, SilenceDB: -50}, eng, func() *classify.Classifier { return rules })
}

func runFile(t *testing.T, p *Processor, path string, speakers []string) *Outcome {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := p.Run(context.Background(), "test-call", f, speakers)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// near: within the padding SpeechSpans adds (300 ms) and a frame.
func near(got, want time.Duration) bool {
	d := got - want
	return d > -400*time.Millisecond && d < 400*time.Millisecond
}

// A two-channel 8 kHz call with the sides taking turns is transcribed
// channel by channel: each segment comes back at its time in the call, with
// its channel's speaker, in time order, and Whisper is not given the
// silences (less audio than the call's two channels hold). The same call as
// a stereo MP3 (decoded by FFmpeg) comes out the same.
func TestTwoChannelCallIsTranscribedChannelByChannel(t *testing.T) {
	dir := t.TempDir()
	// handler 2 s, caller 2 s, handler 1.5 s, 1 s apart.
	wav := stereoCall(t, dir, "turns", []turn{
		{0, tone8k(t, dir, 440, 2)}, {1, tone8k(t, dir, 660, 2)}, {0, tone8k(t, dir, 440, 1.5)},
	}, 1)
	mp3 := filepath.Join(dir, "turns.mp3")
	tool(t, "ffmpeg", "-v", "error", "-i", wav, "-c:a", "libmp3lame", "-b:a", "64k", mp3)
	want := []struct {
		speaker    string
		start, end time.Duration
	}{
		{"handler", 0, 2 * time.Second},
		{"caller", 3 * time.Second, 5 * time.Second},
		{"handler", 6 * time.Second, 7500 * time.Millisecond},
	}
	for _, path := range []string{wav, mp3} {
		eng := &spanEngine{}
		out := runFile(t, newTestProcessor(eng), path, nil)
		segs := out.Transcript.Segments
		if len(segs) != len(want) {
			t.Fatalf("%s: %d segments %+v, want %d", filepath.Base(path), len(segs), segs, len(want))
		}
		for i, w := range want {
			s := segs[i]
			if s.Speaker != w.speaker || !near(s.Start, w.start) || !near(s.End, w.end) || s.Index != i {
				t.Errorf("%s: segment %d: %s %s–%s (index %d), want %s %s–%s", filepath.Base(path), i, s.Speaker, s.Start, s.End, s.Index, w.speaker, w.start, w.end)
			}
		}
		var sent time.Duration
		for _, d := range eng.calls {
			sent += d
		}
		call := out.Audio.Duration()
		t.Logf("%s: call %s per channel, Whisper given %s over %d channels (%.0f%% of the two channels)",
			filepath.Base(path), call.Round(time.Millisecond), sent.Round(time.Millisecond), len(eng.calls), 100*sent.Seconds()/(2*call.Seconds()))
		if len(eng.calls) != 2 || sent >= call*3/2 {
			t.Errorf("%s: Whisper given %v (%s), want two channels with their silences cut (under %s)", filepath.Base(path), eng.calls, sent, call*3/2)
		}
		if len(out.Transcript.SilentChannels) != 0 {
			t.Errorf("silent channels %v, want none", out.Transcript.SilentChannels)
		}
	}

	// The call's metadata names the channels.
	out := runFile(t, newTestProcessor(&spanEngine{}), wav, []string{"agent", "patient"})
	if got := []string{out.Transcript.Segments[0].Speaker, out.Transcript.Segments[1].Speaker}; !slices.Equal(got, []string{"agent", "patient"}) {
		t.Errorf("speakers %v, want the metadata's", got)
	}
}

// A channel with nothing on it is reported, not transcribed.
func TestSilentChannelIsReportedNotTranscribed(t *testing.T) {
	dir := t.TempDir()
	wav := stereoCall(t, dir, "one-sided", []turn{{0, tone8k(t, dir, 440, 2)}, {0, tone8k(t, dir, 440, 2)}}, 0.5)
	eng := &spanEngine{}
	out := runFile(t, newTestProcessor(eng), wav, nil)
	if !slices.Equal(out.Transcript.SilentChannels, []string{"caller"}) || len(eng.calls) != 1 {
		t.Errorf("silent channels %v, %d transcriptions; want [caller] and one", out.Transcript.SilentChannels, len(eng.calls))
	}
	for _, s := range out.Transcript.Segments {
		if s.Speaker != "handler" {
			t.Errorf("segment from %s, who was silent", s.Speaker)
		}
	}
}

// A recording cut short by a recorder crash is transcribed as far as it
// goes, and the transcript says it was truncated.
func TestTruncatedRecordingIsTranscribedAndMarked(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(tone8k(t, dir, 440, 4))
	if err != nil {
		t.Fatal(err)
	}
	cut := b[:44+2*8000*2] // 2 of the 4 seconds
	eng := &spanEngine{}
	out, err := newTestProcessor(eng).Run(context.Background(), "crashed", bytes.NewReader(cut), nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := out.Transcript.Truncated
	if tr == nil || tr.Declared != 4*time.Second || tr.Present != 2*time.Second || len(out.Transcript.Segments) == 0 {
		t.Fatalf("truncation %+v, %d segments; want declared 4s, present 2s, transcribed", tr, len(out.Transcript.Segments))
	}
	// Under a second present: refused, as bad audio.
	if _, err := newTestProcessor(eng).Run(context.Background(), "crashed", bytes.NewReader(b[:44+8000]), nil); err == nil {
		t.Error("0.5 s of a 4 s recording: transcribed, want refused")
	}
}
