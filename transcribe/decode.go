package transcribe

import (
	"fmt"
	"io"
	"time"
)

// Source sample rates Decode accepts: narrowband telephone audio up to
// professional 48 kHz. Anything else in a call recording is a corrupt header.
const (
	MinSourceRate = 8000
	MaxSourceRate = 48000
)

// DefaultMaxDuration is the longest recording Decode accepts when
// DecodeOptions.MaxDuration is zero: far beyond any helpline call, short
// enough that a wrong header cannot make Decode allocate gigabytes.
const DefaultMaxDuration = 4 * time.Hour

// blockFrames is how many frames Decode reads at a time: large enough that
// per-block overhead vanishes, small enough to stay in cache.
const blockFrames = 4096

// DecodeOptions bound what Decode accepts.
type DecodeOptions struct {
	// MaxDuration rejects longer recordings, judged from the header before
	// any sample is read. Zero means DefaultMaxDuration.
	MaxDuration time.Duration
	// AllowTruncated decodes the audio present in a WAV whose data chunk
	// the file ends inside (a recorder that crashed before finishing the
	// file; also one that never wrote the length, 0xFFFFFFFF), and marks
	// the Audio Truncated, instead of refusing it, as long as at least
	// MinTruncated is present. Whisper and the classifier work on what was
	// said; a crash should not lose the call.
	AllowTruncated bool
	// FFmpeg decodes what the Go decoder does not (DecodeAny); nil: ffmpeg
	// and ffprobe from PATH.
	FFmpeg *FFmpeg
}

// MinTruncated is the least audio a truncated recording must hold to be
// transcribed: under a second is not a call.
const MinTruncated = time.Second

// Decode reads a WAV recording (PCM 8/16/24/32-bit, IEEE float 32/64-bit,
// G.711 µ-law or A-law, plain or WAVE_FORMAT_EXTENSIBLE; mono or stereo;
// 8–48 kHz) and returns it resampled to 16 kHz for Whisper.
//
// It streams: the header is checked (format, rate, duration against
// MaxDuration) before any sample is read, and samples are resampled block by
// block, so memory is the 16 kHz output plus a small buffer whatever the
// source rate. When r can report what is left (a bytes.Reader, or a seekable
// file) a data chunk longer than the input is rejected before the output is
// allocated; otherwise the output grows as data arrives and the truncation
// is found at the end.
//
// Every rejection of the recording wraps ErrBadAudio and one of the specific
// Err* values; a failure of r itself is returned wrapped but without them.
func Decode(r io.Reader, opts DecodeOptions) (*Audio, error) {
	maxDur := opts.MaxDuration
	if maxDur <= 0 {
		maxDur = DefaultMaxDuration
	}
	in := &offsetReader{r: r}
	h, err := readHeader(in)
	if err != nil {
		return nil, fmt.Errorf("decode wav: %w", err)
	}
	f := h.format
	left, known := remaining(r)
	var trunc *Truncation
	if opts.AllowTruncated && known && (h.dataSize == 0xFFFFFFFF || left < h.dataSize) {
		// The declared length is held to the limit first: a header that
		// declares six hours over a minute of data is refused, not
		// transcribed as a truncated recording.
		if h.dataSize != 0xFFFFFFFF {
			if _, err := checkData(h, maxDur); err != nil {
				return nil, fmt.Errorf("decode wav: %w", err)
			}
		}
		if trunc, err = cutToPresent(&h, left); err != nil {
			return nil, fmt.Errorf("decode wav: %w", err)
		}
	}
	frames, err := checkData(h, maxDur)
	if err != nil {
		return nil, fmt.Errorf("decode wav: %w", err)
	}
	verified := false
	if known {
		if left < h.dataSize {
			return nil, fmt.Errorf("decode wav: %w", truncated(h, left))
		}
		verified = true
	}

	p := designPolyphase(f.rate, SampleRate)
	outs := make([][]float32, f.channels)
	rs := make([]*resampler, f.channels)
	for c := range rs {
		rs[c] = newResampler(p, frames)
		// Trust the header's length for the allocation only once the input
		// is known to hold it; otherwise start at a minute and grow, so a
		// lying header on a stream costs nothing.
		capacity := rs[c].total
		if !verified {
			capacity = min(capacity, 60*SampleRate)
		}
		outs[c] = make([]float32, 0, capacity)
	}

	if err := decodeData(in, h, rs, outs); err != nil {
		return nil, fmt.Errorf("decode wav: %w", err)
	}
	a := &Audio{SourceRate: f.rate, SourceChannels: f.channels, SourceFormat: f.name(), Truncated: trunc}
	if trunc != nil {
		trunc.Present = time.Duration(len(outs[0])) * time.Second / SampleRate
	}
	a.setChannels(outs)
	return a, nil
}

