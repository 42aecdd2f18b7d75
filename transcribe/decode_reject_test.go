package transcribe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// streamOnly hides everything but Read, so Decode takes its streaming path
// (no Len, no Seek), as for a pipe or a network body.
type streamOnly struct{ r io.Reader }

func (s streamOnly) Read(p []byte) (int, error) { return s.r.Read(p) }

// callSpeech is the first 0.1 s of a real call, as 8 kHz 16-bit mono bytes.
func callSpeech(t *testing.T) []byte {
	t.Helper()
	p := loadPCM16(t, filepath.Join(sharedDir, "calls", "dev", "call-0001.wav"))
	return encodeInt(p, 2)[:1600]
}

// TestDecodeRejects covers every rejection: each corrupt input must give
// its specific error, wrapped in ErrBadAudio, with the telling numbers in
// the message, and the same from a sized reader and from a stream.
func TestDecodeRejects(t *testing.T) {
	speech := callSpeech(t)
	mono16 := fmtChunk{tag: tagPCM, channels: 1, rate: 8000, bits: 16}
	with := func(f func(*fmtChunk)) chunk {
		c := mono16
		f(&c)
		return chunk{id: "fmt ", body: c.bytes()}
	}
	fmtOK := chunk{id: "fmt ", body: mono16.bytes()}
	data := chunk{id: "data", body: speech}
	floats32 := make([]byte, 40)
	binary.LittleEndian.PutUint32(floats32[12:], math.Float32bits(float32(math.NaN())))
	floats64 := make([]byte, 80)
	binary.LittleEndian.PutUint64(floats64[40:], math.Float64bits(math.Inf(1)))
	huge64 := make([]byte, 80)
	binary.LittleEndian.PutUint64(huge64[8:], math.Float64bits(1e300))
	intScale := make([]byte, 40)
	binary.LittleEndian.PutUint32(intScale[20:], math.Float32bits(-32768))
	oddGUID := fmtChunk{ext: true, subTag: tagPCM, channels: 1, rate: 8000, bits: 16, validBits: 16}.bytes()
	oddGUID[len(oddGUID)-1] ^= 0xFF
	withHeader := func(head string, b []byte) []byte { return append([]byte(head), b[len(head):]...) }

	for _, c := range []struct {
		name string
		in   []byte
		want error
		msg  string // must appear in the error text
	}{
		{"empty", nil, ErrNotWAVE, "input is 0 bytes"},
		{"cut inside RIFF header", []byte("RIFF\x24\x00"), ErrNotWAVE, "input is 6 bytes"},
		{"big-endian RIFX", withHeader("RIFX", riffWAVE(fmtOK, data)), ErrNotWAVE, `"RIFX"`},
		{"RF64", withHeader("RF64", riffWAVE(fmtOK, data)), ErrNotWAVE, "RF64"},
		{"AVI not WAVE", withHeader("RIFF\x00\x00\x00\x00AVI ", riffWAVE(fmtOK, data)), ErrNotWAVE, `"AVI "`},
		{"MP3 file", append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), speech...), ErrNotWAVE, `"ID3\x04"`},
		{"header only", riffWAVE(), ErrNoFormat, "file ends at byte 12"},
		{"data before fmt", riffWAVE(data, fmtOK), ErrNoFormat, "data chunk at byte 12 comes before any fmt chunk"},
		{"no fmt", riffWAVE(chunk{id: "LIST", body: []byte("INFOxxxx")}, data), ErrNoFormat, "before any fmt"},
		{"fmt only", riffWAVE(fmtOK), ErrNoData, "file ends at byte 36"},
		{"file ends in LIST", riffWAVE(fmtOK, chunk{id: "LIST", body: []byte("INFO"), size: u32(1000)}), ErrNoData, `inside the "LIST" chunk at byte 36 (declares 1000 bytes, 4 present)`},
		{"MP3 in WAV", riffWAVE(with(func(f *fmtChunk) { f.tag = 0x0055; f.blockAlign = 1 }), data), ErrUnsupportedCodec, "format 0x0055 (MP3)"},
		{"IMA ADPCM", riffWAVE(with(func(f *fmtChunk) { f.tag = 0x0011; f.bits = 4 }), data), ErrUnsupportedCodec, "format 0x0011 (IMA ADPCM)"},
		{"GSM 6.10", riffWAVE(with(func(f *fmtChunk) { f.tag = 0x0031; f.bits = 0 }), data), ErrUnsupportedCodec, "format 0x0031 (GSM 6.10)"},
		{"unknown tag", riffWAVE(with(func(f *fmtChunk) { f.tag = 0x1234 }), data), ErrUnsupportedCodec, "format 0x1234 (unrecognised)"},
		{"16-bit float", riffWAVE(with(func(f *fmtChunk) { f.tag = tagFloat }), data), ErrUnsupportedCodec, "IEEE float with 16 bits"},
		{"16-bit µ-law", riffWAVE(with(func(f *fmtChunk) { f.tag = tagMuLaw }), data), ErrUnsupportedCodec, "G.711 mulaw with 16 bits"},
		{"40-bit PCM", riffWAVE(with(func(f *fmtChunk) { f.bits = 40 }), data), ErrUnsupportedCodec, "PCM with 40 bits"},
		{"extensible MP3", riffWAVE(with(func(f *fmtChunk) { f.ext, f.subTag, f.validBits = true, 0x0055, 16 }), data), ErrUnsupportedCodec, "format 0x0055 (MP3)"},
		{"extensible unknown GUID", riffWAVE(chunk{id: "fmt ", body: oddGUID}, data), ErrUnsupportedCodec, "SubFormat {00000001-0000-0010-8000-00AA00389B8E}"},
		{"extensible fmt of 18 bytes", riffWAVE(chunk{id: "fmt ", body: append(with(func(f *fmtChunk) { f.tag = tagExtensible }).body, 0, 0)}, data), ErrInconsistentSize, "is 18 bytes, need 40"},
		{"extensible 12 valid bits of 8", riffWAVE(with(func(f *fmtChunk) { f.ext, f.subTag, f.bits, f.validBits = true, tagPCM, 8, 12 }), data), ErrInconsistentSize, "12 valid bits exceed the 8-bit sample container"},
		{"3 channels", riffWAVE(with(func(f *fmtChunk) { f.channels = 3 }), chunk{id: "data", body: speech[:1596]}), ErrUnsupportedChannels, "3 channels"},
		{"0 channels", riffWAVE(with(func(f *fmtChunk) { f.channels = 0 }), data), ErrInconsistentSize, "declares 0 channels"},
		{"6 kHz", riffWAVE(with(func(f *fmtChunk) { f.rate = 6000 }), data), ErrSampleRate, "6000 Hz"},
		{"96 kHz", riffWAVE(with(func(f *fmtChunk) { f.rate = 96000 }), data), ErrSampleRate, "96000 Hz"},
		{"0 Hz", riffWAVE(with(func(f *fmtChunk) { f.rate = 0 }), data), ErrSampleRate, "0 Hz"},
		{"block align mismatch", riffWAVE(with(func(f *fmtChunk) { f.blockAlign = 4 }), data), ErrInconsistentSize, "block align 4, but 1 channel(s) of 2-byte samples make 2"},
		{"fmt of 8 bytes", riffWAVE(chunk{id: "fmt ", body: mono16.bytes()[:8]}, data), ErrInconsistentSize, "is 8 bytes, need at least 16"},
		{"file ends in fmt", riffWAVE(chunk{id: "fmt ", body: mono16.bytes()[:10], size: u32(16)}), ErrInconsistentSize, "declares 16 bytes but the file ends after 10"},
		{"empty data", riffWAVE(fmtOK, chunk{id: "data"}), ErrNoFrames, "is empty"},
		{"half a frame", riffWAVE(fmtOK, chunk{id: "data", body: speech[:1599]}), ErrInconsistentSize, "1599 bytes is not a whole number of 2-byte frames"},
		{"truncated data", riffWAVE(fmtOK, chunk{id: "data", body: speech, size: u32(16000)}), ErrInconsistentSize,
			"declares 16000 bytes (1.00 s) but only 1600 bytes (0.10 s) are present"},
		{"placeholder size", riffWAVE(fmtOK, chunk{id: "data", body: speech, size: u32(0xFFFFFFFF)}), ErrInconsistentSize, "placeholder 0xFFFFFFFF"},
		{"five hours", riffWAVE(fmtOK, chunk{id: "data", body: speech, size: u32(5 * 3600 * 16000)}), ErrTooLong, "declares 5h0m0s of audio, limit is 4h0m0s"},
		{"NaN float32", riffWAVE(with(func(f *fmtChunk) { f.tag, f.bits = tagFloat, 32 }), chunk{id: "data", body: floats32}), ErrBadSample, "NaN at frame 3 (0.000 s)"},
		{"+Inf float64 stereo", riffWAVE(with(func(f *fmtChunk) { f.tag, f.bits, f.channels = tagFloat, 64, 2 }), chunk{id: "data", body: floats64}), ErrBadSample, "+Inf at frame 2"},
		{"float32 at integer scale", riffWAVE(with(func(f *fmtChunk) { f.tag, f.bits = tagFloat, 32 }), chunk{id: "data", body: intScale}), ErrBadSample, "-32768 at frame 5"},
		{"float64 beyond float32", riffWAVE(with(func(f *fmtChunk) { f.tag, f.bits = tagFloat, 64 }), chunk{id: "data", body: huge64}), ErrBadSample, "1e+300 at frame 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var msgs []string
			for _, r := range []io.Reader{bytes.NewReader(c.in), streamOnly{bytes.NewReader(c.in)}} {
				a, err := Decode(r, DecodeOptions{})
				if err == nil {
					t.Fatalf("decoded %d samples, want %v", len(a.Samples), c.want)
				}
				if !errors.Is(err, c.want) || !errors.Is(err, ErrBadAudio) {
					t.Fatalf("error %q, want one wrapping %q and ErrBadAudio", err, c.want)
				}
				if !strings.Contains(err.Error(), c.msg) {
					t.Errorf("error %q does not say %q", err, c.msg)
				}
				msgs = append(msgs, err.Error())
			}
			if msgs[0] != msgs[1] {
				t.Errorf("sized reader says %q, stream says %q", msgs[0], msgs[1])
			}
		})
	}
}

