package transcribe

import "math"

// LabelSpeakers names the speaker of each segment of a two-channel recording.
// Telephone recorders put the call handler and the caller on separate
// channels, so the channel with more energy over a segment's time span is the
// one speaking. names[i] is the speaker on channel i (default "handler",
// "caller"). Mono recordings are left unlabelled.
func LabelSpeakers(t *Transcript, a *Audio, names []string) {
	if len(a.Channels) != 2 {
		return
	}
	if len(names) < 2 {
		names = []string{"handler", "caller"}
	}
	for i := range t.Segments {
		s := &t.Segments[i]
		from := int(s.Start.Seconds() * SampleRate)
		to := int(s.End.Seconds() * SampleRate)
		e0, e1 := energy(a.Channels[0], from, to), energy(a.Channels[1], from, to)
		switch {
		case e0 == 0 && e1 == 0:
			// nothing to tell them apart
		case e0 >= e1:
			s.Speaker = names[0]
		default:
			s.Speaker = names[1]
		}
	}
}

func energy(x []float32, from, to int) float64 {
	from = max(0, min(from, len(x)))
	to = max(from, min(to, len(x)))
	var sum float64
	for _, v := range x[from:to] {
		sum += float64(v) * float64(v)
	}
	if math.IsNaN(sum) {
		return 0
	}
	return sum
}
