package models

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests build a small silero-vad wheel: a TorchScript archive written
// here (pickle opcodes by hand, storages, class code) in the wheel's layout,
// with the 16 kHz model's tensors, a decoy 8 kHz model, a transposed and
// an offset view, and values that test float16 rounding. The conversion is
// then read back field by field.

// pk writes protocol-2 pickle opcodes.
type pk struct{ bytes.Buffer }

func (p *pk) str(s string) {
	p.WriteByte('X')
	binary.Write(p, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
}

func (p *pk) int(n int) {
	p.WriteByte('J')
	binary.Write(p, binary.LittleEndian, int32(n))
}

func (p *pk) global(mod, name string) { fmt.Fprintf(p, "c%s\n%s\n", mod, name) }

func (p *pk) ints(ns []int) {
	p.WriteByte('(')
	for _, n := range ns {
		p.int(n)
	}
	p.WriteByte('t')
}

// synObj is a scripted module; synTensor a view of a storage.
type synObj struct {
	class string
	attrs [][2]any // name, value (*synObj or synTensor)
}

type synTensor struct {
	key           string
	numel         int // of the storage
	offset        int
	shape, stride []int
}

func (p *pk) value(v any) {
	switch v := v.(type) {
	case *synObj:
		p.global("__torch__.m", v.class)
		p.WriteString(")\x81}(")
		for _, a := range v.attrs {
			p.str(a[0].(string))
			p.value(a[1])
		}
		p.WriteString("ub")
	case synTensor:
		p.global("torch._utils", "_rebuild_tensor_v2")
		p.WriteString("((")
		p.str("storage")
		p.global("torch", "FloatStorage")
		p.str(v.key)
		p.str("cpu")
		p.int(v.numel)
		p.WriteString("tQ")
		p.int(v.offset)
		p.ints(v.shape)
		p.ints(v.stride)
		p.WriteByte(0x89)
		p.global("collections", "OrderedDict")
		p.WriteString(")Rt" + "R")
	default:
		panic(fmt.Sprintf("synthetic pickle: %T", v))
	}
}

const synCode = `class Conv1d(Module):
  __parameters__ = ["weight", "bias", ]
  __buffers__ = []
class LSTMCell(Module):
  __parameters__ = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", ]
  __buffers__ = []
class STFT(Module):
  __parameters__ = []
  __buffers__ = ["forward_basis_buffer", ]
class Plain(Module):
  __parameters__ = []
  __buffers__ = []
`

// synValue is element i of the tensor numbered k: distinct everywhere,
// with a few values whose float16 rounding is known.
func synValue(k, i int) float32 {
	switch i {
	case 1:
		return 1 + 1.0/2048 // a tie: rounds to even, 1.0
	case 2:
		return 1 + 3.0/2048 // a tie: rounds up to 1+2^-9
	case 3:
		return 70000 // beyond float16: +Inf
	}
	return float32(k+1)*0.25 + float32(i)*1e-4
}

// synModel builds the module tree and storages; mutate edits the tree
// before it is pickled (for the failure cases).
func synModel(mutate func(root, model *synObj)) ([]byte, map[string][]float32) {
	storages := map[string][]float32{}
	next := 0
	// tensor lays out a logical row-major tensor k in its own storage.
	tensor := func(k int, shape ...int) synTensor {
		n, stride := 1, make([]int, len(shape))
		for i := len(shape) - 1; i >= 0; i-- {
			stride[i], n = n, n*shape[i]
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = synValue(k, i)
		}
		key := fmt.Sprint(next)
		next++
		storages[key] = data
		return synTensor{key: key, numel: n, shape: shape, stride: stride}
	}
	conv := func(k, out, in, kw int) *synObj {
		return &synObj{"Conv1d", [][2]any{{"weight", tensor(k, out, in, kw)}, {"bias", tensor(k+1, out)}}}
	}
	enc := &synObj{class: "Plain"}
	chans := [][2]int{{129, 128}, {128, 64}, {64, 64}, {64, 128}}
	for i, c := range chans {
		block := &synObj{"Plain", [][2]any{{"reparam_conv", conv(2*i, c[1], c[0], 3)}}}
		enc.attrs = append(enc.attrs, [2]any{fmt.Sprint(i), block})
	}
	// weight_ih is stored transposed (a non-contiguous view); both biases
	// share one storage at different offsets.
	wih := tensor(8, 128, 512)
	wih.shape, wih.stride = []int{512, 128}, []int{1, 512}
	biases := tensor(10, 1024)
	bih, bhh := biases, biases
	bih.shape, bhh.shape, bhh.offset = []int{512}, []int{512}, 512
	rnn := &synObj{"LSTMCell", [][2]any{{"weight_ih", wih}, {"weight_hh", tensor(9, 512, 128)}, {"bias_ih", bih}, {"bias_hh", bhh}}}
	dec := &synObj{"Plain", [][2]any{{"rnn", rnn}, {"decoder", &synObj{"Plain", [][2]any{{"2", conv(12, 1, 128, 1)}}}}}}
	stft := &synObj{"STFT", [][2]any{{"forward_basis_buffer", tensor(14, 258, 1, 256)}}}
	model := &synObj{"Plain", [][2]any{{"stft", stft}, {"encoder", enc}, {"decoder", dec}}}
	decoy := &synObj{"Plain", [][2]any{{"encoder", &synObj{"Plain", [][2]any{{"0", conv(20, 128, 129, 3)}}}}}}
	root := &synObj{"Plain", [][2]any{{"_state", tensor(22, 2, 1, 128)}, {"_model_8k", decoy}, {"_model", model}}}
	if mutate != nil {
		mutate(root, model)
	}
	var p pk
	p.WriteString("\x80\x02")
	p.value(root)
	p.WriteByte('.')
	return p.Bytes(), storages
}

// synWheel writes a silero-vad wheel of the given version holding the
// synthetic model, and returns its path and the storages.
func synWheel(t *testing.T, version string, mutate func(root, model *synObj)) (string, map[string][]float32) {
	t.Helper()
	pkl, storages := synModel(mutate)
	var jit bytes.Buffer
	zj := zip.NewWriter(&jit)
	add := func(z *zip.Writer, name string, data []byte) {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	add(zj, "syn/data.pkl", pkl)
	add(zj, "syn/byteorder", []byte("little"))
	add(zj, "syn/code/__torch__/m.py", []byte(synCode))
	for key, data := range storages {
		raw := make([]byte, 4*len(data))
		for i, v := range data {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		add(zj, "syn/data/"+key, raw)
	}
	if err := zj.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "silero_vad-"+version+"-py3-none-any.whl")
	var whl bytes.Buffer
	zw := zip.NewWriter(&whl)
	add(zw, "silero_vad/__init__.py", nil)
	add(zw, sileroJITPath, jit.Bytes())
	add(zw, "silero_vad-"+version+".dist-info/METADATA", []byte("Metadata-Version: 2.4\nName: silero-vad\nVersion: "+version+"\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, whl.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, storages
}

// vadFileTensor is one tensor as read back from a converted file.
type vadFileTensor struct {
	name string
	typ  int32
	dims []int32
	data []byte
}

// readVADFile parses the layout ConvertSileroVAD writes.
func readVADFile(t *testing.T, path string) (modelType string, head []int32, ts []vadFileTensor) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(b)
	i32 := func() int32 {
		var v int32
		if err := binary.Read(r, binary.LittleEndian, &v); err != nil {
			t.Fatalf("%s: truncated: %v", path, err)
		}
		return v
	}
	raw := func(n int) []byte {
		p := make([]byte, n)
		if _, err := r.Read(p); err != nil && n > 0 {
			t.Fatalf("%s: truncated: %v", path, err)
		}
		return p
	}
	if m := i32(); m != 0x67676d6c {
		t.Fatalf("magic %#x", m)
	}
	modelType = string(raw(int(i32())))
	for range 3 + 19 {
		head = append(head, i32())
	}
	for r.Len() > 0 {
		var ft vadFileTensor
		nd, nl := i32(), i32()
		ft.typ = i32()
		n := 1
		for range nd {
			ft.dims = append(ft.dims, i32())
			n *= int(ft.dims[len(ft.dims)-1])
		}
		ft.name = string(raw(int(nl)))
		ft.data = raw(n * [2]int{4, 2}[ft.typ])
		ts = append(ts, ft)
	}
	return modelType, head, ts
}

// TestConvertSileroVADLayout checks every field of the converted file:
// header, tensor order, names, types, dimensions (reversed, size-1 ones
// dropped except for the STFT basis) and values (float32 exact, float16
// rounded to nearest even), read through strided and offset views.
func TestConvertSileroVADLayout(t *testing.T) {
	whl, _ := synWheel(t, "9.8.7", nil)
	out := filepath.Join(t.TempDir(), "vad.bin")
	res, err := ConvertSileroVAD(whl, out, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "9.8.7" || res.Tensors != 15 {
		t.Errorf("result %+v", res)
	}
	if sum, _ := FileSHA256(out); sum != res.SHA256 {
		t.Errorf("result sha256 %s, file %s", res.SHA256, sum)
	}
	mt, head, ts := readVADFile(t, out)
	wantHead := []int32{9, 8, 7, 512, 64, 4, 129, 128, 3, 128, 64, 3, 64, 64, 3, 64, 128, 3, 128, 128, 128, 1}
	if mt != "silero-16k" || fmt.Sprint(head) != fmt.Sprint(wantHead) {
		t.Errorf("header %q %v, want silero-16k %v", mt, head, wantHead)
	}
	// name, type, dims, and element i's source value.
	contiguous := func(k int) func(int) float32 { return func(i int) float32 { return synValue(k, i) } }
	want := []struct {
		name string
		typ  int32
		dims []int32
		val  func(int) float32
	}{
		{"_model.encoder.0.reparam_conv.weight", 1, []int32{3, 129, 128}, contiguous(0)},
		{"_model.encoder.0.reparam_conv.bias", 0, []int32{128}, contiguous(1)},
		{"_model.encoder.1.reparam_conv.weight", 1, []int32{3, 128, 64}, contiguous(2)},
		{"_model.encoder.1.reparam_conv.bias", 0, []int32{64}, contiguous(3)},
		{"_model.encoder.2.reparam_conv.weight", 1, []int32{3, 64, 64}, contiguous(4)},
		{"_model.encoder.2.reparam_conv.bias", 0, []int32{64}, contiguous(5)},
		{"_model.encoder.3.reparam_conv.weight", 1, []int32{3, 64, 128}, contiguous(6)},
		{"_model.encoder.3.reparam_conv.bias", 0, []int32{128}, contiguous(7)},
		{"_model.decoder.rnn.weight_ih", 0, []int32{128, 512}, func(i int) float32 { return synValue(8, i/128+(i%128)*512) }},
		{"_model.decoder.rnn.weight_hh", 0, []int32{128, 512}, contiguous(9)},
		{"_model.decoder.rnn.bias_ih", 0, []int32{512}, contiguous(10)},
		{"_model.decoder.rnn.bias_hh", 0, []int32{512}, func(i int) float32 { return synValue(10, 512+i) }},
		{"_model.decoder.decoder.2.weight", 1, []int32{128}, contiguous(12)},
		{"_model.decoder.decoder.2.bias", 0, nil, contiguous(13)},
		{"_model.stft.forward_basis_buffer", 1, []int32{256, 1, 258}, contiguous(14)},
	}
	if len(ts) != len(want) {
		t.Fatalf("%d tensors, want %d", len(ts), len(want))
	}
	for i, w := range want {
		got := ts[i]
		if got.name != w.name || got.typ != w.typ || fmt.Sprint(got.dims) != fmt.Sprint(w.dims) {
			t.Errorf("tensor %d: %s type %d dims %v, want %s type %d dims %v", i, got.name, got.typ, got.dims, w.name, w.typ, w.dims)
			continue
		}
		checkVADData(t, got, w.val)
	}
	again := filepath.Join(t.TempDir(), "again.bin")
	if res2, err := ConvertSileroVAD(whl, again, ""); err != nil || res2.SHA256 != res.SHA256 {
		t.Errorf("second conversion: %v, sha256 %s vs %s", err, res2.SHA256, res.SHA256)
	}
	// The bare .jit converts the same, given the version it cannot carry.
	jit, _, err := readSileroSource(whl)
	if err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(t.TempDir(), "silero_vad.jit")
	os.WriteFile(bare, jit, 0o644)
	if res3, err := ConvertSileroVAD(bare, again, "9.8.7"); err != nil || res3.SHA256 != res.SHA256 {
		t.Errorf("from the bare .jit: %v, sha256 %s vs %s", err, res3.SHA256, res.SHA256)
	}
	if _, err := ConvertSileroVAD(bare, again, ""); err == nil || !strings.Contains(err.Error(), "MAJOR.MINOR.PATCH") {
		t.Errorf("bare .jit without a version: %v", err)
	}
}

// checkVADData compares a tensor's bytes with its source values.
func checkVADData(t *testing.T, got vadFileTensor, val func(int) float32) {
	t.Helper()
	if got.typ == 0 {
		for i := 0; i < len(got.data)/4; i++ {
			if b := binary.LittleEndian.Uint32(got.data[4*i:]); b != math.Float32bits(val(i)) {
				t.Errorf("%s[%d] = %v, want %v", got.name, i, math.Float32frombits(b), val(i))
				return
			}
		}
		return
	}
	// Elements 1-3 are the ties and the overflow: their halves are known.
	known := map[int]uint16{1: 0x3c00, 2: 0x3c02, 3: 0x7c00}
	for i := 0; i < len(got.data)/2; i++ {
		h := binary.LittleEndian.Uint16(got.data[2*i:])
		want, ok := known[i]
		if !ok {
			want = f32ToF16(val(i))
			if d := math.Abs(float64(f16ToF32(h) - val(i))); d > 1e-3*math.Abs(float64(val(i))) {
				t.Errorf("%s[%d] = %v, source %v", got.name, i, f16ToF32(h), val(i))
				return
			}
		}
		if h != want {
			t.Errorf("%s[%d] = %#04x, want %#04x", got.name, i, h, want)
			return
		}
	}
}

// TestConvertSileroVADRefuses: a tensor missing, of the wrong shape, or not
// in the state_dict (a plain attribute), or the wrong version, is an error
// that names it, and leaves no output behind.
func TestConvertSileroVADRefuses(t *testing.T) {
	cases := []struct {
		name, want string
		mutate     func(root, model *synObj)
		version    string
	}{
		{"missing", "_model.decoder.decoder.2.weight", func(_, m *synObj) {
			m.attrs[2][1].(*synObj).attrs[1][1] = &synObj{class: "Plain"}
		}, ""},
		{"shape", "has shape [128 129 2]", func(_, m *synObj) {
			conv := m.attrs[1][1].(*synObj).attrs[0][1].(*synObj).attrs[0][1].(*synObj)
			w := conv.attrs[0][1].(synTensor)
			w.shape = []int{128, 129, 2}
			conv.attrs[0][1] = w
		}, ""},
		{"not state", "neither a parameter nor a buffer", func(_, m *synObj) {
			m.attrs[0][1].(*synObj).class = "Plain"
		}, ""},
		{"version", "not 6.2.3", nil, "6.2.3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			whl, _ := synWheel(t, "9.8.7", c.mutate)
			out := filepath.Join(t.TempDir(), "vad.bin")
			_, err := ConvertSileroVAD(whl, out, c.version)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output left behind: %v", err)
			}
			if _, err := os.Stat(out + ".tmp"); !os.IsNotExist(err) {
				t.Errorf("temporary file left behind: %v", err)
			}
		})
	}
}
