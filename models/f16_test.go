package models

import (
	"math"
	"testing"
)

// Every half value widens to float32 and narrows back to itself.
func TestF16RoundTripAllValues(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := f16ToF32(uint16(h))
		if math.IsNaN(float64(f)) {
			if got := f32ToF16(f); got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
				t.Fatalf("NaN 0x%04x narrowed to non-NaN 0x%04x", h, got)
			}
			continue
		}
		if got := f32ToF16(f); got != uint16(h) {
			t.Fatalf("0x%04x -> %g -> 0x%04x", h, f, got)
		}
	}
}

func TestF16Rounding(t *testing.T) {
	cases := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3c00},
		{-2, 0xc000},
		{65504, 0x7bff},                  // largest half
		{65520, 0x7c00},                  // rounds up to +Inf
		{1 + 1.0/2048, 0x3c00},           // tie between 1 and 1+2^-10: to even (1)
		{1 + 3.0/2048, 0x3c02},           // tie: to even (1+2^-9)
		{1 + 1.0/2048 + 1e-7, 0x3c01},    // just above the tie
		{float32(math.Ldexp(1, -24)), 1}, // smallest subnormal
		{float32(math.Ldexp(1, -25)), 0}, // half of it: tie to even (0)
		{float32(math.Ldexp(3, -26)), 1}, // 0.75 of it rounds up
		{float32(math.Ldexp(1, -14)), 0x0400},
		{float32(math.Inf(-1)), 0xfc00},
	}
	for _, c := range cases {
		if got := f32ToF16(c.in); got != c.want {
			t.Errorf("f32ToF16(%g) = 0x%04x, want 0x%04x", c.in, got, c.want)
		}
	}
	if got := bf16ToF32(0x3f80); got != 1 {
		t.Errorf("bf16 0x3f80 = %g, want 1", got)
	}
}
