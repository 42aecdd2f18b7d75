package transcribe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// FFmpeg decodes, by running Debian's ffmpeg and ffprobe as subprocesses,
// every format the Go decoder does not: MP3, AAC/M4A, Ogg Vorbis and Opus,
// FLAC, AMR, WMA, and GSM 6.10 and IMA/MS ADPCM in WAV. A subprocess, not
// cgo bindings to libav*: a codec crash on a hostile file kills ffmpeg, not
// the worker, and the build stays as it is. The Go decoder keeps PCM and
// G.711 WAV, what most call recorders write: it starts no process (on the
// development host ffprobe then ffmpeg on a 3 s MP3 take 0.07 s each,
// almost all of it start-up) and gives the precise rejections of riff.go.
type FFmpeg struct {
	// FFmpeg and FFprobe are the executables; empty: "ffmpeg" and
	// "ffprobe" from PATH.
	FFmpeg, FFprobe string
}

func (f *FFmpeg) ffmpeg() string {
	if f == nil || f.FFmpeg == "" {
		return "ffmpeg"
	}
	return f.FFmpeg
}

func (f *FFmpeg) ffprobe() string {
	if f == nil || f.FFprobe == "" {
		return "ffprobe"
	}
	return f.FFprobe
}

// minProbeScore: see probe.
const minProbeScore = 50

// Probe is what a recording's header says, read without decoding it.
type Probe struct {
	Duration   time.Duration // zero when the container does not say
	Channels   int
	SampleRate int
	Codec      string // e.g. pcm16, alaw (Go decoder), mp3, aac, gsm_ms (ffprobe's codec name)
}

