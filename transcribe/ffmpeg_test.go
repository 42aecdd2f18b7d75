package transcribe

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/internal/testenv"
)

// run runs a tool, failing the test with its output.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// speech8k makes a 3-second 8 kHz mono test signal with sox: a tone that
// glides like a voice, loud enough not to be silence.
func speech8k(t *testing.T, dir string) string {
	t.Helper()
	sox := testenv.Tool(t, "sox")
	src := filepath.Join(dir, "src.wav")
	run(t, sox, "-n", "-r", "8000", "-c", "1", "-b", "16", src, "synth", "3", "sine", "300-900", "vol", "0.5")
	return src
}

// amrFrames is an AMR-NB file (RFC 4867 storage format) of n 12.2 kbit/s
// frames, 20 ms each, with pseudo-random payloads (any 244 bits are a
// valid frame): Debian's ffmpeg decodes AMR but has no AMR encoder, so the
// test writes the file itself. It decodes to noise.
func amrFrames(n int) []byte {
	b := []byte("#!AMR\n")
	x := uint32(1)
	for range n {
		b = append(b, 0x3C) // frame type 7 (12.2 kbit/s), quality bit set
		for range 31 {
			x = x*1664525 + 1013904223
			b = append(b, byte(x>>24))
		}
	}
	return b
}

