package models

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// CTranslate2's model.bin (binary version 6), little-endian:
//
//	int32 version; string spec name; int32 spec revision
//	uint32 n_variables; per variable: string name, uint8 rank,
//	      uint32 dims[rank], uint8 dtype, uint32 nbytes, raw data
//	uint32 n_aliases; per alias: string alias, string target
//
// where a string is a uint16 length (counting a trailing NUL) and the bytes.
// The importer reads it as a stream, one variable at a time, because the
// checkpoints it meets come out of deflated zip entries and may be several
// gigabytes.

// ct2BinaryVersion is the only model.bin layout this reader knows.
const ct2BinaryVersion = 6

// ct2DType is a variable's element type.
type ct2DType uint8

const (
	ct2F32  ct2DType = 0
	ct2I8   ct2DType = 1
	ct2I16  ct2DType = 2
	ct2I32  ct2DType = 3
	ct2F16  ct2DType = 4
	ct2BF16 ct2DType = 5
)

func (d ct2DType) size() int {
	switch d {
	case ct2I8:
		return 1
	case ct2I16, ct2F16, ct2BF16:
		return 2
	case ct2F32, ct2I32:
		return 4
	}
	return 0
}

func (d ct2DType) String() string {
	switch d {
	case ct2F32:
		return "float32"
	case ct2I8:
		return "int8"
	case ct2I16:
		return "int16"
	case ct2I32:
		return "int32"
	case ct2F16:
		return "float16"
	case ct2BF16:
		return "bfloat16"
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// ct2Var is one variable's description.
type ct2Var struct {
	Name  string
	Dims  []int // outermost first
	DType ct2DType
	Bytes int
}

func (v ct2Var) elems() int {
	n := 1
	for _, d := range v.Dims {
		n *= d
	}
	return n
}

// ct2Header is what precedes and follows the variables.
type ct2Header struct {
	Spec     string
	Revision int32
	Aliases  map[string]string
}

// readCT2 reads a model.bin stream. For each variable it calls visit with
// the variable and a reader of exactly its data; whatever visit leaves
// unread is skipped. The aliases at the end are returned in the header.
func readCT2(r io.Reader, visit func(v ct2Var, data io.Reader) error) (ct2Header, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var h ct2Header
	var version int32
	if err := binary.Read(br, binary.LittleEndian, &version); err != nil {
		return h, fmt.Errorf("reading model.bin version: %w", eofIsTruncation(err))
	}
	if version != ct2BinaryVersion {
		return h, fmt.Errorf("model.bin binary version %d is not supported (want %d)", version, ct2BinaryVersion)
	}
	spec, err := readCT2String(br)
	if err != nil {
		return h, fmt.Errorf("reading spec name: %w", err)
	}
	h.Spec = spec
	if err := binary.Read(br, binary.LittleEndian, &h.Revision); err != nil {
		return h, fmt.Errorf("reading spec revision: %w", eofIsTruncation(err))
	}
	var n uint32
	if err := binary.Read(br, binary.LittleEndian, &n); err != nil {
		return h, fmt.Errorf("reading variable count: %w", eofIsTruncation(err))
	}
	if n > 1<<20 {
		return h, fmt.Errorf("implausible variable count %d", n)
	}
	for i := uint32(0); i < n; i++ {
		v, err := readCT2VarHeader(br)
		if err != nil {
			return h, fmt.Errorf("variable %d of %d: %w", i+1, n, err)
		}
		lr := &io.LimitedReader{R: br, N: int64(v.Bytes)}
		if err := visit(v, lr); err != nil {
			return h, err
		}
		if err := skip(lr, lr.N); err != nil {
			return h, fmt.Errorf("variable %s: data: %w", v.Name, err)
		}
	}
	var na uint32
	if err := binary.Read(br, binary.LittleEndian, &na); err != nil {
		return h, fmt.Errorf("reading alias count: %w", eofIsTruncation(err))
	}
	if na > 1<<20 {
		return h, fmt.Errorf("implausible alias count %d", na)
	}
	h.Aliases = make(map[string]string, na)
	for i := uint32(0); i < na; i++ {
		alias, err := readCT2String(br)
		if err != nil {
			return h, fmt.Errorf("alias %d: %w", i, err)
		}
		target, err := readCT2String(br)
		if err != nil {
			return h, fmt.Errorf("alias %s: %w", alias, err)
		}
		h.Aliases[alias] = target
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return h, errors.New("unexpected data after the aliases")
	}
	return h, nil
}

func readCT2VarHeader(r io.Reader) (ct2Var, error) {
	var v ct2Var
	name, err := readCT2String(r)
	if err != nil {
		return v, fmt.Errorf("name: %w", err)
	}
	v.Name = name
	var rank uint8
	if err := binary.Read(r, binary.LittleEndian, &rank); err != nil {
		return v, fmt.Errorf("%s: rank: %w", name, eofIsTruncation(err))
	}
	if rank > 8 {
		return v, fmt.Errorf("%s: implausible rank %d", name, rank)
	}
	dims := make([]uint32, rank)
	if err := binary.Read(r, binary.LittleEndian, dims); err != nil {
		return v, fmt.Errorf("%s: dims: %w", name, eofIsTruncation(err))
	}
	for _, d := range dims {
		v.Dims = append(v.Dims, int(d))
	}
	var meta struct {
		DType  uint8
		NBytes uint32
	}
	if err := binary.Read(r, binary.LittleEndian, &meta); err != nil {
		return v, fmt.Errorf("%s: type: %w", name, eofIsTruncation(err))
	}
	v.DType, v.Bytes = ct2DType(meta.DType), int(meta.NBytes)
	if v.DType.size() == 0 {
		return v, fmt.Errorf("%s: unknown dtype %d", name, meta.DType)
	}
	if v.elems()*v.DType.size() != v.Bytes {
		return v, fmt.Errorf("%s: %d bytes of data for shape %v of %s", name, v.Bytes, v.Dims, v.DType)
	}
	return v, nil
}

func readCT2String(r io.Reader) (string, error) {
	var n uint16
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return "", eofIsTruncation(err)
	}
	if n == 0 {
		return "", errors.New("zero-length string (no NUL terminator)")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", eofIsTruncation(err)
	}
	if b[n-1] != 0 {
		return "", fmt.Errorf("string %q is not NUL-terminated", b)
	}
	return string(b[:n-1]), nil
}

// ct2Floats decodes a variable's data to float32. Integer types are
// returned as their plain values; scaling them back is the caller's job.
func ct2Floats(v ct2Var, data []byte) []float32 {
	n := v.elems()
	out := make([]float32, n)
	switch v.DType {
	case ct2F32:
		for i := range out {
			out[i] = float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case ct2F16:
		for i := range out {
			out[i] = f16ToF32(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case ct2BF16:
		for i := range out {
			out[i] = bf16ToF32(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case ct2I8:
		for i := range out {
			out[i] = float32(int8(data[i]))
		}
	case ct2I16:
		for i := range out {
			out[i] = float32(int16(binary.LittleEndian.Uint16(data[2*i:])))
		}
	case ct2I32:
		for i := range out {
			out[i] = float32(int32(binary.LittleEndian.Uint32(data[4*i:])))
		}
	}
	return out
}
