package models

import (
	"encoding/binary"
	"math"
)

// K-quants: 256-weight super-blocks with per-sub-block scales, ggml's
// q4_K, q5_K and q6_K. On the 2-core AVX2 VM whisper.cpp's encoder ran a
// 30 s window of base in 1.20–1.26 s with them against 1.66 s with q8_0
// (whisper-cli, call-0001, 2 threads): ggml's K-quant dot products are the
// faster kernels there. The arithmetic is ggml's reference quantisers
// (quantize_row_q{4,5,6}_K_ref with make_qkx2_quants / make_qx_quants), in
// float32 step by step as C computes it, so files match whisper-quantize's
// byte for byte (TestQuantizeMatchesWhisperQuantize). Every float32(...)
// below is a rounding C performs; it also keeps Go from fusing a multiply
// and an add, which C (built for baseline x86-64) does not do.

const qkK = 256 // weights per K-quant super-block

// groupMaxEps is ggml's GROUP_MAX_EPS: below it a group counts as zero.
const groupMaxEps = 1e-15

// nearestInt is ggml's nearest_int: round half to even through the
// float32 mantissa (valid for |f| < 2^22).
func nearestInt(f float32) int {
	v := f + 12582912
	return int(math.Float32bits(v)&0x007fffff) - 0x00400000
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// makeQxQuants is make_qx_quants with rmse_type 1 (weights x²) and no
// importance matrix: symmetric codes in [-nmax, nmax) stored +nmax, and
// the scale that minimises the weighted error over 19 trial scales.
func makeQxQuants(nmax int, x []float32, L []int8) float32 {
	var maxv, amax float32
	for _, v := range x {
		if ax := abs32(v); ax > amax {
			amax, maxv = ax, v
		}
	}
	if amax < groupMaxEps {
		clear(L)
		return 0
	}
	fn := float32(nmax)
	clamp := func(l int) int { return max(-nmax, min(nmax-1, l)) }
	sums := func(iscale float32) (sumlx, suml2 float32) {
		for _, v := range x {
			l := float32(clamp(nearestInt(float32(iscale * v))))
			w := float32(v * v)
			sumlx = float32(sumlx + float32(float32(w*v)*l))
			suml2 = float32(suml2 + float32(float32(w*l)*l))
		}
		return sumlx, suml2
	}
	iscale := float32(-fn / maxv)
	for i, v := range x {
		L[i] = int8(clamp(nearestInt(float32(iscale*v))) + nmax)
	}
	sumlx, suml2 := sums(iscale)
	var scale float32
	if suml2 != 0 {
		scale = float32(sumlx / suml2)
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = float32(-float32(fn+float32(0.1*float32(is))) / maxv)
		sumlx, suml2 = sums(iscale)
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			for i, v := range x {
				L[i] = int8(nmax + clamp(nearestInt(float32(iscale*v))))
			}
			scale = float32(sumlx / suml2)
			best = float32(scale * sumlx)
		}
	}
	return scale
}

