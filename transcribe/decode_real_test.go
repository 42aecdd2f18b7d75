package transcribe

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// realRecordings lists every WAV in ../shared: 150 speech clips and 50 calls.
func realRecordings(t testing.TB) []string {
	t.Helper()
	speech, _ := filepath.Glob(filepath.Join(sharedDir, "speech", "*", "*.wav"))
	calls, _ := filepath.Glob(filepath.Join(sharedDir, "calls", "dev", "*.wav"))
	if len(speech) != 150 || len(calls) != 50 {
		t.Fatalf("found %d speech and %d call WAVs under %s, want 150 and 50", len(speech), len(calls), sharedDir)
	}
	return append(speech, calls...)
}

// TestDecodeRealRecordings decodes every shared recording from its file and
// checks it against go-audio/wav's reading of the same file: identical
// samples where no resampling is needed, the source samples themselves on
// the even outputs of the 8 kHz half-band path, and the same level
// everywhere else.
func TestDecodeRealRecordings(t *testing.T) {
	rates := map[int]int{}
	for _, path := range realRecordings(t) {
		ref := loadPCM16(t, path)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Decode(f, DecodeOptions{})
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		rates[ref.rate]++
		if act := a.SpeechActivity(QuietDBFS); act < 0.3 {
			t.Errorf("%s: only %.0f%% of frames at or above QuietDBFS", path, 100*act)
		}
		if a.SourceRate != ref.rate || a.SourceChannels != ref.channels || a.SourceFormat != "pcm16" {
			t.Errorf("%s: source %d Hz × %d %s, want %d Hz × %d pcm16", path, a.SourceRate, a.SourceChannels, a.SourceFormat, ref.rate, ref.channels)
		}
		wantLen := (ref.frames()*SampleRate + ref.rate - 1) / ref.rate
		if len(a.Samples) != wantLen {
			t.Errorf("%s: %d samples, want %d", path, len(a.Samples), wantLen)
			continue
		}
		chans := [][]float32{a.Samples}
		if ref.channels == 2 {
			if len(a.Channels) != 2 {
				t.Fatalf("%s: %d channels kept, want 2", path, len(a.Channels))
			}
			chans = a.Channels
			for i, v := range a.Samples {
				if v != (a.Channels[0][i]+a.Channels[1][i])*0.5 {
					t.Fatalf("%s: mono sample %d is %v, not the mean of %v and %v", path, i, v, a.Channels[0][i], a.Channels[1][i])
				}
			}
		} else if a.Channels != nil {
			t.Errorf("%s: mono recording has %d Channels, want none", path, len(a.Channels))
		}
		for c, got := range chans {
			src := make([]float32, ref.frames())
			for i := range src {
				src[i] = float32(ref.data[i*ref.channels+c]) / 32768
			}
			switch ref.rate {
			case SampleRate:
				for i := range src {
					if got[i] != src[i] {
						t.Fatalf("%s ch %d: sample %d is %v, want %v", path, c, i, got[i], src[i])
					}
				}
			case 8000:
				for i := range src {
					if got[2*i] != src[i] {
						t.Fatalf("%s: output %d is %v, want source sample %d = %v", path, 2*i, got[2*i], i, src[i])
					}
				}
			default:
				// Below the 6.8 kHz passband edge the spectrum must be
				// unchanged; above it, LJSpeech's fricatives are removed.
				if d := bandLevelChange(src, ref.rate, got); math.Abs(d) > 0.01 {
					t.Errorf("%s: spectrum below 6 kHz changed by %+.3f dB", path, d)
				}
			}
		}
	}
	t.Logf("decoded recordings by source rate: %v", rates)
}

// TestDecodeStreamingMatchesFile decodes a call through a reader that is
// neither a seeker nor sized and hands back a few bytes at a time, as a pipe
// might, and checks the result is the same as from the file.
func TestDecodeStreamingMatchesFile(t *testing.T) {
	path := filepath.Join(sharedDir, "calls", "dev", "call-0001.wav")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := Decode(bytes.NewReader(data), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stream := iotest.HalfReader(io.MultiReader(bytes.NewReader(data[:1000]), bytes.NewReader(data[1000:])))
	fromStream, err := Decode(stream, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fromFile.Samples) != len(fromStream.Samples) {
		t.Fatalf("stream gave %d samples, file %d", len(fromStream.Samples), len(fromFile.Samples))
	}
	for i := range fromFile.Samples {
		if fromFile.Samples[i] != fromStream.Samples[i] {
			t.Fatalf("sample %d: stream %v, file %v", i, fromStream.Samples[i], fromFile.Samples[i])
		}
	}
}

// bandLevelChange compares the spectra of in (at rate) and out (at 16 kHz)
// at 100 Hz intervals from 100 Hz to 6 kHz, as the ratio of their summed
// power in dB. The DTFT of a sampled signal divided by its sample rate
// approximates the continuous spectrum, so the two are directly comparable.
func bandLevelChange(in []float32, rate int, out []float32) float64 {
	var pIn, pOut float64
	for f := 100.0; f <= 6000; f += 100 {
		pIn += dtftPower(in, f/float64(rate)) / float64(rate*rate)
		pOut += dtftPower(out, f/SampleRate) / (SampleRate * SampleRate)
	}
	return 10 * math.Log10(pOut/pIn)
}

// dtftPower is |X(f)|² at f cycles per sample, by the Goertzel recurrence.
func dtftPower(x []float32, f float64) float64 {
	c := 2 * math.Cos(2*math.Pi*f)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	return s1*s1 + s2*s2 - c*s1*s2
}
