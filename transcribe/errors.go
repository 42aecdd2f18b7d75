package transcribe

import (
	"errors"
	"fmt"
)

// ErrBadAudio is wrapped by every rejection Decode makes of the recording
// itself, so a caller can tell "this file will never decode" (quarantine it,
// report it) from a read error on the underlying reader (retry it), which
// Decode returns without ErrBadAudio.
var ErrBadAudio = errors.New("bad audio")

// The specific rejections. Each wraps ErrBadAudio; the error Decode returns
// wraps one of these and adds the numbers from the file (offsets, byte
// counts, the format tag) that a support engineer needs to see what the
// recorder wrote.
var (
	// ErrNotWAVE: the input does not start with a RIFF/WAVE header.
	ErrNotWAVE = fmt.Errorf("%w: not a RIFF/WAVE file", ErrBadAudio)
	// ErrNoFormat: no "fmt " chunk before the data (or before the file ends).
	ErrNoFormat = fmt.Errorf("%w: missing fmt chunk", ErrBadAudio)
	// ErrNoData: the file ends without a "data" chunk.
	ErrNoData = fmt.Errorf("%w: missing data chunk", ErrBadAudio)
	// ErrUnsupportedCodec: a format tag (or bit depth for a known tag) that
	// Decode cannot expand to linear samples, e.g. MP3 or ADPCM in a WAV.
	ErrUnsupportedCodec = fmt.Errorf("%w: unsupported codec", ErrBadAudio)
	// ErrUnsupportedChannels: more than two channels. Call recorders write
	// mono or handler/caller stereo; a multichannel layout is not something
	// the speaker labelling downstream knows how to read.
	ErrUnsupportedChannels = fmt.Errorf("%w: unsupported channel count", ErrBadAudio)
	// ErrNoFrames: the data chunk holds no audio.
	ErrNoFrames = fmt.Errorf("%w: zero audio frames", ErrBadAudio)
	// ErrInconsistentSize: the header's sizes disagree with each other or
	// with the bytes present (a truncated recording, a block align that does
	// not match channels × sample size, a fmt chunk too short to hold one).
	ErrInconsistentSize = fmt.Errorf("%w: inconsistent sizes", ErrBadAudio)
	// ErrSampleRate: a sample rate outside MinSourceRate–MaxSourceRate.
	ErrSampleRate = fmt.Errorf("%w: sample rate out of range", ErrBadAudio)
	// ErrTooLong: the header declares more audio than DecodeOptions.MaxDuration.
	ErrTooLong = fmt.Errorf("%w: recording too long", ErrBadAudio)
	// ErrBadSample: a floating-point sample is NaN or ±Inf, which would
	// poison every filter output and Whisper's log-mel spectrogram, or is
	// too large to be audio (see maxFloatSample).
	ErrBadSample = fmt.Errorf("%w: bad sample value", ErrBadAudio)
)
