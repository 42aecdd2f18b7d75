package models

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wideRows are 512-weight rows (two K-quant super-blocks each) meant to
// reach every branch of the quantisers: a zero row, values below ggml's
// GROUP_MAX_EPS, a constant row, all-negative and all-positive rows, an
// outlier, and trained-weight-like noise at several scales.
func wideRows() [][]float32 {
	r := rand.New(rand.NewPCG(17, 2026))
	row := func(f func(i int) float32) []float32 {
		x := make([]float32, 512)
		for i := range x {
			x[i] = f(i)
		}
		return x
	}
	rows := [][]float32{
		row(func(int) float32 { return 0 }),
		row(func(int) float32 { return 1e-20 }),
		row(func(int) float32 { return 0.03 }),
		row(func(int) float32 { return -0.01 - 0.05*r.Float32() }),
		row(func(int) float32 { return 0.01 + 0.05*r.Float32() }),
		row(func(i int) float32 {
			if i == 77 {
				return 3
			}
			return float32(r.NormFloat64()) * 0.02
		}),
	}
	for _, s := range []float64{1e-4, 0.02, 0.3, 4} {
		for k := 0; k < 3; k++ {
			rows = append(rows, row(func(int) float32 { return float32(r.NormFloat64() * s) }))
		}
	}
	// Groups of 16 or 32 that are zero inside an otherwise normal row.
	rows = append(rows, row(func(i int) float32 {
		if i/32 == 3 || i/16 == 21 {
			return 0
		}
		return float32(r.NormFloat64()) * 0.05
	}))
	return rows
}

