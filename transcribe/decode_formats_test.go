package transcribe

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"
)

// TestDecodeFormats re-encodes real speech (16 kHz, 8 kHz and 16 kHz
// stereo) in every accepted storage format, decodes it, and compares the
// result with the decode of the original 16-bit file. Formats that can hold
// 16-bit samples exactly must decode identically; 8-bit and G.711 must be
// within their quantisation.
func TestDecodeFormats(t *testing.T) {
	for _, dir := range []string{"vctk", "osr8k", "stereo"} {
		matches, _ := filepath.Glob(filepath.Join(sharedDir, "speech", dir, "*.wav"))
		if len(matches) == 0 {
			t.Fatalf("no recording in %s/speech/%s", sharedDir, dir)
		}
		path := matches[0]
		p := loadPCM16(t, path)
		want := decodeBytes(t, encodePCM(t, p, 16))
		pcm := func(bits int) fmtChunk {
			return fmtChunk{tag: tagPCM, channels: p.channels, rate: p.rate, bits: bits}
		}
		ext := func(sub uint16, bits, valid int) fmtChunk {
			return fmtChunk{ext: true, subTag: sub, channels: p.channels, rate: p.rate, bits: bits, validBits: valid}
		}
		for _, c := range []struct {
			name, format string
			wav          []byte
			// check compares a decoded sample with the 16-bit decode
			check func(got, want float32) bool
			// minSNR is the least signal-to-error ratio over the file
			minSNR float64
		}{
			{"pcm24", "pcm24", encodePCM(t, p, 24), exact, math.Inf(1)},
			{"pcm32", "pcm32", encodePCM(t, p, 32), exact, math.Inf(1)},
			{"float32", "float32", wavFile(fmtChunk{tag: tagFloat, channels: p.channels, rate: p.rate, bits: 32}, encodeFloat32(p)), exact, math.Inf(1)},
			{"float64", "float64", wavFile(fmtChunk{tag: tagFloat, channels: p.channels, rate: p.rate, bits: 64}, encodeFloat64(p)), exact, math.Inf(1)},
			{"extensible pcm16", "pcm16", wavFile(ext(tagPCM, 16, 16), encodeInt(p, 2)), exact, math.Inf(1)},
			{"extensible 24 in 32", "pcm24", wavFile(ext(tagPCM, 32, 24), encodeInt(p, 4)), exact, math.Inf(1)},
			{"extensible float32", "float32", wavFile(ext(tagFloat, 32, 32), encodeFloat32(p)), exact, math.Inf(1)},
			{"hand-written pcm24", "pcm24", wavFile(pcm(24), encodeInt(p, 3)), exact, math.Inf(1)},
			// 8-bit: half a 1/128 step of rounding, spread by the resampler.
			{"pcm8", "pcm8", encodePCM(t, p, 8), within(1.0 / 128), 20},
			// G.711: half a step, a segment's step being 1/16 of its lower
			// bound, so about 3.5% of the sample plus the finest half-step.
			{"mulaw", "mulaw", wavFile(fmtChunk{tag: tagMuLaw, channels: p.channels, rate: p.rate, bits: 8}, encodeG711(p, muLawToLinear)), companded, 34},
			{"alaw", "alaw", wavFile(fmtChunk{tag: tagALaw, channels: p.channels, rate: p.rate, bits: 8}, encodeG711(p, aLawToLinear)), companded, 34},
			{"extensible mulaw", "mulaw", wavFile(ext(tagMuLaw, 8, 8), encodeG711(p, muLawToLinear)), companded, 34},
		} {
			t.Run(filepath.Base(path)+"/"+c.name, func(t *testing.T) {
				got := decodeBytes(t, c.wav)
				if got.SourceFormat != c.format || got.SourceRate != p.rate || got.SourceChannels != p.channels {
					t.Errorf("source %s %d Hz × %d, want %s %d Hz × %d", got.SourceFormat, got.SourceRate, got.SourceChannels, c.format, p.rate, p.channels)
				}
				if len(got.Samples) != len(want.Samples) || len(got.Channels) != len(want.Channels) {
					t.Fatalf("%d samples × %d channels, want %d × %d", len(got.Samples), len(got.Channels), len(want.Samples), len(want.Channels))
				}
				// Rate conversion can move a quantisation error by a
				// few percent, so the per-sample check applies in full
				// only at 16 kHz; at other rates the SNR bound does the work.
				// Stereo is checked per channel: the mean of two
				// channels' errors is not bounded by the mean's size.
				perSample := p.rate == SampleRate
				gotCh, wantCh := [][]float32{got.Samples}, [][]float32{want.Samples}
				if p.channels == 2 {
					gotCh, wantCh = got.Channels, want.Channels
				}
				var sig, noise float64
				for ch := range wantCh {
					for i, w := range wantCh[ch] {
						g := gotCh[ch][i]
						if perSample && !c.check(g, w) {
							t.Fatalf("channel %d sample %d decodes as %v, want %v", ch, i, g, w)
						}
						sig += float64(w) * float64(w)
						noise += float64(g-w) * float64(g-w)
					}
				}
				snr := 10 * math.Log10(sig/noise)
				t.Logf("SNR %.1f dB", snr)
				if snr < c.minSNR {
					t.Errorf("SNR %.1f dB against the 16-bit original, want ≥ %.0f dB", snr, c.minSNR)
				}
			})
		}
	}
}

func decodeBytes(t *testing.T, b []byte) *Audio {
	t.Helper()
	a, err := Decode(bytes.NewReader(b), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func exact(got, want float32) bool { return got == want }

func within(tol float32) func(got, want float32) bool {
	return func(got, want float32) bool { return got-want <= tol && want-got <= tol }
}

func companded(got, want float32) bool {
	tol := 0.035*math.Abs(float64(want)) + 8.0/32768
	return math.Abs(float64(got-want)) <= tol
}
