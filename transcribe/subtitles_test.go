package transcribe

import (
	"bytes"
	"testing"
	"time"
)

func TestSubtitles(t *testing.T) {
	tr := &Transcript{Segments: []Segment{
		{Start: 0, End: 2500 * time.Millisecond, Text: "Single Point of Access.", Speaker: "handler"},
		{Start: 3723456 * time.Millisecond, End: 3725000 * time.Millisecond, Text: "Hello."},
	}}
	var b bytes.Buffer
	if err := WriteSRT(&b, tr); err != nil {
		t.Fatal(err)
	}
	want := "1\n00:00:00,000 --> 00:00:02,500\n[Handler] Single Point of Access.\n\n2\n01:02:03,456 --> 01:02:05,000\nHello.\n\n"
	if b.String() != want {
		t.Errorf("SRT:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := WriteVTT(&b, tr); err != nil {
		t.Fatal(err)
	}
	want = "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n<v handler>Single Point of Access.\n\n01:02:03.456 --> 01:02:05.000\nHello.\n\n"
	if b.String() != want {
		t.Errorf("VTT:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := WriteText(&b, tr); err != nil || b.String() != "Single Point of Access.\nHello.\n" {
		t.Errorf("text: %q %v", b.String(), err)
	}
}
