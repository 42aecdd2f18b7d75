package transcribe

import "testing"

// Known G.711 decoder outputs. µ-law values are on the standard's 14-bit
// scale (16-bit value / 4), A-law values on its 13-bit scale (16-bit / 8):
// the segment starts and ends of G.711 tables 2 and 1, and both polarities.
func TestMuLawKnownValues(t *testing.T) {
	for _, c := range []struct {
		code byte
		want int
	}{
		{0xFF, 0},     // positive zero
		{0x7F, 0},     // negative zero
		{0xFE, 2},     // segment 1, step 1
		{0xF0, 30},    // segment 1, last step
		{0xEF, 33},    // segment 2 start
		{0xE0, 93},    // segment 2 end
		{0xDF, 99},    // segment 3 start
		{0x8F, 4191},  // segment 8 start
		{0x80, 8031},  // largest positive
		{0x00, -8031}, // largest negative
		{0x7E, -2},
		{0x6F, -33},
	} {
		if got := int(muLawToLinear(c.code)); got != 4*c.want {
			t.Errorf("µ-law 0x%02X = %d (%d on the 14-bit scale), want %d", c.code, got, got/4, c.want)
		}
	}
}

func TestALawKnownValues(t *testing.T) {
	for _, c := range []struct {
		code byte
		want int
	}{
		{0xD5, 1},     // smallest positive
		{0x55, -1},    // smallest negative
		{0xD4, 3},     // segment 1, step 1
		{0xDA, 31},    // segment 1 end
		{0xC5, 33},    // segment 2 start
		{0xF5, 66},    // segment 3 start (step doubles to 4)
		{0xF4, 70},    //
		{0xAA, 4032},  // largest positive
		{0x2A, -4032}, // largest negative
	} {
		if got := int(aLawToLinear(c.code)); got != 8*c.want {
			t.Errorf("A-law 0x%02X = %d (%d on the 13-bit scale), want %d", c.code, got, got/8, c.want)
		}
	}
}

// TestG711Structure checks what must hold for all 256 codes: the two
// polarities mirror each other, the 128 magnitudes of each polarity are
// distinct and ordered, and each segment's steps are twice the previous
// segment's.
func TestG711Structure(t *testing.T) {
	laws := []struct {
		name   string
		expand func(byte) int16
		// code for magnitude index k (0 = smallest) of positive polarity,
		// and the sign bit to flip for the negative one
		code func(k int) byte
	}{
		{"µ-law", muLawToLinear, func(k int) byte { return 0xFF - byte(k) }},
		{"A-law", aLawToLinear, func(k int) byte { return byte(0x80|k) ^ 0x55 }},
	}
	for _, law := range laws {
		prev := -1
		for k := range 128 {
			pos := int(law.expand(law.code(k)))
			neg := int(law.expand(law.code(k) ^ 0x80))
			if neg != -pos {
				t.Errorf("%s magnitude %d: +%d but %d", law.name, k, pos, neg)
			}
			if pos <= prev {
				t.Errorf("%s magnitude %d: %d does not exceed the previous %d", law.name, k, pos, prev)
			}
			prev = pos
			if seg, step := k/16, k%16; seg >= 2 && step > 0 {
				d := pos - int(law.expand(law.code(k-1)))
				dPrev := int(law.expand(law.code(k-16))) - int(law.expand(law.code(k-17)))
				if d != 2*dPrev {
					t.Errorf("%s segment %d step %d, want twice segment %d's %d", law.name, seg, d, seg-1, dPrev)
				}
			}
		}
	}
}