// makeQkx2Quants is make_qkx2_quants without mean absolute deviation:
// asymmetric codes in [0, nmax] with a minimum, searching nstep+1 scales
// from (nmax+rmin)/(max-min) by rdelta for the least weighted square error.
// It returns the scale and the minimum (negated, as ggml stores it).
func makeQkx2Quants(nmax int, x, weights []float32, L, aux []uint8, rmin, rdelta float32, nstep int) (scale, theMin float32) {
	lo, hi := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < len(x); i++ {
		lo, hi = min(lo, x[i]), max(hi, x[i])
		sumW = float32(sumW + weights[i])
		sumX = float32(sumX + float32(weights[i]*x[i]))
	}
	lo = min(lo, 0)
	if hi == lo {
		clear(L)
		return 0, -lo
	}
	fn := float32(nmax)
	code := func(iscale, v float32) uint8 {
		return uint8(max(0, min(nmax, nearestInt(float32(iscale*float32(v-lo))))))
	}
	iscale := float32(fn / float32(hi-lo))
	scale = float32(1 / iscale)
	var bestErr float32
	for i, v := range x {
		L[i] = code(iscale, v)
		diff := float32(float32(float32(scale*float32(L[i]))+lo) - v)
		bestErr = float32(bestErr + float32(weights[i]*float32(diff*diff)))
	}
	for is := 0; is <= nstep; is++ {
		iscale = float32(float32(float32(rmin+float32(rdelta*float32(is)))+fn) / float32(hi-lo))
		var sumL, sumL2, sumXL float32
		for i, v := range x {
			aux[i] = code(iscale, v)
			l, w := float32(aux[i]), weights[i]
			sumL = float32(sumL + float32(w*l))
			sumL2 = float32(sumL2 + float32(float32(w*l)*l))
			sumXL = float32(sumXL + float32(float32(w*l)*v))
		}
		d := float32(float32(sumW*sumL2) - float32(sumL*sumL))
		if d <= 0 {
			continue
		}
		thisScale := float32(float32(float32(sumW*sumXL)-float32(sumX*sumL)) / d)
		thisMin := float32(float32(float32(sumL2*sumX)-float32(sumL*sumXL)) / d)
		if thisMin > 0 {
			thisMin = 0
			thisScale = float32(sumXL / sumL2)
		}
		var curErr float32
		for i, v := range x {
			diff := float32(float32(float32(thisScale*float32(aux[i]))+thisMin) - v)
			curErr = float32(curErr + float32(weights[i]*float32(diff*diff)))
		}
		if curErr < bestErr {
			copy(L, aux[:len(L)])
			bestErr, scale, lo = curErr, thisScale, thisMin
		}
	}
	return scale, -lo
}

