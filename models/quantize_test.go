package models

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// testBlock is 32 weights of a plausible spread, with one outlier.
func testBlock(seed int) []float32 {
	x := make([]float32, 32)
	for i := range x {
		x[i] = float32(math.Sin(float64(seed*32+i)*0.7)) * 0.05
	}
	x[seed%32] = 0.2
	return x
}

// Dequantised blocks come back within the format's step: a check of the
// arithmetic and the bit layout that does not need whisper.cpp
// (quantize_whisper_test.go compares whole files with whisper-quantize's).
func TestQuantBlocksRoundTrip(t *testing.T) {
	for seed := 0; seed < 50; seed++ {
		x := testBlock(seed)
		q8 := make([]byte, 34)
		blockQ8_0(q8, x)
		d := f16ToF32(binary.LittleEndian.Uint16(q8))
		for j, v := range x {
			got := d * float32(int8(q8[2+j]))
			if diff := math.Abs(float64(got - v)); diff > float64(d)*0.51 {
				t.Fatalf("q8_0 seed %d weight %d: %g came back as %g (step %g)", seed, j, v, got, d)
			}
		}
		q5 := make([]byte, 24)
		blockQ5_1(q5, x)
		d, m := f16ToF32(binary.LittleEndian.Uint16(q5)), f16ToF32(binary.LittleEndian.Uint16(q5[2:]))
		qh := binary.LittleEndian.Uint32(q5[4:])
		for j, v := range x {
			lowNibble := q5[8+j%16] & 0x0f
			if j >= 16 {
				lowNibble = q5[8+j%16] >> 4
			}
			code := lowNibble | byte(qh>>j&1)<<4
			got := d*float32(code) + m
			if diff := math.Abs(float64(got - v)); diff > float64(d)*0.51+1e-4 {
				t.Fatalf("q5_1 seed %d weight %d: %g came back as %g (step %g)", seed, j, v, got, d)
			}
		}
	}
}

// A block of zeros has scale 0 and codes 0 (ggml divides by nothing).
func TestQuantZeroBlock(t *testing.T) {
	q8 := make([]byte, 34)
	for i := range q8 {
		q8[i] = 0xff
	}
	blockQ8_0(q8, make([]float32, 32))
	for i, b := range q8 {
		if b != 0 {
			t.Fatalf("q8_0 of zeros: byte %d is %#x", i, b)
		}
	}
}

// What cannot be quantised is refused with the reason: an unknown type,
// and rows that are not whole blocks (the synthetic model's 8-wide rows).
func TestQuantizeRefuses(t *testing.T) {
	src, _, err := importSynth(t, synthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Quantize(src, src+".q", "q4_0"); err == nil || !strings.Contains(err.Error(), "unknown type") {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := Quantize(src, src+".q", "q8_0"); err == nil || !strings.Contains(err.Error(), "32-weight blocks") {
		t.Errorf("8-wide rows: %v", err)
	}
}
