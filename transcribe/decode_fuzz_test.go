package transcribe

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var updateFuzzSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzDecode from fuzzSeeds")

// FuzzDecode checks that no input makes Decode panic, that every rejection
// wraps ErrBadAudio (a bytes.Reader never fails, so there is no other kind),
// that accepted audio is well-formed, and that the sized and streaming
// paths agree. Seeds are in testdata/fuzz/FuzzDecode (see fuzzSeeds).
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := Decode(bytes.NewReader(in), DecodeOptions{})
		b, errStream := Decode(streamOnly{bytes.NewReader(in)}, DecodeOptions{})
		if (err == nil) != (errStream == nil) || (err != nil && err.Error() != errStream.Error()) {
			t.Fatalf("sized reader: %v; stream: %v", err, errStream)
		}
		if err != nil {
			if a != nil || !errors.Is(err, ErrBadAudio) {
				t.Fatalf("error %v (audio %v), want nil audio and an error wrapping ErrBadAudio", err, a != nil)
			}
			return
		}
		if len(a.Samples) == 0 || a.SourceRate < MinSourceRate || a.SourceRate > MaxSourceRate {
			t.Fatalf("accepted %d samples from %d Hz", len(a.Samples), a.SourceRate)
		}
		switch {
		case a.SourceChannels == 1 && a.Channels == nil:
		case a.SourceChannels == 2 && len(a.Channels) == 2 &&
			len(a.Channels[0]) == len(a.Samples) && len(a.Channels[1]) == len(a.Samples):
		default:
			t.Fatalf("%d source channels gave %d kept channels", a.SourceChannels, len(a.Channels))
		}
		for _, ch := range append([][]float32{a.Samples}, a.Channels...) {
			for i, v := range ch {
				// No filter row's taps sum in magnitude to 3 (TestFilterPeakGain).
				if !(math.Abs(float64(v)) <= 3*maxFloatSample) {
					t.Fatalf("sample %d is %v", i, v)
				}
			}
		}
		if !slices.Equal(a.Samples, b.Samples) {
			t.Fatalf("sized reader and stream decode differently")
		}
	})
}

// fuzzSeeds are small real WAVs (the start of a real call) in every
// accepted layout, and the commonest corruptions of them.
func fuzzSeeds(t *testing.T) map[string][]byte {
	call := loadPCM16(t, filepath.Join(sharedDir, "calls", "dev", "call-0004.wav"))
	p := pcm{rate: call.rate, channels: 1, data: call.data[4000:4048]} // 6 ms of speech
	st := pcm{rate: 22050, channels: 2, data: call.data[4000:4064]}
	mono := func(tag uint16, bits int) fmtChunk {
		return fmtChunk{tag: tag, channels: 1, rate: p.rate, bits: bits}
	}
	good := wavFile(mono(tagPCM, 16), encodeInt(p, 2))
	truncated := bytes.Clone(good[:len(good)-20])
	return map[string][]byte{
		"pcm16":          good,
		"pcm8":           encodePCM(t, p, 8),
		"pcm24":          wavFile(mono(tagPCM, 24), encodeInt(p, 3)),
		"pcm32":          wavFile(mono(tagPCM, 32), encodeInt(p, 4)),
		"float32":        wavFile(mono(tagFloat, 32), encodeFloat32(p)),
		"float64":        wavFile(mono(tagFloat, 64), encodeFloat64(p)),
		"mulaw":          wavFile(mono(tagMuLaw, 8), encodeG711(p, muLawToLinear)),
		"alaw":           wavFile(mono(tagALaw, 8), encodeG711(p, aLawToLinear)),
		"ext-pcm24in32":  wavFile(fmtChunk{ext: true, subTag: tagPCM, channels: 1, rate: p.rate, bits: 32, validBits: 24}, encodeInt(p, 4)),
		"ext-float32":    wavFile(fmtChunk{ext: true, subTag: tagFloat, channels: 1, rate: p.rate, bits: 32, validBits: 32}, encodeFloat32(p)),
		"stereo-22050":   wavFile(fmtChunk{tag: tagPCM, channels: 2, rate: 22050, bits: 16}, encodeInt(st, 2)),
		"odd-rate-44099": wavFile(fmtChunk{tag: tagPCM, channels: 1, rate: 44099, bits: 16}, encodeInt(p, 2)),
		"list-before-fmt": riffWAVE(chunk{id: "LIST", body: []byte("INFOISFT\x05\x00\x00\x00call\x00")},
			chunk{id: "fmt ", body: mono(tagPCM, 8).bytes()}, chunk{id: "data", body: encodePCM(t, p, 8)[44:]}),
		"truncated":       truncated,
		"data-before-fmt": riffWAVE(chunk{id: "data", body: encodeInt(p, 2)}, chunk{id: "fmt ", body: mono(tagPCM, 16).bytes()}),
		"mp3-tag":         wavFile(fmtChunk{tag: 0x0055, channels: 1, rate: p.rate, bits: 0, blockAlign: 1}, encodeInt(p, 1)),
	}
}

// TestFuzzSeedCorpus keeps testdata/fuzz/FuzzDecode equal to fuzzSeeds;
// run with -update-fuzz-seeds to rewrite it.
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	for name, seed := range fuzzSeeds(t) {
		want := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", seed)
		path := filepath.Join(dir, name)
		if *updateFuzzSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("seed %s missing (run go test -run TestFuzzSeedCorpus -update-fuzz-seeds): %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("seed %s differs from fuzzSeeds (run go test -run TestFuzzSeedCorpus -update-fuzz-seeds)", name)
		}
	}
}
