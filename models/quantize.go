package models

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// Quantisation writes a copy of a whisper.cpp model with its 2-D weight
// matrices in a block format: q8_0 (32 weights as int8 with one half
// scale: 34 bytes instead of 64) or q5_1 (5 bits with a half scale and
// minimum: 24 bytes). The arithmetic follows ggml's reference quantisers
// (quantize_row_q8_0_ref, quantize_row_q5_1_ref) and the choice of tensors
// follows whisper.cpp's quantize tool, so the file is byte for byte the one
// Debian's whisper-quantize writes from the same input (TestQuantize
// compares them); doing it here keeps `models quantize` a plain Go
// command that needs no whisper.cpp tools on the host.

// QuantTypes are the formats Quantize writes. The K-quants (q6_k, q5_k,
// q4_k; see quantk.go) need rows of whole 256-weight blocks: base and
// larger models, not tiny (384).
var QuantTypes = []string{"q8_0", "q6_k", "q5_k", "q5_1", "q4_k"}

// ErrBlockRows is returned when a model's weight rows are not whole blocks
// of the format (the K-quants' 256 weights against tiny's 384).
var ErrBlockRows = errors.New("rows are not whole blocks of the format")

// quantFormat is one block format.
type quantFormat struct {
	typ   ggmlType
	ftype int32 // the header's GGML_FTYPE_MOSTLY_*
	n     int   // weights per block
	block func(dst []byte, x []float32)
}

func quantFormatFor(name string) (quantFormat, bool) {
	switch name {
	case "q8_0":
		return quantFormat{typ: 8, ftype: 7, n: 32, block: blockQ8_0}, true
	case "q5_1":
		return quantFormat{typ: 7, ftype: 9, n: 32, block: blockQ5_1}, true
	case "q4_k":
		return quantFormat{typ: 12, ftype: 12, n: qkK, block: blockQ4K}, true
	case "q5_k":
		return quantFormat{typ: 13, ftype: 13, n: qkK, block: blockQ5K}, true
	case "q6_k":
		return quantFormat{typ: 14, ftype: 14, n: qkK, block: blockQ6K}, true
	}
	return quantFormat{}, false
}

// ggmlQuantVersion is ggml's GGML_QNT_VERSION; a quantised file's header
// ftype is 1000*version + ftype, as whisper.cpp expects.
const ggmlQuantVersion = 2

// quantSkip are tensors whisper.cpp's quantize tool leaves as they are:
// small, and the positional embeddings lose too much.
var quantSkip = []string{"encoder.conv1.bias", "encoder.conv2.bias", "encoder.positional_embedding", "decoder.positional_embedding"}

// QuantizedName is the catalogue-style name of a quantised model:
// "base" and "q8_0" give "base-q8_0" (file ggml-base-q8_0.bin).
func QuantizedName(name, typ string) string { return name + "-" + typ }

