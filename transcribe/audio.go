// Package transcribe turns call recordings into timestamped transcripts:
// it decodes and resamples audio for Whisper and defines the engine seam that
// the whisper.cpp engine (package transcribe/whisper) fills.
package transcribe

import "time"

// SampleRate is the rate Whisper expects: 16 kHz mono float32 in [-1, 1].
const SampleRate = 16000

// Audio is a decoded recording, resampled for Whisper.
type Audio struct {
	// Samples is the mono signal at SampleRate (channels averaged).
	Samples []float32
	// Channels holds each source channel at SampleRate when the source had
	// more than one. Telephone recorders put the handler and the caller on
	// separate channels, so these let a later step label speakers.
	Channels [][]float32
	// SourceRate, SourceChannels and SourceFormat describe the file as
	// recorded (SourceFormat is e.g. "pcm16", "float32", "mulaw", "alaw").
	SourceRate     int
	SourceChannels int
	SourceFormat   string
	// Truncated is set when DecodeOptions.AllowTruncated let a recording
	// that ends early through.
	Truncated *Truncation
}

// Duration is the length of the audio.
func (a *Audio) Duration() time.Duration {
	return time.Duration(len(a.Samples)) * time.Second / SampleRate
}

// setChannels sets the samples from the decoded channels: one is the mono
// signal; two are kept apart (per-channel transcription) with their mean as
// the mix.
func (a *Audio) setChannels(outs [][]float32) {
	if len(outs) == 1 {
		a.Samples = outs[0]
		return
	}
	a.Channels = outs
	a.Samples = make([]float32, len(outs[0]))
	for i, l := range outs[0] {
		a.Samples[i] = (l + outs[1][i]) * 0.5
	}
}