// TestDecodeDurationFromHeader checks the duration limit is applied before
// any sample is read: the data behind the header is a reader that fails.
func TestDecodeDurationFromHeader(t *testing.T) {
	head := riffWAVE(chunk{id: "fmt ", body: fmtChunk{tag: tagPCM, channels: 2, rate: 48000, bits: 24}.bytes()},
		chunk{id: "data", size: u32(6 * 48000 * 720)}) // 12 minutes of 24-bit stereo, declared only
	r := io.MultiReader(bytes.NewReader(head), iotest.ErrReader(errors.New("the data must not be read")))
	_, err := Decode(r, DecodeOptions{MaxDuration: 10 * time.Minute})
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("error %v, want ErrTooLong before the data is read", err)
	}
	if !strings.Contains(err.Error(), "declares 12m0s of audio, limit is 10m0s") {
		t.Errorf("error %q does not give the durations", err)
	}
}

// TestDecodeMaxDuration applies the limit to a real call: rejected under a
// limit shorter than the call, accepted at exactly its length.
func TestDecodeMaxDuration(t *testing.T) {
	p := loadPCM16(t, filepath.Join(sharedDir, "calls", "dev", "call-0002.wav"))
	wav := encodePCM(t, p, 16)
	length := time.Duration(p.frames()) * time.Second / time.Duration(p.rate)
	if _, err := Decode(bytes.NewReader(wav), DecodeOptions{MaxDuration: length - time.Second}); !errors.Is(err, ErrTooLong) {
		t.Errorf("limit 1 s under the call's %s: error %v, want ErrTooLong", length, err)
	}
	a, err := Decode(bytes.NewReader(wav), DecodeOptions{MaxDuration: length})
	if err != nil {
		t.Fatalf("limit equal to the call's %s: %v", length, err)
	}
	if d := a.Duration(); d < length-time.Millisecond || d > length+time.Millisecond {
		t.Errorf("decoded %s, want %s", d, length)
	}
}

// TestDecodeReadError checks a failing reader is reported as itself, not as
// bad audio: the file may be fine and worth another try.
func TestDecodeReadError(t *testing.T) {
	wav := riffWAVE(chunk{id: "fmt ", body: fmtChunk{tag: tagPCM, channels: 1, rate: 8000, bits: 16}.bytes()},
		chunk{id: "data", body: callSpeech(t)})
	cause := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(wav[:100]), iotest.ErrReader(cause))
	_, err := Decode(r, DecodeOptions{})
	if !errors.Is(err, cause) || errors.Is(err, ErrBadAudio) {
		t.Fatalf("error %v, want one wrapping the reader's error and not ErrBadAudio", err)
	}
}
