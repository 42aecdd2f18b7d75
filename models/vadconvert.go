package models

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ConvertSileroVAD writes the Silero VAD model in the ggml form whisper.cpp's
// VAD (whisper_vad_init_*, whisper-cli --vad -vm, whisper-vad-speech-segments)
// loads: the layout of whisper.cpp's models/convert-silero-vad-to-ggml.py,
// byte for byte, but read from the TorchScript file in the silero-vad wheel
// without PyTorch. All little-endian:
//
//	int32 magic 0x67676d6c; int32 len, "silero-16k"; int32 major, minor, patch
//	int32 window 512, context 64, encoder layers 4,
//	      per layer: in channels, out channels, kernel 3,
//	      LSTM input 128, hidden 128, final conv in 128, out 1
//	tensors: int32 n_dims, name length, type (0 f32, 1 f16),
//	      int32 ne[n_dims] (innermost first), name, data
//
// Tensors are the 16 kHz model's (the state_dict's _model.*, never
// _model_8k.*), in the script's order. Like the script, each tensor loses
// its dimensions of size 1 (so the final conv's bias, of shape [1], is
// written with no dimensions at all), except the STFT basis, which keeps
// all three. Convolution weights and the STFT basis are stored float16,
// rounded to nearest even as numpy's astype does; the rest float32.

// vadTensor is one tensor of the ggml VAD file.
type vadTensor struct {
	name  string
	shape []int // PyTorch's shape, checked against the source
	f16   bool
	keep  bool // keep dimensions of size 1 (the STFT basis)
}

// sileroVADTensors is the script's tensor list with the types it gives them.
func sileroVADTensors() []vadTensor {
	ts := []vadTensor{}
	enc := [][2]int{{129, 128}, {128, 64}, {64, 64}, {64, 128}} // in, out channels
	for i, c := range enc {
		p := fmt.Sprintf("_model.encoder.%d.reparam_conv.", i)
		ts = append(ts, vadTensor{name: p + "weight", shape: []int{c[1], c[0], 3}, f16: true},
			vadTensor{name: p + "bias", shape: []int{c[1]}})
	}
	return append(ts,
		vadTensor{name: "_model.decoder.rnn.weight_ih", shape: []int{512, 128}},
		vadTensor{name: "_model.decoder.rnn.weight_hh", shape: []int{512, 128}},
		vadTensor{name: "_model.decoder.rnn.bias_ih", shape: []int{512}},
		vadTensor{name: "_model.decoder.rnn.bias_hh", shape: []int{512}},
		vadTensor{name: "_model.decoder.decoder.2.weight", shape: []int{1, 128, 1}, f16: true},
		vadTensor{name: "_model.decoder.decoder.2.bias", shape: []int{1}},
		vadTensor{name: "_model.stft.forward_basis_buffer", shape: []int{258, 1, 256}, f16: true, keep: true},
	)
}

// sileroVADHeader is the int32 fields after the version: the script writes
// these constants rather than reading them from the model, and the tensor
// shapes checked above agree with them.
func sileroVADHeader() []int32 {
	return []int32{512, 64, 4, 129, 128, 3, 128, 64, 3, 64, 64, 3, 64, 128, 3, 128, 128, 128, 1}
}

// VADResult describes a converted VAD model.
type VADResult struct {
	Path    string
	Version string // silero-vad's, as written in the file
	Tensors int
	Size    int64
	SHA256  string
}

// sileroJITPath is where the silero-vad wheel keeps the TorchScript model
// that silero_vad.load_silero_vad() loads and the script converts.
const sileroJITPath = "silero_vad/data/silero_vad.jit"

