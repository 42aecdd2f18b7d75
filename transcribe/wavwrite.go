package transcribe

import (
	"fmt"
	"math"
	"os"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// WriteWAV16 writes samples (mono, at SampleRate) as a 16-bit PCM WAV file:
// how callscribe hands its own decoding to whisper-cli, so that both
// engines see exactly the same samples.
func WriteWAV16(path string, samples []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	enc := wav.NewEncoder(f, SampleRate, 16, 1, 1)
	buf := &audio.IntBuffer{Format: &audio.Format{NumChannels: 1, SampleRate: SampleRate}, SourceBitDepth: 16, Data: make([]int, len(samples))}
	for i, v := range samples {
		buf.Data[i] = int(max(-32768, min(32767, math.Round(float64(v)*32768))))
	}
	if err := enc.Write(buf); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
