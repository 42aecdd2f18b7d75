package transcribe

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// Test helpers that write real WAV bytes: go-audio/wav's encoder for plain
// integer PCM (an implementation independent of the decoder under test),
// and a small chunk writer for what it cannot write (float, G.711,
// WAVE_FORMAT_EXTENSIBLE, and deliberately broken headers).

// sharedDir is the data every developer and CI run has next to the repository.
const sharedDir = "../../shared"

// pcm is interleaved 16-bit audio read from a real recording.
type pcm struct {
	rate, channels int
	data           []int // interleaved, 16-bit range
}

func (p pcm) frames() int { return len(p.data) / p.channels }

// loadPCM16 reads a real 16-bit WAV with go-audio/wav, the reference reader.
func loadPCM16(t testing.TB, path string) pcm {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read shared recording (../shared must sit next to the repository): %v", err)
	}
	// From memory: go-audio/wav reads one sample per Read call.
	d := wav.NewDecoder(bytes.NewReader(b))
	buf, err := d.FullPCMBuffer()
	if err != nil {
		t.Fatalf("go-audio/wav reading %s: %v", path, err)
	}
	if d.BitDepth != 16 {
		t.Fatalf("%s: %d-bit, want 16", path, d.BitDepth)
	}
	return pcm{rate: int(d.SampleRate), channels: int(d.NumChans), data: buf.Data}
}

// encodePCM writes p as plain integer PCM of the given bit depth with
// go-audio/wav's encoder, converting from 16-bit (8-bit rounds to the
// nearest unsigned level; wider depths shift left, exactly).
func encodePCM(t testing.TB, p pcm, bits int) []byte {
	t.Helper()
	data := make([]int, len(p.data))
	for i, v := range p.data {
		switch bits {
		case 8:
			data[i] = min(255, int(math.Round(float64(v)/256))+128)
		case 16:
			data[i] = v
		default:
			data[i] = v << (bits - 16)
		}
	}
	path := filepath.Join(t.TempDir(), "pcm.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	e := wav.NewEncoder(f, p.rate, bits, p.channels, 1)
	buf := &audio.IntBuffer{Data: data, Format: &audio.Format{NumChannels: p.channels, SampleRate: p.rate}}
	if err := e.Write(buf); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fmtChunk is the body of a fmt chunk; ext adds the 22-byte
// WAVE_FORMAT_EXTENSIBLE extension naming subTag's standard SubFormat GUID.
type fmtChunk struct {
	tag                  uint16
	channels, rate, bits int
	blockAlign           int // 0: channels × bytes per sample
	ext                  bool
	validBits            int
	subTag               uint16
}

func (f fmtChunk) bytes() []byte {
	ba := f.blockAlign
	if ba == 0 {
		ba = f.channels * ((f.bits + 7) / 8)
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	tag := f.tag
	if f.ext {
		tag = 0xFFFE
	}
	binary.Write(&b, le, tag)
	binary.Write(&b, le, uint16(f.channels))
	binary.Write(&b, le, uint32(f.rate))
	binary.Write(&b, le, uint32(f.rate*ba))
	binary.Write(&b, le, uint16(ba))
	binary.Write(&b, le, uint16(f.bits))
	if f.ext {
		binary.Write(&b, le, uint16(22))
		binary.Write(&b, le, uint16(f.validBits))
		binary.Write(&b, le, uint32(0x3)) // front left | front right
		binary.Write(&b, le, uint32(f.subTag))
		b.Write([]byte{0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71})
	}
	return b.Bytes()
}

// chunk is one RIFF chunk; size overrides the declared size when non-nil
// (to write headers that lie about what follows).
type chunk struct {
	id   string
	body []byte
	size *uint32
}

// riffWAVE assembles a RIFF/WAVE file from chunks, adding pad bytes.
func riffWAVE(chunks ...chunk) []byte {
	var body bytes.Buffer
	body.WriteString("WAVE")
	for _, c := range chunks {
		body.WriteString(c.id)
		size := uint32(len(c.body))
		if c.size != nil {
			size = *c.size
		}
		binary.Write(&body, binary.LittleEndian, size)
		body.Write(c.body)
		if len(c.body)%2 == 1 {
			body.WriteByte(0)
		}
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes()
}

func u32(v uint32) *uint32 { return &v }

// wavFile writes samples (already encoded) under format f.
func wavFile(f fmtChunk, data []byte) []byte {
	return riffWAVE(chunk{id: "fmt ", body: f.bytes()}, chunk{id: "data", body: data})
}

// Sample encoders from 16-bit values.

func encodeFloat32(p pcm) []byte {
	b := make([]byte, 4*len(p.data))
	for i, v := range p.data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(v)/32768))
	}
	return b
}

func encodeFloat64(p pcm) []byte {
	b := make([]byte, 8*len(p.data))
	for i, v := range p.data {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(float64(v)/32768))
	}
	return b
}

func encodeInt(p pcm, bytesPer int) []byte {
	b := make([]byte, bytesPer*len(p.data))
	for i, v := range p.data {
		u := uint32(int32(v) << 16) // left-justified in 32 bits
		for k := range bytesPer {
			b[bytesPer*i+k] = byte(u >> (8 * (4 - bytesPer + k)))
		}
	}
	return b
}

// encodeG711 quantises to the code whose expansion is nearest, which is
// what G.711's decision levels (midway between output values) amount to.
func encodeG711(p pcm, expand func(byte) int16) []byte {
	b := make([]byte, len(p.data))
	for i, v := range p.data {
		best, bestErr := 0, math.MaxInt
		for c := range 256 {
			if e := abs(int(expand(byte(c))) - v); e < bestErr {
				best, bestErr = c, e
			}
		}
		b[i] = byte(best)
	}
	return b
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
