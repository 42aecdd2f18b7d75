package transcribe

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"
)

// Decode speed, as seconds of audio decoded and resampled per second of one
// core ("x_realtime"). The goal is ≥ 2000× for 8 kHz 16-bit mono calls.

func BenchmarkDecode8k(b *testing.B) {
	benchDecode(b, encodePCM(b, loadPCM16(b, filepath.Join(sharedDir, "calls", "dev", "call-0001.wav")), 16))
}

func BenchmarkDecode8kMuLaw(b *testing.B) {
	p := loadPCM16(b, filepath.Join(sharedDir, "calls", "dev", "call-0001.wav"))
	benchDecode(b, wavFile(fmtChunk{tag: tagMuLaw, channels: 1, rate: p.rate, bits: 8}, encodeG711(p, muLawToLinear)))
}

func BenchmarkDecode16k(b *testing.B) {
	benchDecode(b, encodePCM(b, loadPCM16(b, filepath.Join(sharedDir, "speech", "jfk", "jfk.wav")), 16))
}

func BenchmarkDecode22k(b *testing.B) {
	benchDecode(b, encodePCM(b, loadPCM16(b, filepath.Join(sharedDir, "speech", "ljspeech", "LJ001-0001.wav")), 16))
}

// BenchmarkDecode48kStereo uses the real two-speaker recording raised from
// 16 to 48 kHz, there being no 48 kHz stereo call in ../shared.
func BenchmarkDecode48kStereo(b *testing.B) {
	p := loadPCM16(b, filepath.Join(sharedDir, "speech", "stereo", "stereo_diarization.wav"))
	benchDecode(b, encodePCM(b, upsample(p, 48000), 16))
}

func benchDecode(b *testing.B, wav []byte) {
	a, err := Decode(bytes.NewReader(wav), DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	secs := a.Duration().Seconds()
	b.SetBytes(int64(len(wav)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(wav), DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(secs*float64(b.N)/b.Elapsed().Seconds(), "x_realtime")
}

// upsample raises p to rate with the package's own filter design, for
// building test input at rates ../shared has no recordings at.
func upsample(p pcm, rate int) pcm {
	poly := designPolyphase(p.rate, rate)
	out := pcm{rate: rate, channels: p.channels}
	var chans [][]float32
	for c := range p.channels {
		in := make([]float32, p.frames())
		for i := range in {
			in[i] = float32(p.data[i*p.channels+c]) / 32768
		}
		r := newResampler(poly, int64(len(in)))
		chans = append(chans, r.flush(r.write(nil, in)))
	}
	out.data = make([]int, len(chans[0])*p.channels)
	for i := range chans[0] {
		for c := range chans {
			v := math.Round(float64(chans[c][i]) * 32768)
			out.data[i*p.channels+c] = int(max(-32768, min(32767, v)))
		}
	}
	return out
}