// ConvertSileroVAD converts src, a silero-vad wheel (its version is read
// from its metadata) or a bare silero_vad.jit (version must then be given,
// as "6.2.3"), into dest.
func ConvertSileroVAD(src, dest, version string) (VADResult, error) {
	jit, wheelVersion, err := readSileroSource(src)
	if err != nil {
		return VADResult{}, fmt.Errorf("convert %s: %w", src, err)
	}
	if version == "" {
		version = wheelVersion
	}
	if wheelVersion != "" && version != wheelVersion {
		return VADResult{}, fmt.Errorf("convert %s: the wheel is silero-vad %s, not %s", src, wheelVersion, version)
	}
	ver, err := parseVADVersion(version)
	if err != nil {
		return VADResult{}, fmt.Errorf("convert %s: %w", src, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(jit), int64(len(jit)))
	if err != nil {
		return VADResult{}, fmt.Errorf("convert %s: reading the TorchScript zip: %w", src, err)
	}
	arch, err := openTorchScript(zr)
	if err != nil {
		return VADResult{}, fmt.Errorf("convert %s: %w", src, err)
	}
	res, err := writeVADFile(arch, dest, ver)
	if err != nil {
		return res, fmt.Errorf("convert %s: %w", src, err)
	}
	res.Version = version
	return res, nil
}

// readSileroSource returns the TorchScript bytes and, for a wheel, the
// package version from its dist-info METADATA.
func readSileroSource(src string) ([]byte, string, error) {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return nil, "", err
	}
	defer zr.Close()
	var jit *zip.File
	version := ""
	for _, f := range zr.File {
		switch {
		case f.Name == sileroJITPath:
			jit = f
		case strings.HasSuffix(f.Name, ".dist-info/METADATA"):
			if version, err = wheelVersion(f); err != nil {
				return nil, "", err
			}
		}
	}
	if jit == nil { // not a wheel: src is the .jit itself
		b, err := os.ReadFile(src)
		return b, "", err
	}
	r, err := jit.Open()
	if err != nil {
		return nil, "", fmt.Errorf("opening %s: %w", sileroJITPath, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", sileroJITPath, err)
	}
	if version == "" {
		return nil, "", fmt.Errorf("the wheel has no dist-info METADATA with a Version")
	}
	return b, version, nil
}

func wheelVersion(f *zip.File) (string, error) {
	r, err := f.Open()
	if err != nil {
		return "", fmt.Errorf("opening %s: %w", f.Name, err)
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Version: "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", sc.Err()
}

// parseVADVersion splits "6.2.3"; the file holds three integers.
func parseVADVersion(v string) ([3]int32, error) {
	var out [3]int32
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH", v)
	}
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return out, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH", v)
		}
		out[i] = int32(n)
	}
	return out, nil
}

// writeVADFile writes the header and tensors into dest (through a
// temporary file, so a failed conversion leaves no half model behind).
func writeVADFile(arch *tsArchive, dest string, ver [3]int32) (VADResult, error) {
	res := VADResult{Path: dest}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return res, fmt.Errorf("creating %s: %w", filepath.Dir(dest), err)
	}
	tmp := dest + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return res, err
	}
	defer os.Remove(tmp) // a no-op once renamed
	defer f.Close()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	w := bufio.NewWriter(cw)
	const modelType = "silero-16k"
	// bufio.Writer keeps its first error: Flush below reports it.
	binary.Write(w, binary.LittleEndian, []int32{ggmlMagic, int32(len(modelType))})
	w.WriteString(modelType)
	binary.Write(w, binary.LittleEndian, ver[:])
	binary.Write(w, binary.LittleEndian, sileroVADHeader())
	for _, spec := range sileroVADTensors() {
		if err := writeVADTensor(w, arch, spec); err != nil {
			return res, err
		}
		res.Tensors++
	}
	if err := w.Flush(); err != nil {
		return res, fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return res, fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return res, fmt.Errorf("moving %s into place: %w", tmp, err)
	}
	res.Size, res.SHA256 = cw.n, hex.EncodeToString(h.Sum(nil))
	return res, nil
}

// writeVADTensor writes one tensor's header and data.
func writeVADTensor(w *bufio.Writer, arch *tsArchive, spec vadTensor) error {
	t, err := arch.stateTensor(spec.name)
	if err != nil {
		return err
	}
	if !slices.Equal(t.shape, spec.shape) {
		return fmt.Errorf("%s has shape %v, want %v", spec.name, t.shape, spec.shape)
	}
	data, err := arch.float32s(t)
	if err != nil {
		return fmt.Errorf("%s: %w", spec.name, err)
	}
	dims := []int32{}
	for i := len(t.shape) - 1; i >= 0; i-- { // ggml: innermost first
		if spec.keep || t.shape[i] != 1 {
			dims = append(dims, int32(t.shape[i]))
		}
	}
	typ := int32(0)
	if spec.f16 {
		typ = 1
	}
	hdr := append([]int32{int32(len(dims)), int32(len(spec.name)), typ}, dims...)
	binary.Write(w, binary.LittleEndian, hdr)
	w.WriteString(spec.name)
	var b [4]byte
	for _, v := range data {
		if spec.f16 {
			binary.LittleEndian.PutUint16(b[:], f32ToF16(v))
			w.Write(b[:2])
		} else {
			binary.LittleEndian.PutUint32(b[:], f32bits(v))
			w.Write(b[:])
		}
	}
	return nil
}

// countWriter counts the bytes that pass through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
