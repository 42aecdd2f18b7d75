package transcribe

import (
	"encoding/binary"
	"fmt"
	"io"
)

// This file reads and checks the fmt chunk: which codec, how many channels,
// what rate, and whether its sizes agree with each other.

// Format tags from the fmt chunk (mmreg.h WAVE_FORMAT_* values).
const (
	tagPCM        = 0x0001
	tagFloat      = 0x0003
	tagALaw       = 0x0006
	tagMuLaw      = 0x0007
	tagExtensible = 0xFFFE
)

// waveFormat is the fmt chunk reduced to what sample decoding needs.
type waveFormat struct {
	tag        uint16 // effective tag: the SubFormat's for WAVE_FORMAT_EXTENSIBLE
	extensible bool
	channels   int
	rate       int
	blockAlign int // bytes per frame, all channels
	bits       int // bits per sample as declared (container bits for extensible)
	validBits  int // WAVE_FORMAT_EXTENSIBLE's wValidBitsPerSample; 0 otherwise
}

// sampleBytes is the size of one channel's sample in the data chunk.
func (f waveFormat) sampleBytes() int { return (f.bits + 7) / 8 }

// readFormat reads a fmt chunk of the declared size and checks that it
// describes audio Decode can expand.
func readFormat(r *offsetReader, size, at int64) (waveFormat, error) {
	if size < 16 {
		return waveFormat{}, fmt.Errorf("%w: fmt chunk at byte %d is %d bytes, need at least 16", ErrInconsistentSize, at, size)
	}
	// Only the first 40 bytes (the WAVE_FORMAT_EXTENSIBLE layout) mean
	// anything to us; a larger chunk's tail is skipped, not buffered.
	var b [40]byte
	keep := min(size, int64(len(b)))
	if n, err := io.ReadFull(r, b[:keep]); err != nil {
		if isShort(err) {
			return waveFormat{}, fmt.Errorf("%w: fmt chunk at byte %d declares %d bytes but the file ends after %d",
				ErrInconsistentSize, at, size, n)
		}
		return waveFormat{}, fmt.Errorf("read fmt chunk at byte %d: %w", at, err)
	}
	if rest := size - keep; rest > 0 {
		if n, err := io.CopyN(io.Discard, r, rest); err != nil {
			if isShort(err) {
				return waveFormat{}, fmt.Errorf("%w: fmt chunk at byte %d declares %d bytes but the file ends after %d",
					ErrInconsistentSize, at, size, keep+n)
			}
			return waveFormat{}, fmt.Errorf("read fmt chunk at byte %d: %w", at, err)
		}
	}
	if err := skipPad(r, size); err != nil {
		return waveFormat{}, fmt.Errorf("read fmt chunk at byte %d: %w", at, err)
	}

	le := binary.LittleEndian
	f := waveFormat{
		tag:        le.Uint16(b[0:2]),
		channels:   int(le.Uint16(b[2:4])),
		rate:       int(le.Uint32(b[4:8])),
		blockAlign: int(le.Uint16(b[12:14])),
		bits:       int(le.Uint16(b[14:16])),
	}
	// b[8:12], the average byte rate, is not used: writers get it wrong and
	// the duration follows from the data size and the block align.
	if f.tag == tagExtensible {
		if err := readExtensible(&f, b[:keep]); err != nil {
			return waveFormat{}, err
		}
	}
	if err := f.check(); err != nil {
		return waveFormat{}, err
	}
	return f, nil
}

// readExtensible replaces the WAVE_FORMAT_EXTENSIBLE tag with the format
// named by the SubFormat GUID. A SubFormat for a WAVEFORMATEX tag is that tag
// in the GUID's first two bytes followed by the fixed tail
// -0000-0010-8000-00AA00389B71 (KSDATAFORMAT_SUBTYPE_PCM and friends).
func readExtensible(f *waveFormat, b []byte) error {
	le := binary.LittleEndian
	if len(b) < 40 {
		return fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE fmt chunk is %d bytes, need 40", ErrInconsistentSize, len(b))
	}
	if cb := le.Uint16(b[16:18]); cb < 22 {
		return fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE extension is %d bytes, need 22", ErrInconsistentSize, cb)
	}
	f.extensible = true
	f.validBits = int(le.Uint16(b[18:20]))
	// b[20:24] is the speaker mask; channels are kept in file order
	// whatever positions it names.
	guid := b[24:40]
	tail := [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}
	if [14]byte(guid[2:16]) != tail {
		return fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE with SubFormat %s", ErrUnsupportedCodec, formatGUID(guid))
	}
	f.tag = le.Uint16(guid[0:2])
	if f.tag == tagExtensible {
		return fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE whose SubFormat is itself extensible", ErrUnsupportedCodec)
	}
	return nil
}

