package transcribe

import "time"

// Span is a stretch of one channel, in samples at SampleRate: [Start, End).
type Span struct{ Start, End int }

// spanPad is kept either side of the frames above the threshold: word onsets
// and trailing consonants are quieter than the vowels that cross it.
const spanPad = 300 * SampleRate / 1000

// spanBridge: pauses shorter than this stay inside a span. A turn's own
// pauses between phrases are under a second; cutting them would glue its
// phrases together for Whisper and lose the pause it segments on.
const spanBridge = 1 * SampleRate

// SpeechSpans returns the stretches of s where something is heard: runs of
// 30 ms frames whose level is at least thresholdDBFS, padded by 300 ms and
// joined across pauses under a second. Like SpeechActivity it is an energy
// measure, not a speech detector; on one channel of a two-channel call it
// finds where that side talks, because while the other side talks the
// channel is near digital silence.
func SpeechSpans(s []float32, thresholdDBFS float64) []Span {
	var out []Span
	for i := 0; i < len(s); i += SpeechFrame {
		end := min(i+SpeechFrame, len(s))
		if rmsDBFS(s[i:end]) < thresholdDBFS {
			continue
		}
		from, to := max(0, i-spanPad), min(len(s), end+spanPad)
		if n := len(out); n > 0 && from-out[n-1].End < spanBridge {
			out[n-1].End = to
			continue
		}
		out = append(out, Span{from, to})
	}
	return out
}

// compactGap is the silence left between two spans in a compacted channel:
// enough for Whisper to end a segment there, far less than the silence cut.
const compactGap = SampleRate / 2

// Compacted is a channel with its silences cut out, and how to map a time
// in it back to the recording's.
type Compacted struct {
	Samples []float32
	pieces  []piece
}

type piece struct{ at, from, n int } // at: offset in Samples; from: offset in the original

// Compact joins spans of s, with compactGap of silence between them.
func Compact(s []float32, spans []Span) *Compacted {
	c := &Compacted{}
	for i, sp := range spans {
		if i > 0 {
			c.Samples = append(c.Samples, make([]float32, compactGap)...)
		}
		c.pieces = append(c.pieces, piece{at: len(c.Samples), from: sp.Start, n: sp.End - sp.Start})
		c.Samples = append(c.Samples, s[sp.Start:sp.End]...)
	}
	return c
}

// Original maps a time in the compacted audio to the original recording's.
// A time in a gap maps to the end of the span before it.
func (c *Compacted) Original(t time.Duration) time.Duration {
	idx := int(t.Seconds()*SampleRate + 0.5)
	var p piece
	for _, q := range c.pieces {
		if q.at > idx {
			break
		}
		p = q
	}
	return time.Duration(p.from+min(max(idx-p.at, 0), p.n)) * time.Second / SampleRate
}