// ffprobeOut is the part of ffprobe's JSON that is read.
type ffprobeOut struct {
	Streams []struct {
		CodecName  string `json:"codec_name"`
		CodecType  string `json:"codec_type"`
		CodecTag   string `json:"codec_tag_string"`
		Channels   int    `json:"channels"`
		SampleRate string `json:"sample_rate"`
		Duration   string `json:"duration"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
		ProbeScore int    `json:"probe_score"`
	} `json:"format"`
}

// probe runs ffprobe on the input (a path, or "pipe:0" with stdin).
func (f *FFmpeg) probe(ctx context.Context, input string, stdin io.Reader) (Probe, error) {
	cmd := exec.CommandContext(ctx, f.ffprobe(), "-v", "error", "-show_entries",
		"stream=codec_name,codec_type,codec_tag_string,channels,sample_rate,duration:format=format_name,duration,probe_score", "-of", "json", "-i", input)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ctx.Err() == nil {
			return Probe{}, fmt.Errorf("%w: ffprobe cannot read it as audio: %s", ErrUnsupportedCodec, lastLine(stderr.String()))
		}
		return Probe{}, fmt.Errorf("run ffprobe: %w", err) // not installed, or cancelled: not the recording's fault
	}
	var out ffprobeOut
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return Probe{}, fmt.Errorf("ffprobe output: %w", err)
	}
	// ffprobe names a format whatever the input: 4 KiB of repeated noise
	// comes back as raw AMR with a score of 26 of 100 and decodes to 17 s
	// of noise. Below 50 (FFmpeg's AVPROBE_SCORE_EXTENSION) the format is a
	// guess; every real file in the format table scores 51 (a bare MP3
	// stream) or more.
	if out.Format.ProbeScore < minProbeScore {
		return Probe{}, fmt.Errorf("%w: not a recognisable audio file (ffprobe only guesses %s, score %d of 100)",
			ErrUnsupportedCodec, out.Format.FormatName, out.Format.ProbeScore)
	}
	for _, s := range out.Streams {
		if s.CodecType != "audio" {
			continue
		}
		if s.CodecName == "" {
			return Probe{}, fmt.Errorf("%w: no decoder for the audio stream (codec tag %s, container %s)", ErrUnsupportedCodec, s.CodecTag, out.Format.FormatName)
		}
		p := Probe{Channels: s.Channels, Codec: s.CodecName}
		p.SampleRate, _ = strconv.Atoi(s.SampleRate)
		d := s.Duration
		if d == "" || d == "N/A" {
			d = out.Format.Duration
		}
		if secs, err := strconv.ParseFloat(d, 64); err == nil && secs > 0 {
			p.Duration = time.Duration(secs * float64(time.Second))
		}
		return p, nil
	}
	return Probe{}, fmt.Errorf("%w: no audio stream (container %s)", ErrUnsupportedCodec, out.Format.FormatName)
}

// Check refuses what DecodeAny would refuse from the header alone: more
// than two channels, none, or more than maxDur of audio (zero:
// DefaultMaxDuration).
func (p Probe) Check(maxDur time.Duration) error {
	if maxDur <= 0 {
		maxDur = DefaultMaxDuration
	}
	switch {
	case p.Channels > 2:
		return fmt.Errorf("%w: %s with %d channels; only mono and stereo recordings are accepted", ErrUnsupportedChannels, p.Codec, p.Channels)
	case p.Channels < 1:
		return fmt.Errorf("%w: %s stream declares no channels", ErrUnsupportedCodec, p.Codec)
	case p.Duration > maxDur:
		return fmt.Errorf("%w: header declares %s of audio, limit is %s", ErrTooLong, p.Duration.Round(time.Second), maxDur)
	}
	return nil
}

// decode probes, then decodes, the recording in data (whole, since ffprobe
// and ffmpeg each read it) to 16 kHz float32, each channel kept.
func (f *FFmpeg) decode(ctx context.Context, data io.ReadSeeker, maxDur time.Duration) (*Audio, error) {
	input, cleanup, err := ffmpegInput(data)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	reader := func() io.Reader {
		if input != "pipe:0" {
			return nil
		}
		data.Seek(0, io.SeekStart)
		return data
	}
	p, err := f.probe(ctx, input, reader())
	if err != nil {
		return nil, err
	}
	if err := p.Check(maxDur); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, f.ffmpeg(), "-nostats", "-v", "error", "-i", input,
		"-map", "0:a:0", "-vn", "-ar", strconv.Itoa(SampleRate), "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1")
	cmd.Stdin = reader()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run ffmpeg: %w", err)
	}
	outs, readErr := readF32(bufio.NewReaderSize(stdout, 1<<16), p.Channels, int(maxDur.Seconds()*SampleRate))
	if readErr != nil {
		cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	switch {
	case readErr != nil:
		return nil, fmt.Errorf("%s: %w", p.Codec, readErr)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case waitErr != nil:
		return nil, fmt.Errorf("%w: ffmpeg cannot decode %s: %s", ErrUnsupportedCodec, p.Codec, lastLine(stderr.String()))
	case len(outs[0]) == 0:
		return nil, fmt.Errorf("%w: ffmpeg decoded no audio from %s: %s", ErrNoFrames, p.Codec, lastLine(stderr.String()))
	}
	a := &Audio{SourceRate: p.SampleRate, SourceChannels: p.Channels, SourceFormat: p.Codec}
	present := time.Duration(len(outs[0])) * time.Second / SampleRate
	// A container that declares more than is there was cut short: a WAV's
	// data size, an MP4's index. (An MP3's duration is estimated from the
	// file size, so a cut one decodes as whole.)
	if p.Duration-present > max(time.Second, p.Duration/50) {
		if present < MinTruncated {
			return nil, fmt.Errorf("%w: %s declares %.2f s but only %.2f s decodes; under %s, too little to transcribe",
				ErrInconsistentSize, p.Codec, p.Duration.Seconds(), present.Seconds(), MinTruncated)
		}
		a.Truncated = &Truncation{Declared: p.Duration, Present: present}
	}
	a.setChannels(outs)
	return a, nil
}

// ffmpegInput says how ffmpeg is to read data: from stdin, or, for an MP4
// (M4A, 3GP), from a temporary file, because the MP4 index (moov) that a
// recorder writes last must be read first and a pipe cannot seek back.
func ffmpegInput(data io.ReadSeeker) (string, func(), error) {
	var head [12]byte
	data.Seek(0, io.SeekStart)
	n, _ := io.ReadFull(data, head[:])
	if n < 8 || string(head[4:8]) != "ftyp" {
		return "pipe:0", func() {}, nil
	}
	if f, ok := data.(*os.File); ok {
		return f.Name(), func() {}, nil
	}
	tmp, err := os.CreateTemp("", "callscribe-*.mp4")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	data.Seek(0, io.SeekStart)
	if _, err := io.Copy(tmp, data); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("spool mp4: %w", err)
	}
	return tmp.Name(), cleanup, nil
}

// readF32 reads interleaved little-endian float32 frames of channels
// channels, refusing more than maxFrames (a header that understated the
// length) and non-finite samples.
func readF32(r io.Reader, channels, maxFrames int) ([][]float32, error) {
	outs := make([][]float32, channels)
	frame := make([]byte, 4*channels)
	buf := make([]byte, 4096*len(frame))
	for {
		n, err := io.ReadFull(r, buf)
		n -= n % len(frame)
		for i := 0; i < n; i += len(frame) {
			for c := range outs {
				v := math.Float32frombits(binary.LittleEndian.Uint32(buf[i+4*c:]))
				if !(v >= -maxFloatSample && v <= maxFloatSample) {
					return nil, fmt.Errorf("%w: %g at %.3f s", ErrBadSample, v, float64(len(outs[c]))/SampleRate)
				}
				outs[c] = append(outs[c], v)
			}
		}
		if len(outs[0]) > maxFrames {
			return nil, fmt.Errorf("%w: decodes to more than %s", ErrTooLong, time.Duration(maxFrames)*time.Second/SampleRate)
		}
		if err != nil {
			if isShort(err) {
				return outs, nil
			}
			return nil, err
		}
	}
}

// lastLine is the last non-empty line of a tool's stderr: its error.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return "no message"
}
