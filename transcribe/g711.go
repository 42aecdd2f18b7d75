package transcribe

// G.711 expansion (ITU-T Recommendation G.711, tables 1 and 2), the
// companding most call recorders and telephone systems store calls in.
//
// Both laws split a code into a polarity bit, a 3-bit segment e and a 4-bit
// step m. Within a segment the decoder output is evenly spaced; each segment
// doubles the spacing of the one before, so quiet speech keeps fine steps.
// The values below are on the 16-bit scale the tables are usually quoted on
// (µ-law tables count in units of 4, A-law in units of 8, of this scale).

// muLawToLinear expands one µ-law code. The line code is the bit-complement
// of the character; after complementing, polarity 1 means negative, and the
// magnitude on G.711's 14-bit scale is ((2m+33) << e) − 33: 0, 2, … 30 in the
// first segment, 33, 37, … 93 in the second, up to 8031.
func muLawToLinear(code byte) int16 {
	c := ^code
	e := uint(c>>4) & 7
	m := int32(c & 0x0F)
	mag := ((2*m+33)<<e - 33) * 4
	if c&0x80 != 0 {
		return int16(-mag)
	}
	return int16(mag)
}

// aLawToLinear expands one A-law code. The even bits of the line code are
// inverted (XOR 0x55); after that, polarity 1 means positive, and the
// magnitude on G.711's 13-bit scale is 2m+1 in the first segment (1, 3, …
// 31) and (2m+33) << (e−1) above it (33 … 63, 66 … 126, up to 4032).
func aLawToLinear(code byte) int16 {
	c := code ^ 0x55
	e := uint(c>>4) & 7
	m := int32(c & 0x0F)
	mag := 2*m + 1
	if e > 0 {
		mag = (2*m + 33) << (e - 1)
	}
	mag *= 8
	if c&0x80 == 0 {
		return int16(-mag)
	}
	return int16(mag)
}

// g711Table expands all 256 codes once per decode so that the per-sample
// work is a single lookup; building it costs less than decoding one frame
// of audio, so it is not kept between calls.
func g711Table(expand func(byte) int16) *[256]float32 {
	var t [256]float32
	for i := range t {
		t[i] = float32(expand(byte(i))) / 32768
	}
	return &t
}