// TestDecodeAnyFormats makes a file in each format call recorders deliver
// with FFmpeg (in the test run, not committed), decodes it with DecodeAny,
// and logs which are decoded and which refused, with the message: this is
// the format table of issue 15.
func TestDecodeAnyFormats(t *testing.T) {
	ffmpeg := testenv.Tool(t, "ffmpeg")
	testenv.Tool(t, "ffprobe")
	dir := t.TempDir()
	src := speech8k(t, dir)
	enc := func(name string, args ...string) string {
		out := filepath.Join(dir, name)
		run(t, ffmpeg, append(append([]string{"-v", "error", "-y", "-i", src}, args...), out)...)
		return out
	}
	write := func(name string, b []byte) string {
		out := filepath.Join(dir, name)
		if err := os.WriteFile(out, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// An unpadded odd-sized LIST chunk before the data, as some recorders write.
	pcm, _ := os.ReadFile(src)
	odd := riffWAVE(chunk{id: "fmt ", body: fmtChunk{tag: 1, channels: 1, rate: 8000, bits: 16}.bytes()})
	odd = append(odd, []byte("LIST\x03\x00\x00\x00abc")...) // 3 bytes, no pad byte
	odd = append(odd, []byte("data")...)
	odd = binary.LittleEndian.AppendUint32(odd, uint32(len(pcm)-44))
	odd = append(odd, pcm[44:]...)
	binary.LittleEndian.PutUint32(odd[4:], uint32(len(odd)-8))

	cases := []struct {
		format string
		path   string
		want   time.Duration // decoded length; 0: refused
		codec  string
	}{
		{"PCM WAV 8 kHz", src, 3 * time.Second, "pcm16"},
		{"A-law WAV 8 kHz", enc("alaw.wav", "-c:a", "pcm_alaw"), 3 * time.Second, "alaw"},
		{"µ-law WAV 8 kHz", enc("mulaw.wav", "-c:a", "pcm_mulaw"), 3 * time.Second, "mulaw"},
		{"WAV, unpadded odd-sized chunk", write("odd.wav", odd), 3 * time.Second, "pcm16"},
		{"MP3", enc("a.mp3", "-c:a", "libmp3lame", "-b:a", "32k"), 3 * time.Second, "mp3"},
		{"FLAC", enc("a.flac"), 3 * time.Second, "flac"},
		{"Ogg Vorbis", enc("a.ogg", "-c:a", "libvorbis"), 3 * time.Second, "vorbis"},
		{"Ogg Opus", enc("a.opus", "-c:a", "libopus", "-b:a", "16k"), 3 * time.Second, "opus"},
		{"AAC in M4A", enc("a.m4a", "-c:a", "aac", "-b:a", "32k"), 3 * time.Second, "aac"},
		{"WMA", enc("a.wma", "-c:a", "wmav2", "-b:a", "32k"), 3 * time.Second, "wmav2"},
		{"GSM 6.10 in WAV (0x31)", enc("gsm.wav", "-c:a", "libgsm_ms"), 3 * time.Second, "gsm_ms"},
		{"IMA ADPCM in WAV (0x11)", enc("ima.wav", "-c:a", "adpcm_ima_wav"), 3 * time.Second, "adpcm_ima_wav"},
		{"MS ADPCM in WAV (0x02)", enc("msadpcm.wav", "-c:a", "adpcm_ms"), 3 * time.Second, "adpcm_ms"},
		{"AMR-NB 12.2k", write("a.amr", amrFrames(150)), 3 * time.Second, "amr_nb"},
		{"not audio (text)", write("notes.txt", []byte("call notes, not a recording\n")), 0, ""},
		{"WAV, unknown codec 0x4242", write("odd-codec.wav", wavFile(fmtChunk{tag: 0x4242, channels: 1, rate: 8000, bits: 8, blockAlign: 1}, make([]byte, 8000))), 0, ""},
	}
	ctx := context.Background()
	var table strings.Builder
	for _, tc := range cases {
		f, err := os.Open(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := DecodeAny(ctx, f, DecodeOptions{MaxDuration: time.Minute})
		f.Close()
		p, perr := ProbeFile(ctx, tc.path)
		switch {
		case tc.want == 0:
			if err == nil || !errors.Is(err, ErrBadAudio) {
				t.Errorf("%s: got %v, want a refusal wrapping ErrBadAudio", tc.format, err)
				continue
			}
			fmt.Fprintf(&table, "| %s | refused | %s |\n", tc.format, err)
		case err != nil:
			t.Errorf("%s: %v", tc.format, err)
			fmt.Fprintf(&table, "| %s | FAILED | %s |\n", tc.format, err)
		default:
			got := a.Duration()
			if d := got - tc.want; d < -100*time.Millisecond || d > 100*time.Millisecond {
				t.Errorf("%s: decoded %s, want %s", tc.format, got, tc.want)
			}
			if a.SourceFormat != tc.codec || perr != nil || p.Codec != tc.codec {
				t.Errorf("%s: source format %q, probe %+v (%v); want codec %q", tc.format, a.SourceFormat, p, perr, tc.codec)
			}
			fmt.Fprintf(&table, "| %s | decoded | %s, %.2f s, %s dBFS |\n", tc.format, a.SourceFormat, got.Seconds(), fmt.Sprintf("%.1f", a.RMSdBFS()))
		}
	}
	t.Logf("format table:\n%s", table.String())
}

// TestDecodeAnyKeepsChannels: a stereo MP3 (left speaking, right silent)
// comes back as two channels, as a stereo WAV does.
func TestDecodeAnyKeepsChannels(t *testing.T) {
	ffmpeg := testenv.Tool(t, "ffmpeg")
	dir := t.TempDir()
	out := filepath.Join(dir, "stereo.mp3")
	run(t, ffmpeg, "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2:sample_rate=8000",
		"-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-filter_complex", "[0][1]amerge=inputs=2[a]", "-map", "[a]", "-t", "2", "-c:a", "libmp3lame", out)
	f, _ := os.Open(out)
	defer f.Close()
	a, err := DecodeAny(context.Background(), f, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Channels) != 2 || a.SourceChannels != 2 {
		t.Fatalf("%d channels (source %d), want 2", len(a.Channels), a.SourceChannels)
	}
	l, r := rmsDBFS(a.Channels[0]), rmsDBFS(a.Channels[1])
	if l < -30 || r > -60 {
		t.Errorf("left %.1f dBFS, right %.1f dBFS: want the tone left and silence right", l, r)
	}
}

// TestTruncatedWAV: a recording cut short by a recorder crash is decoded as
// far as it goes and marked truncated; under a second present is refused.
func TestTruncatedWAV(t *testing.T) {
	src, err := os.ReadFile(speech8k(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	cut := src[:44+2*8000*3/2] // 1.5 s of the 3 s the header declares
	a, err := DecodeAny(context.Background(), bytes.NewReader(cut), DecodeOptions{AllowTruncated: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Truncated == nil || a.Truncated.Declared != 3*time.Second || a.Truncated.Present != 1500*time.Millisecond {
		t.Errorf("truncation %+v, want declared 3s, present 1.5s", a.Truncated)
	}
	// Without AllowTruncated, as before: refused.
	if _, err := DecodeAny(context.Background(), bytes.NewReader(cut), DecodeOptions{}); !errors.Is(err, ErrInconsistentSize) {
		t.Errorf("without AllowTruncated: %v, want ErrInconsistentSize", err)
	}
	// Never finalised: the placeholder length.
	open := bytes.Clone(cut)
	binary.LittleEndian.PutUint32(open[40:], 0xFFFFFFFF)
	if a, err := DecodeAny(context.Background(), bytes.NewReader(open), DecodeOptions{AllowTruncated: true}); err != nil || a.Truncated == nil || a.Duration() != 1500*time.Millisecond {
		t.Errorf("placeholder length: %v, %+v", err, a)
	}
	// Under a second present.
	if _, err := DecodeAny(context.Background(), bytes.NewReader(src[:44+2*4000]), DecodeOptions{AllowTruncated: true}); !errors.Is(err, ErrInconsistentSize) || !strings.Contains(err.Error(), "too little") {
		t.Errorf("0.5 s present: %v, want a refusal", err)
	}
}

// TestProbeFileTenHours: a 10-hour WAV header is read as 10 hours without
// reading the data (the file is a sparse header plus a second).
func TestProbeFileTenHours(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ten-hours.wav")
	size := uint32(10 * 3600 * 8000 * 2)
	b := riffWAVE(chunk{id: "fmt ", body: fmtChunk{tag: 1, channels: 1, rate: 8000, bits: 16}.bytes()},
		chunk{id: "data", body: make([]byte, 16000), size: &size})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := ProbeFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Duration != 10*time.Hour || p.Channels != 1 || p.SampleRate != 8000 {
		t.Errorf("probe %+v, want 10h mono 8 kHz", p)
	}
	if err := p.Check(4 * time.Hour); !errors.Is(err, ErrTooLong) {
		t.Errorf("Check(4h): %v, want ErrTooLong", err)
	}
}
