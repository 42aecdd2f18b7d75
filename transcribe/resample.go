package transcribe

// resampler converts one channel to SampleRate as blocks of input arrive, so
// that Decode never holds the source-rate signal: only the filter's history
// (a few dozen to a few hundred samples) stays between blocks.
//
// Output n is the filter centred at input time t = n·down/up. The input is
// treated as zero before its first sample and after its last, and exactly
// ceil(frames·up/down) outputs are made, so the output covers the input's
// duration without a filter delay to trim.
type resampler struct {
	p *polyphase
	// hist holds input samples from padded index histStart on, where
	// padded index q is input sample q−half (the first half are zeros).
	hist      []float32
	histStart int64
	pos       int64 // padded index of the sample just before the next output's first tap
	phase     int   // numerator of the next output's fractional position, 0 ≤ phase < up
	stepInt   int64 // whole input samples per output
	stepFrac  int   // fractional step, in units of 1/up
	made      int64
	total     int64
}

// newResampler makes a resampler that runs frames input samples through p.
func newResampler(p *polyphase, frames int64) *resampler {
	r := &resampler{p: p, stepInt: int64(p.down / p.up), stepFrac: p.down % p.up}
	r.total = (frames*int64(p.up) + int64(p.down) - 1) / int64(p.down)
	if !r.passthrough() {
		// Room for a block beyond what the filter keeps, so write never reallocates.
		r.hist = make([]float32, p.half, p.half+4*p.width+blockFrames)
	}
	return r
}

// passthrough reports whether the input is already at SampleRate.
func (r *resampler) passthrough() bool { return r.p.up == r.p.down }

// write appends to out the outputs that in (the next input samples) completes.
func (r *resampler) write(out, in []float32) []float32 {
	if r.passthrough() {
		r.made += int64(len(in))
		return append(out, in...)
	}
	r.hist = append(r.hist, in...)
	out = r.run(out)
	// Drop what no later output reaches back to.
	if drop := int(r.pos + 1 - r.histStart); drop > 0 {
		drop = min(drop, len(r.hist))
		n := copy(r.hist, r.hist[drop:])
		r.hist = r.hist[:n]
		r.histStart += int64(drop)
	}
	return out
}

// flush appends the outputs that reach past the last input sample.
func (r *resampler) flush(out []float32) []float32 {
	if r.passthrough() {
		return out
	}
	r.hist = append(r.hist, make([]float32, r.p.width+1)...)
	return r.run(out)
}

// run makes every output whose taps all lie in hist.
func (r *resampler) run(out []float32) []float32 {
	p := r.p
	end := r.histStart + int64(len(r.hist))
	for r.made < r.total && r.pos+int64(p.width) < end {
		x := r.hist[r.pos+1-r.histStart:]
		out = append(out, p.apply(r.phase, x))
		r.made++
		r.pos += r.stepInt
		r.phase += r.stepFrac
		if r.phase >= p.up {
			r.phase -= p.up
			r.pos++
		}
	}
	return out
}

// apply filters x (starting at the output's first tap) with the row for a
// fractional position of phase/up.
func (p *polyphase) apply(phase int, x []float32) float32 {
	if !p.interp {
		f, n := p.first[phase], p.count[phase]
		row := phase*p.width + f
		return dot(p.coef[row:row+n], x[f:f+n])
	}
	pos := float64(phase) * interpRows / float64(p.up)
	r := int(pos)
	a := float32(pos - float64(r))
	y0 := dot(p.coef[r*p.width:(r+1)*p.width], x)
	y1 := dot(p.coef[(r+1)*p.width:(r+2)*p.width], x)
	return y0 + a*(y1-y0)
}

// dot is the filter inner product, with four accumulators so the adds do
// not wait on each other.
func dot(c, x []float32) float32 {
	x = x[:len(c)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(c); i += 4 {
		cc, xx := c[i:i+4:i+4], x[i:i+4:i+4]
		s0 += cc[0] * xx[0]
		s1 += cc[1] * xx[1]
		s2 += cc[2] * xx[2]
		s3 += cc[3] * xx[3]
	}
	for ; i < len(c); i++ {
		s0 += c[i] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}
