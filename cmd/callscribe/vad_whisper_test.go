//go:build whisper

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/models"
	"github.com/callscribe/callscribe/transcribe"
)

// transcribe -vad silero skips the silence around jfk.wav and keeps the
// recording's own clock: the first segment starts after the 3 s of
// silence, where without VAD Whisper stretches it back to 0 (the control).
func TestTranscribeWithVADKeepsRecordingTime(t *testing.T) {
	model := testenv.Model(t)
	cache, err := models.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cache, models.SileroVAD().FileName())); err != nil {
		testenv.Missing(t, "VAD model missing (scripts/testmodel.sh runs models fetch-vad): %v", err)
	}
	f, err := os.Open(testenv.Shared(t, "speech/jfk/jfk.wav"))
	if err != nil {
		t.Fatal(err)
	}
	jfk, err := transcribe.Decode(f, transcribe.DecodeOptions{})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	gap := make([]float32, 3*transcribe.SampleRate)
	padded := filepath.Join(t.TempDir(), "padded.wav")
	if err := transcribe.WriteWAV16(padded, append(append(append([]float32{}, gap...), jfk.Samples...), gap...)); err != nil {
		t.Fatal(err)
	}
	first := func(vad string) (float64, string) {
		code, stdout, stderr := runCLI(t, "transcribe", "-model", model, "-threads", "2", "-vad", vad, padded)
		if code != 0 {
			t.Fatalf("transcribe -vad %q: exit %d: %s", vad, code, stderr)
		}
		var out struct{ Transcript transcribe.Transcript }
		if err := json.Unmarshal([]byte(stdout), &out); err != nil || len(out.Transcript.Segments) == 0 {
			t.Fatalf("transcribe -vad %q: %v, %d segments", vad, err, len(out.Transcript.Segments))
		}
		var text strings.Builder
		for _, s := range out.Transcript.Segments {
			text.WriteString(s.Text + " ")
		}
		return out.Transcript.Segments[0].Start.Seconds(), strings.ToLower(text.String())
	}
	start, text := first("silero")
	if start < 2.9 || start > 4.0 || !strings.Contains(text, "ask not what your country") {
		t.Errorf("with VAD: first segment at %.2f s (want 3-4 s), text %q", start, text)
	}
	if start, _ := first(""); start > 1.0 {
		t.Errorf("control without VAD: first segment at %.2f s; Whisper was expected to start it near 0", start)
	}
	if code, _, stderr := runCLI(t, "transcribe", "-model", model, "-vad", filepath.Join(t.TempDir(), "none.bin"), padded); code == 0 || !strings.Contains(stderr, "fetch-vad") {
		t.Errorf("a missing VAD model: exit %d, %s", code, stderr)
	}
}
