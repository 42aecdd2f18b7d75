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
