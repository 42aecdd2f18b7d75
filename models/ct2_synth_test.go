package models

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The tests here build small synthetic CTranslate2 Whisper checkpoints
// (state width 8, 2 heads, one encoder and one decoder block) with known
// values, written in model.bin format by writeCT2 below, so the importer's
// every mapping can be checked without a real model.

type testVar struct {
	name  string
	dims  []int
	dtype ct2DType
	data  []byte
}

// writeCT2 writes a model.bin (binary version 6).
func writeCT2(t *testing.T, vars []testVar, aliases [][2]string) []byte {
	t.Helper()
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	str := func(s string) { le(uint16(len(s) + 1)); b.WriteString(s); b.WriteByte(0) }
	le(int32(6))
	str("WhisperSpec")
	le(int32(3))
	le(uint32(len(vars)))
	for _, v := range vars {
		str(v.name)
		le(uint8(len(v.dims)))
		for _, d := range v.dims {
			le(uint32(d))
		}
		le(uint8(v.dtype))
		le(uint32(len(v.data)))
		b.Write(v.data)
	}
	le(uint32(len(aliases)))
	for _, a := range aliases {
		str(a[0])
		str(a[1])
	}
	return b.Bytes()
}

// synthValue is the value of element i of variable name: distinct per
// variable and exactly representable in float16.
func synthValue(name string, i int) float32 {
	h := 0
	for _, c := range name {
		h = h*31 + int(c)
	}
	return float32((h+i*7)%61-30) / 16
}

type synthOptions struct {
	dtype        ct2DType // of the weights: f16, f32, bf16 or i8 (with weight_scale)
	keyBias      float32  // value put in the fused key-bias slice (Whisper: 0)
	dropVar      string   // leave this variable out
	melBins      int
	vocabRows    int
	multilingual bool
}

const synthState, synthHeads = 8, 2