// writeWideModel writes a ggml Whisper file with the synthetic model's
// header and a f16 weight matrix of wideRows (whose values are all exact
// in half precision), a skipped positional embedding and a bias.
func writeWideModel(t *testing.T) string {
	t.Helper()
	src, _, err := importSynth(t, synthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := readGGMLHeader(f, true)
	if err != nil {
		t.Fatal(err)
	}
	rows := wideRows()
	w16 := make([]byte, 0, 2*512*len(rows))
	for _, r := range rows {
		for _, v := range r {
			w16 = binary.LittleEndian.AppendUint16(w16, f32ToF16(v))
		}
	}
	f32 := func(n int, v float32) []byte {
		b := make([]byte, 0, 4*n)
		for i := 0; i < n; i++ {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v*float32(i%7)))
		}
		return b
	}
	out := filepath.Join(t.TempDir(), "ggml-wide.bin")
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w := newGGMLWriter(o)
	w.header(h.Hparams, h.Mel, h.MelRows, h.MelCols, h.Vocab)
	w.tensor("encoder.blocks.0.mlp.0.weight", []int{len(rows), 512}, ggmlF16, w16)
	w.tensor("decoder.positional_embedding", []int{2, 512}, ggmlF32, f32(1024, 0.5))
	w.tensor("encoder.blocks.0.mlp.0.bias", []int{512}, ggmlF32, f32(512, 0.25))
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// kDequant reads a K-quant block back, as ggml's dequantize_row_q*_K do.
func kDequant(typ string, b []byte) []float32 {
	x := make([]float32, qkK)
	switch typ {
	case "q6_k":
		d := f16ToF32(binary.LittleEndian.Uint16(b[208:]))
		ql, qh, sc := b[0:128], b[128:192], b[192:208]
		for n := 0; n < qkK; n += 128 {
			for l := 0; l < 32; l++ {
				is := n/16 + l/16
				q := [4]int{
					int(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32,
					int(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32,
					int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32,
					int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32,
				}
				for k := 0; k < 4; k++ {
					x[n+l+32*k] = d * float32(int8(sc[is+2*k])) * float32(q[k])
				}
			}
			ql, qh = ql[64:], qh[32:]
		}
	case "q4_k", "q5_k":
		d := f16ToF32(binary.LittleEndian.Uint16(b[0:]))
		m := f16ToF32(binary.LittleEndian.Uint16(b[2:]))
		qs, qh := b[16:144], []byte(nil)
		if typ == "q5_k" {
			qh, qs = b[16:48], b[48:176]
		}
		for j := 0; j < 8; j++ {
			sc, mn := scaleMinK4(j, b[4:16])
			for l := 0; l < 32; l++ {
				q := qs[32*(j/2)+l]
				if j%2 == 0 {
					q &= 0xf
				} else {
					q >>= 4
				}
				if qh != nil && qh[l]>>j&1 == 1 {
					q += 16
				}
				x[32*j+l] = d*float32(sc)*float32(q) - m*float32(mn)
			}
		}
	}
	return x
}

// Each K-quant reproduces its input within a few steps of its code size:
// a check of the arithmetic and bit layout that does not need whisper.cpp
// (quantize_whisper_test.go compares whole files with whisper-quantize's).
func TestKQuantBlocksRoundTrip(t *testing.T) {
	// Largest error as a share of a super-block's largest weight.
	tol := map[string]float64{"q6_k": 0.04, "q5_k": 0.07, "q4_k": 0.14}
	for typ, limit := range tol {
		qf, _ := quantFormatFor(typ)
		_, size, _ := ggmlTypeSize(qf.typ)
		for ri, row := range wideRows() {
			for b := 0; b < 2; b++ {
				x := row[256*b : 256*b+256]
				buf := make([]byte, size)
				qf.block(buf, x)
				got := kDequant(typ, buf)
				var amax, worst float64
				for i := range x {
					amax = max(amax, math.Abs(float64(x[i])))
					worst = max(worst, math.Abs(float64(got[i]-x[i])))
				}
				if amax < groupMaxEps {
					for i, v := range got {
						if v != 0 {
							t.Fatalf("%s row %d: a (near) zero block came back with %g at %d", typ, ri, v, i)
						}
					}
					continue
				}
				if amax < 0.01 {
					// The scales are half precision: for weights this small
					// they are subnormal and coarse, in ggml as here.
					continue
				}
				if worst > limit*amax {
					t.Errorf("%s row %d block %d: error %g of max %g (> %g)", typ, ri, b, worst, amax, limit)
				}
			}
		}
	}
}

// ggml's nearest_int rounds halves to even, not away from zero.
func TestNearestInt(t *testing.T) {
	for in, want := range map[float32]int{0.5: 0, 1.5: 2, 2.5: 2, -0.5: 0, -1.5: -2, 3.49: 3, -3.51: -4, 0: 0} {
		if got := nearestInt(in); got != want {
			t.Errorf("nearestInt(%g) = %d, want %d", in, got, want)
		}
	}
}

// A model whose rows are not whole 256-weight blocks is refused for the
// K-quants with ErrBlockRows (bench's sweep skips such forms).
func TestKQuantRefusesNarrowRows(t *testing.T) {
	src, _, err := importSynth(t, synthOptions{}) // 8-wide rows
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"q6_k", "q5_k", "q4_k"} {
		if _, err := Quantize(src, src+".q", typ); !errors.Is(err, ErrBlockRows) {
			t.Errorf("8-wide rows to %s: %v", typ, err)
		}
	}
}

// quantizeWide quantises the wide model to typ at dst. It bypasses
// Quantize's Check: the wide model is only a header and three tensors.
func quantizeWide(t *testing.T, wide, dst, typ string) {
	t.Helper()
	qf, ok := quantFormatFor(typ)
	if !ok {
		t.Fatalf("no format %s", typ)
	}
	in, err := os.Open(wide)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := quantizeTo(in, out, qf); err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// CheckQuantized holds a file to the checksum recorded for its name: a
// different file under a recorded name is an error, an unrecorded name
// only says so.
func TestCheckQuantized(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ggml-base-q4_k.bin")
	if err := os.WriteFile(p, []byte("not the recorded file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, recorded, err := CheckQuantized("base-q4_k", p); !recorded || err == nil || !strings.Contains(err.Error(), "differs from the recorded") {
		t.Errorf("a different file as base-q4_k: recorded %v, %v", recorded, err)
	}
	if sum, recorded, err := CheckQuantized("mymodel-q4_k", p); recorded || err != nil || len(sum) != 64 {
		t.Errorf("unrecorded name: %q %v %v", sum, recorded, err)
	}
}