// blockQ6K is quantize_row_q6_K_ref for one super-block: 16 groups of 16
// with 8-bit scales under one half-precision d, 6-bit codes split into low
// nibbles (ql) and high bit pairs (qh). Layout: ql[128] qh[64] scales[16] d.
func blockQ6K(dst []byte, x []float32) {
	clear(dst)
	var L [qkK]int8
	var scales [qkK / 16]float32
	var maxScale, maxAbs float32
	for ib := range scales {
		scales[ib] = makeQxQuants(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
		if a := abs32(scales[ib]); a > maxAbs {
			maxAbs, maxScale = a, scales[ib]
		}
	}
	if maxAbs < groupMaxEps {
		return
	}
	iscale := float32(-128 / maxScale)
	d16 := f32ToF16(float32(1 / iscale))
	binary.LittleEndian.PutUint16(dst[208:], d16)
	sc := dst[192:208]
	for ib := range scales {
		sc[ib] = byte(int8(min(127, nearestInt(float32(iscale*scales[ib])))))
	}
	for j := range scales {
		d := float32(f16ToF32(d16) * float32(int8(sc[j])))
		if d == 0 {
			continue
		}
		for ii := 0; ii < 16; ii++ {
			l := max(-32, min(31, nearestInt(float32(x[16*j+ii]/d))))
			L[16*j+ii] = int8(l + 32)
		}
	}
	ql, qh := dst[0:128], dst[128:192]
	for j := 0; j < qkK; j += 128 {
		for l := 0; l < 32; l++ {
			q := func(o int) uint8 { return uint8(L[j+l+o]) }
			ql[l] = q(0)&0xf | (q(64)&0xf)<<4
			ql[l+32] = q(32)&0xf | (q(96)&0xf)<<4
			qh[l] = q(0)>>4 | (q(32)>>4)<<2 | (q(64)>>4)<<4 | (q(96)>>4)<<6
		}
		ql, qh = ql[64:], qh[32:]
	}
}

// kScales quantises eight sub-block scales and minimums to 6 bits under
// half-precision d and dmin, packed into 12 bytes as ggml's q4_K and q5_K
// keep them (read back by scaleMinK4). dst: d, dmin, scales[12].
func kScales(dst []byte, scales, mins *[8]float32) {
	var maxScale, maxMin float32
	for j := range scales {
		maxScale, maxMin = max(maxScale, scales[j]), max(maxMin, mins[j])
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = float32(63 / maxScale)
	}
	if maxMin > 0 {
		invMin = float32(63 / maxMin)
	}
	sc := dst[4:16]
	for j := range scales {
		ls := min(63, uint8(nearestInt(float32(invScale*scales[j]))))
		lm := min(63, uint8(nearestInt(float32(invMin*mins[j]))))
		if j < 4 {
			sc[j], sc[j+4] = ls, lm
		} else {
			sc[j+4] = ls&0xf | (lm&0xf)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	binary.LittleEndian.PutUint16(dst[0:], f32ToF16(float32(maxScale/63)))
	binary.LittleEndian.PutUint16(dst[2:], f32ToF16(float32(maxMin/63)))
}

// scaleMinK4 is get_scale_min_k4: sub-block j's 6-bit scale and minimum.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// kCodes quantises a super-block to asymmetric codes in [0, nmax] (15 for
// q4_K, 31 for q5_K) in eight groups of 32 and writes the scales header
// into dst; it returns the codes.
func kCodes(dst []byte, x []float32, nmax int, rmin float32, nstep int) [qkK]uint8 {
	var L [qkK]uint8
	var aux [32]uint8
	var weights [32]float32
	var scales, mins [8]float32
	for j := range scales {
		g := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range g {
			sumX2 = float32(sumX2 + float32(v*v))
		}
		av := float32(math.Sqrt(float64(float32(sumX2 / 32))))
		for l, v := range g {
			weights[l] = float32(av + abs32(v))
		}
		scales[j], mins[j] = makeQkx2Quants(nmax, g, weights[:], L[32*j:32*j+32], aux[:], rmin, 0.1, nstep)
	}
	kScales(dst, &scales, &mins)
	d0 := f16ToF32(binary.LittleEndian.Uint16(dst[0:]))
	m0 := f16ToF32(binary.LittleEndian.Uint16(dst[2:]))
	for j := range scales {
		sc, m := scaleMinK4(j, dst[4:16])
		d := float32(d0 * float32(sc))
		if d == 0 {
			continue
		}
		dm := float32(m0 * float32(m))
		for ii := 0; ii < 32; ii++ {
			L[32*j+ii] = uint8(max(0, min(nmax, nearestInt(float32(float32(x[32*j+ii]+dm)/d)))))
		}
	}
	return L
}

// blockQ4K is quantize_row_q4_K_ref for one super-block. Layout: d dmin
// scales[12] qs[128] (codes j and j+32 of each 64 share a byte).
func blockQ4K(dst []byte, x []float32) {
	clear(dst)
	L := kCodes(dst, x, 15, -1, 20)
	q := dst[16:144]
	for j := 0; j < qkK; j += 64 {
		for l := 0; l < 32; l++ {
			q[l] = L[j+l] | L[j+l+32]<<4
		}
		q = q[32:]
	}
}

// blockQ5K is quantize_row_q5_K_ref for one super-block. Layout: d dmin
// scales[12] qh[32] qs[128]: low nibbles as q4_K, fifth bits in qh.
func blockQ5K(dst []byte, x []float32) {
	clear(dst)
	L := kCodes(dst, x, 31, -0.5, 15)
	qh, ql := dst[16:48], dst[48:176]
	m1, m2 := uint8(1), uint8(2)
	for n := 0; n < qkK; n += 64 {
		for j := 0; j < 32; j++ {
			l1, l2 := L[n+j], L[n+j+32]
			if l1 > 15 {
				l1 -= 16
				qh[j] |= m1
			}
			if l2 > 15 {
				l2 -= 16
				qh[j] |= m2
			}
			ql[j] = l1 | l2<<4
		}
		m1, m2 = m1<<2, m2<<2
		ql = ql[32:]
	}
}
