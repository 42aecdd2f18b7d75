package transcribe

import "math"

// Anti-aliasing / anti-imaging filter design for the resampler: a
// Kaiser-windowed sinc (Kaiser & Schafer's window design method), sampled
// once per output phase into a polyphase bank.
//
// Choices, all aimed at Whisper on telephone speech:
//   - 80 dB stopband (Kaiser β = 0.1102·(A − 8.7)): aliases and images sit
//     below the 16-bit noise floor of typical call audio.
//   - Downsampling (22.05, 44.1, 48 kHz → 16 kHz): passband to 85% of the
//     output Nyquist (6.8 kHz), stopband from the output Nyquist (8 kHz), so
//     nothing above 8 kHz folds back into the band Whisper's mel filters see.
//   - Upsampling (8 kHz → 16 kHz): the transition is centred on the input
//     Nyquist (3.4–4.6 kHz for 8 kHz input). For a 1:2 ratio this makes the
//     filter half-band: the even phase is the input sample itself and only the
//     odd phase costs multiplies, which halves the hot path. Telephone audio
//     is band-limited to 3.4 kHz, so the half-attenuated images of 3.4–4 kHz
//     content land on next to no energy.
const (
	stopbandDB = 80.0
	passEdge   = 0.85 // passband edge as a fraction of the lower Nyquist
	// maxExactTaps bounds the polyphase bank for exact rational ratios
	// (160 phases × 186 taps for 44.1 kHz, 320 × 94 for 22.05 kHz, 640 × 36
	// for 11.025 kHz). A rate whose ratio to 16 kHz needs more, such as
	// 44 099 Hz (16 000 phases), gets interpRows phases with linear
	// interpolation between neighbouring ones instead; forcing every rate
	// onto that path leaves TestResampleSine's errors within 2 dB of the exact
	// bank's, all below −85 dB. The bound keeps the bank under 256 KiB and
	// its design under 10 ms.
	maxExactTaps = 1 << 16
	interpRows   = 256
)

// polyphase is a windowed-sinc filter bank for converting inRate to outRate,
// with out/in reduced to up/down.
type polyphase struct {
	up, down int
	half     int // taps either side of the output instant, in input samples
	width    int // 2·half: taps per row
	interp   bool
	coef     []float32 // rows × width
	// first and count give each row's span once leading and trailing
	// zero taps are dropped (exact rows only); the half-band even phase
	// shrinks to a single tap of 1.
	first, count []int
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// designPolyphase builds the bank for inRate → outRate (both positive).
func designPolyphase(inRate, outRate int) *polyphase {
	g := gcd(inRate, outRate)
	p := &polyphase{up: outRate / g, down: inRate / g}
	if p.up == p.down {
		return p
	}
	lowNyquist := float64(min(inRate, outRate)) / 2
	pass, stop := passEdge*lowNyquist, lowNyquist
	cutoff := (pass + stop) / 2
	if outRate > inRate {
		stop = (2 - passEdge) * lowNyquist
		cutoff = lowNyquist // exactly, so that the 1:2 even phase is exactly the input
	}

	// Kaiser's estimate of the length for the stopband and transition
	// width, in input samples, rounded up to whole taps either side.
	dw := 2 * math.Pi * (stop - pass) / float64(inRate)
	order := (stopbandDB - 7.95) / (2.285 * dw)
	p.half = int(math.Ceil((order + 1) / 2))
	p.width = 2 * p.half
	beta := 0.1102 * (stopbandDB - 8.7)
	fc := 2 * cutoff / float64(inRate) // cutoff as a fraction of the input Nyquist

	rows := p.up
	if rows*p.width > maxExactTaps {
		p.interp = true
		rows = interpRows + 1 // the last row is phase 1.0, the right neighbour of the last step
	}
	p.coef = make([]float32, rows*p.width)
	p.first = make([]int, rows)
	p.count = make([]int, rows)
	i0beta := besselI0(beta)
	row := make([]float64, p.width)
	for r := range rows {
		phase := float64(r) / float64(p.up)
		if p.interp {
			phase = float64(r) / interpRows
		}
		// Tap j weighs input sample floor(t)−half+1+j for an output at
		// input time t, i.e. the sample τ = phase+half−1−j before t.
		sum := 0.0
		for j := range row {
			tau := phase + float64(p.half-1-j)
			x := tau / float64(p.half)
			w := 0.0
			if x > -1 && x < 1 {
				w = besselI0(beta*math.Sqrt(1-x*x)) / i0beta
			}
			row[j] = fc * sinc(fc*tau) * w
			sum += row[j]
		}
		// Unit gain at DC for every phase, so a constant input stays constant.
		out := p.coef[r*p.width : (r+1)*p.width]
		first, last := -1, -1
		for j, v := range row {
			out[j] = float32(v / sum)
			if math.Abs(v/sum) > 1e-9 {
				if first < 0 {
					first = j
				}
				last = j
			}
		}
		if p.interp {
			first, last = 0, p.width-1 // interpolated rows must share one span
		}
		p.first[r], p.count[r] = first, last-first+1
	}
	return p
}

// sinc is the normalised sinc, sin(πx)/(πx), exactly 0 at non-zero integers
// so that a half-band filter's even phase is a pure delay.
func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	if x == math.Trunc(x) {
		return 0
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the zeroth-order modified Bessel function of the first kind,
// from its power series Σ ((x/2)^k / k!)², which converges quickly for the
// arguments a Kaiser window uses (|x| ≤ β ≈ 8).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; term > sum*1e-17; k++ {
		term *= q / float64(k*k)
		sum += term
	}
	return sum
}
