package transcribe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// DecodeAny decodes a recording in any format: PCM and G.711 WAV in Go
// (Decode), everything else with FFmpeg (opts.FFmpeg). r should be a
// bytes.Reader or a file: a WAV is decoded in one pass, but FFmpeg reads the
// input twice (probe, decode); any other reader is read whole first, up to
// what MaxDuration allows.
//
// A recording FFmpeg cannot decode is refused with ErrUnsupportedCodec and
// the codec's name as ffprobe gives it; ffmpeg or ffprobe missing is an
// error without ErrBadAudio (install them and retry).
func DecodeAny(ctx context.Context, r io.Reader, opts DecodeOptions) (*Audio, error) {
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		maxDur := opts.MaxDuration
		if maxDur <= 0 {
			maxDur = DefaultMaxDuration
		}
		data, err := io.ReadAll(io.LimitReader(r, int64(maxDur.Seconds()*48000*2*4)+1<<20))
		if err != nil {
			return nil, fmt.Errorf("read recording: %w", err)
		}
		rs = bytes.NewReader(data)
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	a, err := Decode(rs, opts)
	if !errors.Is(err, ErrNotWAVE) && !errors.Is(err, ErrUnsupportedCodec) {
		return a, err
	}
	goErr := err
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return nil, err
	}
	maxDur := opts.MaxDuration
	if maxDur <= 0 {
		maxDur = DefaultMaxDuration
	}
	a, err = opts.FFmpeg.decode(ctx, &offsetSeeker{rs, start}, maxDur)
	if err != nil {
		if errors.Is(err, ErrBadAudio) {
			return nil, fmt.Errorf("decode: %w (Go WAV decoder: %v)", err, goErr)
		}
		return nil, fmt.Errorf("decode with ffmpeg: %w", err)
	}
	return a, nil
}

// offsetSeeker makes the part of rs from start look like a whole input.
type offsetSeeker struct {
	rs    io.ReadSeeker
	start int64
}

func (o *offsetSeeker) Read(p []byte) (int, error) { return o.rs.Read(p) }
func (o *offsetSeeker) Seek(off int64, whence int) (int64, error) {
	if whence == io.SeekStart {
		off += o.start
	}
	n, err := o.rs.Seek(off, whence)
	return n - o.start, err
}

// ProbeFile reads what a recording's header declares (duration, channels,
// rate, codec) without decoding it: from the WAV header when the Go decoder
// reads the format, otherwise with ffprobe. It does not apply a duration
// limit; callers compare Duration with theirs (callscribe ingest refuses a
// recording over -max-duration before uploading a byte of it).
func ProbeFile(ctx context.Context, path string) (Probe, error) {
	return (*FFmpeg)(nil).ProbeFile(ctx, path)
}

// ProbeFile is ProbeFile with these executables.
func (f *FFmpeg) ProbeFile(ctx context.Context, path string) (Probe, error) {
	file, err := os.Open(path)
	if err != nil {
		return Probe{}, err
	}
	defer file.Close()
	h, err := readHeader(&offsetReader{r: file})
	if err == nil {
		ff := h.format
		p := Probe{Channels: ff.channels, SampleRate: ff.rate, Codec: ff.name()}
		if h.dataSize != 0xFFFFFFFF {
			p.Duration = time.Duration(h.dataSize/int64(ff.blockAlign)) * time.Second / time.Duration(ff.rate)
		}
		return p, nil
	}
	if !errors.Is(err, ErrNotWAVE) && !errors.Is(err, ErrUnsupportedCodec) {
		return Probe{}, fmt.Errorf("probe %s: %w", path, err)
	}
	goErr := err
	p, err := f.probe(ctx, path, nil)
	if err != nil {
		if errors.Is(err, ErrBadAudio) {
			return Probe{}, fmt.Errorf("probe %s: %w (Go WAV decoder: %v)", path, err, goErr)
		}
		return Probe{}, fmt.Errorf("probe %s: %w", path, err)
	}
	return p, nil
}
