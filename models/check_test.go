package models

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corruptCopy writes the first n bytes of src (optionally patched) to a new file.
func corruptCopy(t *testing.T, src string, n int64, patch func([]byte)) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	data = append([]byte(nil), data[:n]...)
	if patch != nil {
		patch(data)
	}
	p := filepath.Join(t.TempDir(), "ggml-broken.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckCatchesBrokenFiles(t *testing.T) {
	good, _, err := importSynth(t, synthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(good)
	size := st.Size()
	_, tensors, _ := ggmlTensors(t, good)
	// The end of some tensor other than the last: a file cut there is
	// well-formed as far as it goes, but incomplete.
	var boundary int64
	for _, ti := range tensors {
		if end := ti.Offset + ti.Size; end < size && end > boundary {
			boundary = end
		}
	}

	cases := []struct {
		name, want string
		path       string
	}{
		{"bad magic", "magic is 0x", corruptCopy(t, good, size, func(b []byte) { copy(b, "GGUF") })},
		{"html page", "HTML error page", corruptCopy(t, good, size, func(b []byte) { copy(b, "<!DOCTYPE html>") })},
		{"truncated header", "truncated in the header", corruptCopy(t, good, 30, nil)},
		{"truncated data", "truncated", corruptCopy(t, good, size-100, nil)},
		{"missing tensors", "incomplete: 49 of the 50 tensors", corruptCopy(t, good, boundary, nil)},
		{"absurd hparams", "n_audio_layer", corruptCopy(t, good, size, func(b []byte) { b[20], b[21] = 0xff, 0x7f })},
	}
	for _, c := range cases {
		_, err := Check(c.path)
		var ce *CorruptModelError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want a CorruptModelError mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := Check(filepath.Join(t.TempDir(), "none.bin")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestGGMLHeaderRoundTrip(t *testing.T) {
	hp := Hparams{NVocab: 51865, NAudioCtx: 1500, NAudioState: 512, NAudioHead: 8, NAudioLayer: 6,
		NTextCtx: 448, NTextState: 512, NTextHead: 8, NTextLayer: 6, NMels: 80, FType: 1}
	mel := melFilters(16000, 400, 80)
	vocab := [][]byte{[]byte("!"), []byte(" the"), {}, {0xff, 0x00}}
	p := filepath.Join(t.TempDir(), "h.bin")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := newGGMLWriter(f)
	w.header(hp, mel, 80, 201, vocab)
	w.tensor("decoder.ln.bias", []int{512}, ggmlF32, make([]byte, 4*512))
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	h, err := readGGMLHeader(g, true)
	if err != nil {
		t.Fatal(err)
	}
	if h.Hparams != hp || h.MelRows != 80 || h.MelCols != 201 || len(h.Vocab) != 4 || string(h.Vocab[3]) != "\xff\x00" {
		t.Fatalf("read back %+v, %d×%d, %q", h.Hparams, h.MelRows, h.MelCols, h.Vocab)
	}
	if h.Size != 4+11*4+8+80*201*4+4+(4+1)+(4+4)+4+(4+2) {
		t.Errorf("header size %d", h.Size)
	}
	ti, err := readTensorHeader(g, h.Size)
	if err != nil || ti.Name != "decoder.ln.bias" || ti.Size != 2048 || len(ti.Ne) != 1 || ti.Ne[0] != 512 {
		t.Errorf("tensor header %+v, %v", ti, err)
	}
	if _, err := readTensorHeader(g, ti.Offset+ti.Size); err == nil || err.Error() != "EOF" {
		t.Errorf("at the end: err = %v, want EOF", err)
	}
}