// checkData validates the data chunk's declared size against the format and
// the duration limit, and returns the number of frames it declares.
func checkData(h wavHeader, maxDur time.Duration) (int64, error) {
	f := h.format
	if h.dataSize == 0xFFFFFFFF {
		// What a recorder writes before it knows the length; it never came back.
		return 0, fmt.Errorf("%w: data chunk size is the placeholder 0xFFFFFFFF (recording never finalised)", ErrInconsistentSize)
	}
	if h.dataSize%int64(f.blockAlign) != 0 {
		return 0, fmt.Errorf("%w: data chunk of %d bytes is not a whole number of %d-byte frames",
			ErrInconsistentSize, h.dataSize, f.blockAlign)
	}
	frames := h.dataSize / int64(f.blockAlign)
	if frames == 0 {
		return 0, fmt.Errorf("%w: data chunk at byte %d is empty", ErrNoFrames, h.dataOffset-8)
	}
	// frames < 2^32 so this cannot overflow.
	if d := time.Duration(frames) * time.Second / time.Duration(f.rate); d > maxDur {
		return 0, fmt.Errorf("%w: header declares %s of audio, limit is %s", ErrTooLong, d.Round(time.Second), maxDur)
	}
	return frames, nil
}

// truncated describes a data chunk that the input ends inside: the commonest
// corruption, left by a recorder that crashed before finishing the file.
func truncated(h wavHeader, present int64) error {
	f := h.format
	secs := func(n int64) float64 { return float64(n/int64(f.blockAlign)) / float64(f.rate) }
	return fmt.Errorf("%w: data chunk declares %d bytes (%.2f s) but only %d bytes (%.2f s) are present; the recording is truncated",
		ErrInconsistentSize, h.dataSize, secs(h.dataSize), present, secs(present))
}

// cutToPresent shrinks the data chunk to the whole frames present, for a
// recording that ends inside it, or refuses it when under MinTruncated is
// there. The declared length is kept for the Truncation (zero when the
// header holds the placeholder 0xFFFFFFFF: never known).
func cutToPresent(h *wavHeader, present int64) (*Truncation, error) {
	f := h.format
	t := &Truncation{}
	if h.dataSize != 0xFFFFFFFF {
		t.Declared = time.Duration(h.dataSize/int64(f.blockAlign)) * time.Second / time.Duration(f.rate)
	}
	whole := present - present%int64(f.blockAlign)
	if d := time.Duration(whole/int64(f.blockAlign)) * time.Second / time.Duration(f.rate); d < MinTruncated {
		if h.dataSize == 0xFFFFFFFF {
			return nil, fmt.Errorf("%w: recording never finalised (data size 0xFFFFFFFF) and only %d bytes (%.2f s) present, under %s",
				ErrInconsistentSize, present, d.Seconds(), MinTruncated)
		}
		return nil, fmt.Errorf("%w; under %s, too little to transcribe", truncated(*h, present), MinTruncated)
	}
	h.dataSize = whole
	return t, nil
}

// remaining reports how many bytes r has left, for readers that can say
// without consuming anything.
func remaining(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case interface{ Len() int }: // bytes.Reader, bytes.Buffer, strings.Reader
		return int64(v.Len()), true
	case io.Seeker: // a regular file; a pipe fails the first Seek
		cur, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		end, err := v.Seek(0, io.SeekEnd)
		if err != nil {
			return 0, false
		}
		if _, err := v.Seek(cur, io.SeekStart); err != nil {
			return 0, false
		}
		return end - cur, true
	}
	return 0, false
}

// decodeData reads the data chunk block by block into the resamplers.
func decodeData(in *offsetReader, h wavHeader, rs []*resampler, outs [][]float32) error {
	f := h.format
	sr := newSampleReader(f)
	raw := make([]byte, blockFrames*f.blockAlign)
	chans := make([][]float32, f.channels)
	for c := range chans {
		chans[c] = make([]float32, blockFrames)
	}
	var done int64 // bytes of the data chunk read so far
	for done < h.dataSize {
		want := min(int64(len(raw)), h.dataSize-done)
		n, err := io.ReadFull(in, raw[:want])
		if err != nil {
			if isShort(err) {
				return truncated(h, done+int64(n))
			}
			return fmt.Errorf("read data chunk at byte %d: %w", in.off, err)
		}
		frames := n / f.blockAlign
		for c := range chans {
			chans[c] = chans[c][:frames]
		}
		if bad, v := sr.read(chans, raw[:n]); bad >= 0 {
			at := done/int64(f.blockAlign) + int64(bad)
			return fmt.Errorf("%w: %g at frame %d (%.3f s) is not a sample value in ±%d",
				ErrBadSample, v, at, float64(at)/float64(f.rate), maxFloatSample)
		}
		for c, rc := range rs {
			outs[c] = rc.write(outs[c], chans[c])
		}
		done += int64(n)
	}
	for c, rc := range rs {
		outs[c] = rc.flush(outs[c])
	}
	return nil
}
