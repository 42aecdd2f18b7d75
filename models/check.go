package models

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// Check reads a whisper.cpp model file's header and walks its tensor
// records (seeking over the data), so it costs a few hundred small reads
// whatever the model size. It catches what makes whisper.cpp fail late or
// obscurely: a wrong file (bad magic, an HTML error page, a GGUF or
// CTranslate2 file), a truncated download, or tensors that do not fit the
// dimensions in the header. It does not checksum the data; see FileSHA1.

// Info describes a model file that passed Check.
type Info struct {
	Path    string
	Size    int64
	Hparams Hparams
	Tokens  int    // ordinary BPE tokens stored in the file
	Tensors int    // tensor records
	Weights string // element type of the big matrices: "f16", "f32", "q5_1", "q8_0", ...
}

// CorruptModelError says a model file cannot be loaded, and why.
type CorruptModelError struct {
	Path string
	Err  error
}

func (e *CorruptModelError) Error() string {
	return fmt.Sprintf("model file %s is unusable: %v (download or import it again)", e.Path, e.Err)
}

func (e *CorruptModelError) Unwrap() error { return e.Err }

// Check validates the model file at path; see above. A file that cannot be
// used is reported as a *CorruptModelError.
func Check(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("opening model: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("opening model: %w", err)
	}
	info := Info{Path: path, Size: st.Size()}
	corrupt := func(err error) (Info, error) { return info, &CorruptModelError{Path: path, Err: err} }
	if st.IsDir() {
		return corrupt(errors.New("it is a folder, not a file"))
	}

	h, err := readGGMLHeader(bufio.NewReaderSize(f, 1<<16), false)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return corrupt(fmt.Errorf("truncated in the header (file is %d bytes): %w", info.Size, err))
		}
		return corrupt(err)
	}
	info.Hparams = h.Hparams
	info.Tokens = h.NTokens
	if h.MelRows != int(h.NMels) {
		return corrupt(fmt.Errorf("mel filterbank has %d rows for %d mel bins", h.MelRows, h.NMels))
	}

	shapes := whisperShapes(h.Hparams)
	seen := map[string]bool{}
	off := h.Size
	for {
		t, err := readTensorHeader(f, off)
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return corrupt(fmt.Errorf("truncated after %d tensors (file is %d bytes): %w", len(seen), info.Size, err))
			}
			return corrupt(err)
		}
		want, ok := shapes[t.Name]
		if !ok {
			return corrupt(fmt.Errorf("unexpected tensor %q for a %d+%d-layer model", t.Name, h.NAudioLayer, h.NTextLayer))
		}
		if seen[t.Name] {
			return corrupt(fmt.Errorf("tensor %s appears twice", t.Name))
		}
		if !sameShape(t.Ne, want) {
			return corrupt(fmt.Errorf("tensor %s has shape %v (innermost first), the header's dimensions need %v", t.Name, t.Ne, want))
		}
		if end := t.Offset + t.Size; end > info.Size {
			return corrupt(fmt.Errorf("truncated: tensor %s needs bytes up to %d but the file is %d bytes", t.Name, end, info.Size))
		}
		if t.Name == "decoder.token_embedding.weight" {
			info.Weights = ggmlTypeName(t.Type)
		}
		seen[t.Name] = true
		off = t.Offset + t.Size
	}
	info.Tensors = len(seen)
	if len(seen) != len(shapes) {
		return corrupt(fmt.Errorf("incomplete: %d of the %d tensors whisper.cpp needs", len(seen), len(shapes)))
	}
	return info, nil
}

// sameShape compares a file's ne (innermost first) with a numpy-order shape.
func sameShape(ne []int64, shape []int) bool {
	if len(ne) != len(shape) {
		return false
	}
	for i := range ne {
		if ne[i] != int64(shape[len(shape)-1-i]) {
			return false
		}
	}
	return true
}

func ggmlTypeName(t ggmlType) string {
	names := map[ggmlType]string{0: "f32", 1: "f16", 2: "q4_0", 3: "q4_1", 6: "q5_0", 7: "q5_1", 8: "q8_0", 9: "q8_1",
		10: "q2_k", 11: "q3_k", 12: "q4_k", 13: "q5_k", 14: "q6_k", 15: "q8_k"}
	if n, ok := names[t]; ok {
		return n
	}
	return fmt.Sprintf("type %d", t)
}
