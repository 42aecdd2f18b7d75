//go:build whisper

package models_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/models"
	"github.com/callscribe/callscribe/transcribe"
)

// whisper.cpp's own VAD tool loads the converted Silero model and finds the
// speech in jfk.wav placed between two seconds of silence on each side
// (where the speech lies: jfk.wav talks from about 0.3 s to 10.6 s of its
// 11 s), and finds none in fifteen seconds of silence.
func TestVADSegmentsWithWhisperCpp(t *testing.T) {
	tool := testenv.Tool(t, "whisper-vad-speech-segments")
	model := vadModel(t)
	f, err := os.Open(testenv.Shared(t, "speech/jfk/jfk.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	jfk, err := transcribe.Decode(f, transcribe.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gap := make([]float32, 2*transcribe.SampleRate)
	speech := append(append(append([]float32{}, gap...), jfk.Samples...), gap...)
	dur := float64(len(speech)) / transcribe.SampleRate

	segs := vadSegments(t, tool, model, "speech.wav", speech)
	t.Logf("%.2f s of audio: speech segments (s) %v", dur, segs)
	if len(segs) == 0 {
		t.Fatal("no speech found in jfk.wav")
	}
	first, last := segs[0][0], segs[len(segs)-1][1]
	if first < 2.0-0.1 || first > 2.0+0.6 {
		t.Errorf("speech starts at %.2f s, want just after the 2 s of silence", first)
	}
	if last < dur-2-1.0 || last > dur-2+0.1 {
		t.Errorf("speech ends at %.2f s, want just before the closing silence at %.2f s", last, dur-2)
	}

	silent := vadSegments(t, tool, model, "silence.wav", make([]float32, 15*transcribe.SampleRate))
	if len(silent) != 0 {
		t.Errorf("speech found in silence: %v", silent)
	}
}

// vadModel is the converted model in the model cache, verified against its
// recorded checksum (scripts/testmodel.sh fetches it).
func vadModel(t *testing.T) string {
	t.Helper()
	src := models.SileroVAD()
	cache, err := models.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(cache, src.FileName())
	if _, err := os.Stat(p); err != nil {
		msg := "VAD model missing (run scripts/testmodel.sh or `callscribe models fetch-vad`): %v"
		if os.Getenv("CI") != "" {
			t.Fatalf(msg, err)
		}
		t.Skipf(msg, err)
	}
	if err := models.VerifyVAD(src, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// vadSegments writes samples as a WAV file, runs the tool on it and returns
// the speech segments it reports, in seconds.
func vadSegments(t *testing.T, tool, model, name string, samples []float32) [][2]float64 {
	t.Helper()
	wav := filepath.Join(t.TempDir(), name)
	if err := transcribe.WriteWAV16(wav, samples); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-t", "1", "-vm", model, "-f", wav).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	// "Detected N speech segments:" then one line per segment, in
	// centiseconds.
	m := regexp.MustCompile(`Detected (\d+) speech segments`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s printed no segment count:\n%s", tool, out)
	}
	var segs [][2]float64
	for _, s := range regexp.MustCompile(`Speech segment \d+: start = ([\d.]+), end = ([\d.]+)`).FindAllSubmatch(out, -1) {
		a, _ := strconv.ParseFloat(string(s[1]), 64)
		b, _ := strconv.ParseFloat(string(s[2]), 64)
		segs = append(segs, [2]float64{a / 100, b / 100})
	}
	if n, _ := strconv.Atoi(string(m[1])); n != len(segs) {
		t.Fatalf("%s reported %d segments but listed %d:\n%s", tool, n, len(segs), out)
	}
	return segs
}