// formatGUID writes a GUID stored in Microsoft's mixed-endian layout the way
// Windows headers and tools print it.
func formatGUID(g []byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("{%08X-%04X-%04X-%X-%X}", le.Uint32(g[0:4]), le.Uint16(g[4:6]), le.Uint16(g[6:8]), g[8:10], g[10:16])
}

// check rejects formats Decode cannot expand, and headers whose numbers
// contradict each other.
func (f waveFormat) check() error {
	switch {
	case f.channels == 0:
		return fmt.Errorf("%w: fmt chunk declares 0 channels", ErrInconsistentSize)
	case f.channels > 2:
		return fmt.Errorf("%w: %d channels; only mono and stereo recordings are accepted", ErrUnsupportedChannels, f.channels)
	case f.rate < MinSourceRate || f.rate > MaxSourceRate:
		return fmt.Errorf("%w: %d Hz; accepted range is %d–%d Hz", ErrSampleRate, f.rate, MinSourceRate, MaxSourceRate)
	}
	switch f.tag {
	case tagPCM:
		if f.bits < 1 || f.bits > 32 {
			return fmt.Errorf("%w: PCM with %d bits per sample", ErrUnsupportedCodec, f.bits)
		}
	case tagFloat:
		if f.bits != 32 && f.bits != 64 {
			return fmt.Errorf("%w: IEEE float with %d bits per sample", ErrUnsupportedCodec, f.bits)
		}
	case tagMuLaw, tagALaw:
		if f.bits != 8 {
			return fmt.Errorf("%w: G.711 %s with %d bits per sample", ErrUnsupportedCodec, f.name(), f.bits)
		}
	default:
		return fmt.Errorf("%w: format 0x%04X (%s)", ErrUnsupportedCodec, f.tag, codecName(f.tag))
	}
	if f.extensible && f.bits%8 != 0 {
		return fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE container of %d bits is not whole bytes", ErrInconsistentSize, f.bits)
	}
	if f.validBits > f.bits {
		return fmt.Errorf("%w: %d valid bits exceed the %d-bit sample container", ErrInconsistentSize, f.validBits, f.bits)
	}
	if want := f.channels * f.sampleBytes(); f.blockAlign != want {
		return fmt.Errorf("%w: block align %d, but %d channel(s) of %d-byte samples make %d",
			ErrInconsistentSize, f.blockAlign, f.channels, f.sampleBytes(), want)
	}
	return nil
}

// name is the Audio.SourceFormat for this format.
func (f waveFormat) name() string {
	switch f.tag {
	case tagFloat:
		return fmt.Sprintf("float%d", f.bits)
	case tagMuLaw:
		return "mulaw"
	case tagALaw:
		return "alaw"
	}
	if f.validBits > 0 {
		return fmt.Sprintf("pcm%d", f.validBits)
	}
	return fmt.Sprintf("pcm%d", f.bits)
}

// codecName names the compressed formats call recorders and sound tools
// are known to put in WAV files, so the rejection says what the file holds.
func codecName(tag uint16) string {
	switch tag {
	case 0x0000:
		return "unknown/invalid"
	case 0x0002:
		return "Microsoft ADPCM"
	case 0x0011:
		return "IMA ADPCM"
	case 0x0014:
		return "G.723 ADPCM"
	case 0x0022:
		return "DSP Group TrueSpeech"
	case 0x0031:
		return "GSM 6.10"
	case 0x0050:
		return "MPEG"
	case 0x0055:
		return "MP3"
	}
	return "unrecognised"
}
