package transcribe

import (
	"encoding/binary"
	"math"
)

// sampleReader expands interleaved data-chunk bytes into one float32 slice
// per channel, scaled to [-1, 1). Integer PCM is divided by 2^(bits-1) of
// its container, which is right for both plain PCM and the left-justified
// samples of WAVE_FORMAT_EXTENSIBLE (a 20-bit sample in a 24-bit container
// has its low 4 bits zero). Float samples are passed through unscaled, once
// checked to lie within ±maxFloatSample.
type sampleReader struct {
	f     waveFormat
	table *[256]float32 // G.711 expansion; nil for other formats
}

func newSampleReader(f waveFormat) *sampleReader {
	s := &sampleReader{f: f}
	switch f.tag {
	case tagMuLaw:
		s.table = g711Table(muLawToLinear)
	case tagALaw:
		s.table = g711Table(aLawToLinear)
	}
	return s
}

// read fills dst[c][:frames] from src, which holds exactly frames frames.
// For float formats it reports the first frame holding a sample that is
// NaN, ±Inf or beyond ±maxFloatSample, and that sample; bad is -1 when
// there is none.
func (s *sampleReader) read(dst [][]float32, src []byte) (bad int, value float64) {
	stride := s.f.blockAlign
	width := s.f.sampleBytes()
	bad = -1
	for c := range dst {
		d := dst[c]
		off := c * width
		i, v := -1, 0.0
		switch {
		case s.table != nil:
			expandTable(d, src, stride, off, s.table)
		case s.f.tag == tagFloat && width == 4:
			i, v = readFloat32(d, src, stride, off)
		case s.f.tag == tagFloat:
			i, v = readFloat64(d, src, stride, off)
		case width == 1:
			readPCM8(d, src, stride, off)
		case width == 2:
			readPCM16(d, src, stride, off)
		case width == 3:
			readPCM24(d, src, stride, off)
		default:
			readPCM32(d, src, stride, off)
		}
		if i >= 0 && (bad < 0 || i < bad) {
			bad, value = i, v
		}
	}
	return bad, value
}

// readPCM8 reads unsigned 8-bit samples, whose silence is 128.
func readPCM8(d []float32, src []byte, stride, off int) {
	for i := range d {
		d[i] = (float32(src[i*stride+off]) - 128) * (1.0 / 128)
	}
}

func readPCM16(d []float32, src []byte, stride, off int) {
	for i := range d {
		j := i*stride + off
		d[i] = float32(int16(binary.LittleEndian.Uint16(src[j:j+2]))) * (1.0 / 32768)
	}
}

// readPCM24 places the three bytes in the top of an int32 so the sign comes
// for free, then scales by 2^31.
func readPCM24(d []float32, src []byte, stride, off int) {
	for i := range d {
		j := i*stride + off
		b := src[j : j+3]
		v := int32(uint32(b[0])<<8 | uint32(b[1])<<16 | uint32(b[2])<<24)
		d[i] = float32(v) * (1.0 / 2147483648)
	}
}

func readPCM32(d []float32, src []byte, stride, off int) {
	for i := range d {
		j := i*stride + off
		d[i] = float32(int32(binary.LittleEndian.Uint32(src[j:j+4]))) * (1.0 / 2147483648)
	}
}

func expandTable(d []float32, src []byte, stride, off int, t *[256]float32) {
	for i := range d {
		d[i] = t[src[i*stride+off]]
	}
}

// maxFloatSample bounds float samples: full scale is ±1 and mastering tools
// allow some overrange, but no recording reaches +24 dBFS. Beyond it is a
// corrupt file, or one written with integer-scale values (±32768) as floats,
// which Whisper would hear as solid clipping.
const maxFloatSample = 16

// readFloat32 returns the first index whose sample is NaN, ±Inf or beyond
// ±maxFloatSample, and that sample; the index is -1 when there is none.
func readFloat32(d []float32, src []byte, stride, off int) (int, float64) {
	bad, badV := -1, 0.0
	for i := range d {
		j := i*stride + off
		v := math.Float32frombits(binary.LittleEndian.Uint32(src[j : j+4]))
		if !(v >= -maxFloatSample && v <= maxFloatSample) && bad < 0 { // false for NaN too
			bad, badV = i, float64(v)
		}
		d[i] = v
	}
	return bad, badV
}

// readFloat64 is readFloat32 for 64-bit samples, narrowed to the float32
// that is all Whisper takes.
func readFloat64(d []float32, src []byte, stride, off int) (int, float64) {
	bad, badV := -1, 0.0
	for i := range d {
		j := i*stride + off
		v := math.Float64frombits(binary.LittleEndian.Uint64(src[j : j+8]))
		if !(v >= -maxFloatSample && v <= maxFloatSample) && bad < 0 {
			bad, badV = i, v
		}
		d[i] = float32(v)
	}
	return bad, badV
}