// Quantize writes src's model quantised to typ at dst (through a temporary
// file, renamed when complete) and checks the result.
func Quantize(src, dst, typ string) (Info, error) {
	qf, ok := quantFormatFor(typ)
	if !ok {
		return Info{}, fmt.Errorf("quantize: unknown type %q; known: %v", typ, QuantTypes)
	}
	in, err := os.Open(src)
	if err != nil {
		return Info{}, fmt.Errorf("quantize: %w", err)
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".quantize-*")
	if err != nil {
		return Info{}, fmt.Errorf("quantize: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := quantizeTo(in, tmp, qf); err != nil {
		tmp.Close()
		return Info{}, fmt.Errorf("quantize %s to %s: %w", src, typ, err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("quantize: %w", err)
	}
	info, err := Check(tmp.Name())
	if err != nil {
		return Info{}, fmt.Errorf("quantize %s: the result does not check: %w", src, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Info{}, fmt.Errorf("quantize: %w", err)
	}
	info.Path = dst
	return info, nil
}

// quantizeTo copies the model from in to out, quantising what whisper.cpp
// would.
func quantizeTo(in *os.File, out io.Writer, qf quantFormat) error {
	h, err := readGGMLHeader(in, true)
	if err != nil {
		return err
	}
	if h.FType != 0 && h.FType != 1 {
		return fmt.Errorf("the model is already quantised (ftype %d); quantise the f16 model", h.FType)
	}
	hp := h.Hparams
	hp.FType = ggmlQuantVersion*1000 + qf.ftype
	w := newGGMLWriter(out)
	w.header(hp, h.Mel, h.MelRows, h.MelCols, h.Vocab)
	for off := h.Size; ; {
		t, err := readTensorHeader(in, off)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		raw := make([]byte, t.Size)
		if _, err := in.ReadAt(raw, t.Offset); err != nil {
			return fmt.Errorf("tensor %s: %w", t.Name, eofIsTruncation(err))
		}
		shape := make([]int, len(t.Ne)) // numpy order, as the writer wants
		for i, d := range t.Ne {
			shape[len(t.Ne)-1-i] = int(d)
		}
		typ, data := t.Type, raw
		if len(t.Ne) == 2 && !slices.Contains(quantSkip, t.Name) && (t.Type == ggmlF16 || t.Type == ggmlF32) {
			// whisper-quantize quantises such a tensor as one flat run of
			// blocks, and whisper.cpp then refuses the file ("has wrong
			// size"); refusing here says why.
			if t.Ne[0]%int64(qf.n) != 0 {
				return fmt.Errorf("tensor %s: rows of %d weights are not whole %d-weight blocks: %w", t.Name, t.Ne[0], qf.n, ErrBlockRows)
			}
			typ, data = qf.typ, quantizeRows(widen(t.Type, raw), qf)
		}
		w.tensor(t.Name, shape, typ, data)
		off = t.Offset + t.Size
	}
	if err := w.flush(); err != nil {
		return err
	}
	return nil
}

// widen reads f16 or f32 data as float32 (exactly).
func widen(t ggmlType, raw []byte) []float32 {
	if t == ggmlF32 {
		x := make([]float32, len(raw)/4)
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return x
	}
	x := make([]float32, len(raw)/2)
	for i := range x {
		x[i] = f16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return x
}

// quantizeRows quantises x block by block.
func quantizeRows(x []float32, qf quantFormat) []byte {
	_, size, _ := ggmlTypeSize(qf.typ)
	n := qf.n
	out := make([]byte, int64(len(x)/n)*size)
	for b := 0; b < len(x)/n; b++ {
		qf.block(out[int64(b)*size:int64(b+1)*size], x[n*b:n*b+n])
	}
	return out
}

// blockQ8_0 is ggml's quantize_row_q8_0_ref for one block: scale
// d = max|x|/127, weights round(x/d) (halves away from zero, as roundf).
func blockQ8_0(dst []byte, x []float32) {
	var amax float32
	for _, v := range x {
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(dst, f32ToF16(d))
	for j, v := range x {
		dst[2+j] = byte(int8(math.Round(float64(float32(v * id)))))
	}
}

// blockQ5_1 is ggml's quantize_row_q5_1_ref for one block: scale
// d = (max-min)/31 and minimum m as halves, then 5-bit codes
// (x-min)/d + 0.5 truncated: the low 4 bits packed two to a byte (weights
// j and j+16), the fifth bits in a 32-bit mask.
func blockQ5_1(dst []byte, x []float32) {
	lo, hi := float32(math.MaxFloat32), float32(-math.MaxFloat32)
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	d := (hi - lo) / 31
	var id float32
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(dst[0:], f32ToF16(d))
	binary.LittleEndian.PutUint16(dst[2:], f32ToF16(lo))
	var qh uint32
	for j := 0; j < 16; j++ {
		x0 := float32((x[j] - lo) * id)
		x1 := float32((x[16+j] - lo) * id)
		xi0, xi1 := uint8(float32(x0+0.5)), uint8(float32(x1+0.5))
		dst[8+j] = xi0&0x0f | (xi1&0x0f)<<4
		qh |= uint32(xi0&0x10>>4) << j
		qh |= uint32(xi1&0x10>>4) << (j + 16)
	}
	binary.LittleEndian.PutUint32(dst[4:], qh)
}

// CheckQuantized compares the file at path with the checksum recorded for
// the quantised model name ("base-q4_k"): recorded is false when there is
// none, and a recorded checksum that differs is an error.
func CheckQuantized(name, path string) (sum string, recorded bool, err error) {
	sum, err = FileSHA256(path)
	if err != nil {
		return "", false, err
	}
	_, _, want, ok := LookupQuantized(name)
	if !ok {
		return sum, false, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", true, err
	}
	if sum != want.SHA256 || fi.Size() != want.Size {
		return sum, true, fmt.Errorf("%s: sha256 %s (%d bytes) differs from the recorded %s (%d bytes) for %s: was the source model changed?",
			path, sum, fi.Size(), want.SHA256, want.Size, name)
	}
	return sum, true, nil
}
