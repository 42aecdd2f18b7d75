package transcribe

import (
	"math"
	"testing"
	"time"
)

func TestLabelSpeakers(t *testing.T) {
	// Channel 0 speaks in the first second, channel 1 in the second.
	n := 2 * SampleRate
	ch0, ch1 := make([]float32, n), make([]float32, n)
	for i := 0; i < SampleRate; i++ {
		ch0[i] = float32(0.5 * math.Sin(float64(i)*0.3))
		ch1[SampleRate+i] = float32(0.5 * math.Sin(float64(i)*0.2))
	}
	a := &Audio{Samples: make([]float32, n), Channels: [][]float32{ch0, ch1}}
	tr := &Transcript{Segments: []Segment{
		{Start: 0, End: time.Second, Text: "Single Point of Access"},
		{Start: time.Second, End: 2 * time.Second, Text: "I need help"},
	}}
	LabelSpeakers(tr, a, nil)
	if tr.Segments[0].Speaker != "handler" || tr.Segments[1].Speaker != "caller" {
		t.Fatalf("speakers %q %q, want handler caller", tr.Segments[0].Speaker, tr.Segments[1].Speaker)
	}
	mono := &Transcript{Segments: []Segment{{Start: 0, End: time.Second}}}
	LabelSpeakers(mono, &Audio{Samples: ch0}, nil)
	if mono.Segments[0].Speaker != "" {
		t.Fatalf("mono labelled %q", mono.Segments[0].Speaker)
	}
}
