// Package process turns one call recording into a classified transcript:
// decode (Go for PCM and G.711 WAV, FFmpeg for everything else), transcribe
// (channel by channel for a two-channel call, skipping each channel's
// silences), label speakers, classify, and transcribe a second time before
// an administrative label stands. Every command that transcribes (serve,
// transcribe, bench, eval) runs a call through a Processor; it knows nothing
// of command-line flags: cmd maps them to a Config.
package process

import (
	"time"

	"github.com/callscribe/callscribe/transcribe"
)

// Config is how a Processor decodes and transcribes.
type Config struct {
	// Options are the Whisper decoding settings.
	Options transcribe.Options
	// Confirm, when set, is a second transcription for calls the rules
	// find administrative, or uncertain on weak words (see secondOpinion).
	Confirm *transcribe.Options
	// MaxDuration refuses longer recordings, from the header where it
	// says; zero means transcribe.DefaultMaxDuration.
	MaxDuration time.Duration
	// SilenceDB: a recording (or one channel of a two-channel one) whose
	// RMS level is below this is silent and is not sent to Whisper.
	SilenceDB float64
	// Speakers names the channels of a two-channel recording when the
	// call's metadata does not (nil: DefaultSpeakers).
	Speakers []string
	// FFmpeg decodes what the Go decoder does not; nil uses ffmpeg and
	// ffprobe from PATH.
	FFmpeg *transcribe.FFmpeg
}

// DefaultSpeakers is what call recorders put on a two-channel recording's
// channels unless told otherwise: the call handler left, the caller right.
var DefaultSpeakers = []string{"handler", "caller"}

func (c Config) decodeOptions() transcribe.DecodeOptions {
	return transcribe.DecodeOptions{MaxDuration: c.MaxDuration, FFmpeg: c.FFmpeg, AllowTruncated: true}
}

func (c Config) speakers(meta []string) []string {
	switch {
	case len(meta) >= 2:
		return meta
	case len(c.Speakers) >= 2:
		return c.Speakers
	}
	return DefaultSpeakers
}
