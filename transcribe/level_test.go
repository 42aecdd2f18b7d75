package transcribe

import (
	"math"
	"path/filepath"
	"testing"
)

func TestRMSdBFS(t *testing.T) {
	square := make([]float32, SampleRate)
	for i := range square {
		square[i] = 1
		if i%2 == 1 {
			square[i] = -1
		}
	}
	for _, c := range []struct {
		name    string
		samples []float32
		want    float64
	}{
		{"full-scale square", square, 0},
		{"full-scale sine", sine(SampleRate, 1000, 1, SampleRate), -3.0103},
		{"sine at 0.1", sine(SampleRate, 1000, 0.1, SampleRate), -23.0103},
	} {
		if got := (&Audio{Samples: c.samples}).RMSdBFS(); math.Abs(got-c.want) > 0.001 {
			t.Errorf("%s: %.4f dBFS, want %.4f", c.name, got, c.want)
		}
	}
	for _, s := range [][]float32{nil, make([]float32, 1000)} {
		if got := (&Audio{Samples: s}).RMSdBFS(); !math.IsInf(got, -1) {
			t.Errorf("%d samples of silence: %v dBFS, want -Inf", len(s), got)
		}
	}
}

// TestSpeechActivity uses a real call: appending as much digital silence as
// there is call must halve the active fraction, frame for frame.
func TestSpeechActivity(t *testing.T) {
	p := loadPCM16(t, filepath.Join(sharedDir, "calls", "dev", "call-0003.wav"))
	call := decodeBytes(t, encodePCM(t, p, 16))
	n := len(call.Samples) / SpeechFrame * SpeechFrame
	speech := &Audio{Samples: call.Samples[:n]}
	act := speech.SpeechActivity(QuietDBFS)
	if act < 0.3 || act > 1 {
		t.Fatalf("call activity %.2f, want a real call's 0.3–1", act)
	}
	padded := &Audio{Samples: append(append([]float32(nil), speech.Samples...), make([]float32, n)...)}
	if got := padded.SpeechActivity(QuietDBFS); got != act/2 {
		t.Errorf("with equal silence appended: %.4f, want %.4f", got, act/2)
	}
	silence := &Audio{Samples: make([]float32, 10*SampleRate)}
	if got := silence.SpeechActivity(-120); got != 0 {
		t.Errorf("digital silence: activity %.2f, want 0", got)
	}
	if got := (&Audio{}).SpeechActivity(QuietDBFS); got != 0 {
		t.Errorf("no samples: activity %.2f, want 0", got)
	}
	// Shorter than one frame: judged as a whole.
	blip := &Audio{Samples: sine(SampleRate, 440, 0.5, SpeechFrame/2)}
	if got := blip.SpeechActivity(QuietDBFS); got != 1 {
		t.Errorf("15 ms tone: activity %.2f, want 1", got)
	}
}
