package transcribe

import (
	"fmt"
	"math"
	"testing"
)

// The rates call recorders and sound tools write, plus two (8001, 44099 Hz)
// whose ratio to 16 kHz is too fine for an exact polyphase bank and so take
// the interpolated-coefficient path.
var testRates = []int{8000, 8001, 11025, 12000, 16000, 22050, 24000, 32000, 44099, 44100, 48000}

// resampleAll runs the streaming resampler over in, block samples at a time.
func resampleAll(in []float32, rate, block int) []float32 {
	r := newResampler(designPolyphase(rate, SampleRate), int64(len(in)))
	var out []float32
	for i := 0; i < len(in); i += block {
		out = r.write(out, in[i:min(i+block, len(in))])
	}
	return r.flush(out)
}

func sine(rate int, freq, amp float64, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return s
}

func rms(s []float32) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

func dB(ratio float64) float64 { return 20 * math.Log10(ratio) }

// middle drops the first and last 50 ms, where the signal starts and stops
// against the zeros outside it.
func middle(s []float32) []float32 { return s[800 : len(s)-800] }

// TestResampleSine resamples a sine at each rate and compares the output
// with the same sine sampled directly at 16 kHz. The difference holds every
// flaw at once: passband gain error, phase/delay error, images, aliasing.
func TestResampleSine(t *testing.T) {
	for _, rate := range testRates {
		lowNyq := float64(min(rate, SampleRate)) / 2
		for _, freq := range []float64{1000, 0.8 * lowNyq} {
			t.Run(fmt.Sprintf("%dHz/%.0fHz", rate, freq), func(t *testing.T) {
				const amp = 0.5
				in := sine(rate, freq, amp, rate) // one second
				out := resampleAll(in, rate, 1000)
				if len(out) != SampleRate {
					t.Fatalf("got %d samples from 1 s, want %d", len(out), SampleRate)
				}
				want := sine(SampleRate, freq, amp, SampleRate)
				diff := make([]float32, len(out))
				for i := range out {
					diff[i] = out[i] - want[i]
				}
				gain := dB(rms(middle(out)) / rms(middle(want)))
				errDB := dB(rms(middle(diff)) / rms(middle(want)))
				t.Logf("gain %+.5f dB, error %.1f dB", gain, errDB)
				if math.Abs(gain) > 0.01 {
					t.Errorf("gain %+.4f dB at %.0f Hz, want within ±0.01 dB", gain, freq)
				}
				if errDB > -80 {
					t.Errorf("error against the ideal 16 kHz sine is %.1f dB, want ≤ −80 dB", errDB)
				}
			})
		}
	}
}

// TestResampleStopband feeds tones the 16 kHz output cannot carry (just
// above its 8 kHz Nyquist, 10 kHz, and near the input's Nyquist); they must
// be removed to the design's 80 dB rather than fold back into the band.
func TestResampleStopband(t *testing.T) {
	for _, rate := range testRates {
		if rate <= SampleRate {
			continue
		}
		for _, freq := range []float64{8200, 10000, 0.95 * float64(rate) / 2} {
			t.Run(fmt.Sprintf("%dHz/%.0fHz", rate, freq), func(t *testing.T) {
				in := sine(rate, freq, 0.5, rate)
				out := resampleAll(in, rate, 4096)
				att := dB(rms(middle(out)) / rms(in))
				t.Logf("attenuation %.1f dB", att)
				if att > -stopbandDB {
					t.Errorf("a %.0f Hz tone comes through at %.1f dB, want ≤ −%.0f dB", freq, att, stopbandDB)
				}
			})
		}
	}
}

// TestResampleBlockSizes checks that streaming in any block size gives the
// same output as one call, i.e. that the history between blocks is right.
func TestResampleBlockSizes(t *testing.T) {
	for _, rate := range []int{8000, 22050, 44099, 48000} {
		in := sine(rate, 440, 0.3, rate/2)
		whole := resampleAll(in, rate, len(in))
		for _, block := range []int{1, 7, 160, 4096} {
			got := resampleAll(in, rate, block)
			if len(got) != len(whole) {
				t.Fatalf("%d Hz, block %d: %d samples, want %d", rate, block, len(got), len(whole))
			}
			for i := range got {
				if got[i] != whole[i] {
					t.Fatalf("%d Hz, block %d: sample %d is %v, want %v", rate, block, i, got[i], whole[i])
				}
			}
		}
	}
}

// TestResampleLength checks the output covers the input's duration:
// ceil(n·16000/rate) samples.
func TestResampleLength(t *testing.T) {
	for _, rate := range testRates {
		for _, n := range []int{1, 2, 3, 441, 1000, 12345} {
			want := (n*SampleRate + rate - 1) / rate
			if got := len(resampleAll(make([]float32, n), rate, 100)); got != want {
				t.Errorf("%d samples at %d Hz gave %d, want %d", n, rate, got, want)
			}
		}
	}
}

// TestResampleDC checks every phase has unit gain at DC.
func TestResampleDC(t *testing.T) {
	for _, rate := range testRates {
		in := make([]float32, rate)
		for i := range in {
			in[i] = 0.25
		}
		for i, v := range middle(resampleAll(in, rate, 4096)) {
			if math.Abs(float64(v)-0.25) > 1e-6 {
				t.Fatalf("%d Hz: sample %d is %v, want 0.25", rate, i+800, v)
			}
		}
	}
}

// TestResampleHalfBand checks the 8 kHz hot path: the 1:2 filter is
// half-band, so every even output is exactly the input sample.
func TestResampleHalfBand(t *testing.T) {
	p := designPolyphase(8000, SampleRate)
	if p.count[0] != 1 || p.coef[p.first[0]] != 1 {
		t.Fatalf("even phase has %d taps (first %v), want a single tap of 1", p.count[0], p.coef[p.first[0]])
	}
	in := sine(8000, 1234, 0.7, 8000)
	out := resampleAll(in, 8000, 4096)
	for i, v := range in {
		if out[2*i] != v {
			t.Fatalf("output %d is %v, want input %d = %v", 2*i, out[2*i], i, v)
		}
	}
}

// TestFilterPeakGain bounds how far the resampler can amplify a sample: by
// at most the sum of a row's tap magnitudes, which must stay below 3 (the
// fuzz test relies on it) for every rate, here sampled across the range.
// The largest, about 2.5, is the 1:2 filter's half-sample phase.
func TestFilterPeakGain(t *testing.T) {
	rates := append([]int{}, testRates...)
	for r := MinSourceRate; r <= MaxSourceRate; r += 997 {
		rates = append(rates, r)
	}
	worst := 0.0
	for _, rate := range rates {
		p := designPolyphase(rate, SampleRate)
		for row := 0; row*p.width < len(p.coef); row++ {
			l1 := 0.0
			for _, c := range p.coef[row*p.width : (row+1)*p.width] {
				l1 += math.Abs(float64(c))
			}
			worst = max(worst, l1)
			if l1 >= 3 {
				t.Errorf("%d Hz row %d: tap magnitudes sum to %.3f", rate, row, l1)
			}
		}
	}
	t.Logf("largest sum of tap magnitudes: %.3f", worst)
}