// synthCheckpoint returns the variables of a tiny Whisper checkpoint.
func synthCheckpoint(o synthOptions) []testVar {
	if o.melBins == 0 {
		o.melBins = 80
	}
	if o.vocabRows == 0 {
		o.vocabRows = 51864
		if o.multilingual {
			o.vocabRows = 51865
		}
	}
	if o.dtype == 0 {
		o.dtype = ct2F16
	}
	s := synthState
	var vars []testVar
	add := func(name string, dims ...int) {
		if name == o.dropVar {
			return
		}
		n := 1
		for _, d := range dims {
			n *= d
		}
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = synthValue(name, i)
		}
		if strings.HasSuffix(name, "linear_0/bias") && strings.Contains(name, "self_attention") {
			for i := s; i < 2*s; i++ {
				vals[i] = o.keyBias
			}
		}
		if strings.HasSuffix(name, "attention/linear_1/bias") && !strings.Contains(name, "self_") {
			for i := 0; i < s; i++ {
				vals[i] = o.keyBias
			}
		}
		isWeight := strings.HasSuffix(name, "/weight") && len(dims) == 2
		if isWeight && o.dtype == ct2I8 {
			// Values are multiples of 1/16 in [-30/16, 30/16]: with scale 16
			// they quantize exactly.
			q := make([]byte, n)
			for i, v := range vals {
				q[i] = byte(int8(v * 16))
			}
			scale := make([]float32, dims[0])
			for i := range scale {
				scale[i] = 16
			}
			vars = append(vars, testVar{name, dims, ct2I8, q}, testVar{name + "_scale", []int{dims[0]}, ct2F32, f32Bytes(scale)})
			return
		}
		dt := o.dtype
		if dt == ct2I8 {
			dt = ct2F16
		}
		vars = append(vars, testVar{name, dims, dt, encodeAs(vals, dt)})
	}
	scalar := func(name string, dt ct2DType, v int) {
		b := make([]byte, dt.size())
		switch dt.size() {
		case 1:
			b[0] = byte(v)
		case 2:
			binary.LittleEndian.PutUint16(b, uint16(v))
		}
		vars = append(vars, testVar{name, nil, dt, b})
	}
	// Decoder first, as CTranslate2 sorts names.
	scalar("decoder/activation", ct2I8, 1)
	add("decoder/embeddings/weight", o.vocabRows, s)
	for _, m := range []string{"attention", "self_attention"} {
		p := "decoder/layer_0/" + m + "/"
		add(p+"layer_norm/beta", s)
		add(p+"layer_norm/gamma", s)
		if m == "attention" {
			add(p+"linear_0/bias", s)
			add(p+"linear_0/weight", s, s)
			add(p+"linear_1/bias", 2*s)
			add(p+"linear_1/weight", 2*s, s)
			add(p+"linear_2/bias", s)
			add(p+"linear_2/weight", s, s)
		} else {
			add(p+"linear_0/bias", 3*s)
			add(p+"linear_0/weight", 3*s, s)
			add(p+"linear_1/bias", s)
			add(p+"linear_1/weight", s, s)
		}
	}
	ffn := func(p string) {
		add(p+"ffn/layer_norm/beta", s)
		add(p+"ffn/layer_norm/gamma", s)
		add(p+"ffn/linear_0/bias", 4*s)
		add(p+"ffn/linear_0/weight", 4*s, s)
		add(p+"ffn/linear_1/bias", s)
		add(p+"ffn/linear_1/weight", s, 4*s)
	}
	ffn("decoder/layer_0/")
	add("decoder/layer_norm/beta", s)
	add("decoder/layer_norm/gamma", s)
	scalar("decoder/num_heads", ct2I16, synthHeads)
	add("decoder/position_encodings/encodings", 4, s)
	scalar("decoder/scale_embeddings", ct2I8, 0)
	add("encoder/conv1/bias", s)
	add("encoder/conv1/weight", s, o.melBins, 3)
	add("encoder/conv2/bias", s)
	add("encoder/conv2/weight", s, s, 3)
	ffn("encoder/layer_0/")
	add("encoder/layer_0/self_attention/layer_norm/beta", s)
	add("encoder/layer_0/self_attention/layer_norm/gamma", s)
	add("encoder/layer_0/self_attention/linear_0/bias", 3*s)
	add("encoder/layer_0/self_attention/linear_0/weight", 3*s, s)
	add("encoder/layer_0/self_attention/linear_1/bias", s)
	add("encoder/layer_0/self_attention/linear_1/weight", s, s)
	add("encoder/layer_norm/beta", s)
	add("encoder/layer_norm/gamma", s)
	scalar("encoder/num_heads", ct2I16, synthHeads)
	add("encoder/position_encodings/encodings", 6, s)
	return vars
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func encodeAs(vals []float32, dt ct2DType) []byte {
	switch dt {
	case ct2F32:
		return f32Bytes(vals)
	case ct2BF16:
		b := make([]byte, 2*len(vals))
		for i, f := range vals {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(math.Float32bits(f)>>16))
		}
		return b
	}
	b := make([]byte, 2*len(vals))
	for i, f := range vals {
		binary.LittleEndian.PutUint16(b[2*i:], f32ToF16(f))
	}
	return b
}

// synthVocabulary is a Whisper-shaped vocabulary.txt: the ordinary tokens
// (50256, or 50257 with an empty one last for multilingual), then the
// special tokens up to rows.
func synthVocabulary(rows int, multilingual bool) string {
	var b strings.Builder
	n := 50256
	if multilingual {
		n = 50257
	}
	for i := 0; i < n; i++ {
		switch {
		case i == 0:
			b.WriteString("Ġthe")
		case multilingual && i == n-1:
			// the empty token
		default:
			b.WriteString("t" + strconv.Itoa(i))
		}
		b.WriteByte('\n')
	}
	b.WriteString(eotToken + "\n")
	for i := n + 1; i < rows; i++ {
		fmt.Fprintf(&b, "<|special%d|>\n", i)
	}
	return b.String()
}

// writeSynthDir writes a checkpoint folder; parts > 1 splits model.bin.
func writeSynthDir(t *testing.T, dir string, o synthOptions, parts int) {
	t.Helper()
	vars := synthCheckpoint(o)
	rows := 51864
	if o.multilingual {
		rows = 51865
	}
	model := writeCT2(t, vars, [][2]string{{"decoder/projection/weight", "decoder/embeddings/weight"}})
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if parts <= 1 {
		write("model.bin", model)
	} else {
		size := (len(model) + parts - 1) / parts
		for i := 0; i < parts; i++ {
			write("model.bin.part"+strconv.Itoa(i+1), model[i*size:min(len(model), (i+1)*size)])
		}
	}
	write("vocabulary.txt", []byte(synthVocabulary(rows, o.multilingual)))
	write("config.json", []byte(`{"suppress_ids": []}`))
}

// zipFiles packs files (name in zip → path on disk) into a wheel-like archive.
func zipFiles(t *testing.T, out string, files map[string]string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}
