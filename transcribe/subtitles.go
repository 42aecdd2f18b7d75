package transcribe

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes one line per segment, as whisper-cli's -otxt does.
func WriteText(w io.Writer, t *Transcript) error {
	for _, s := range t.Segments {
		if _, err := fmt.Fprintln(w, s.Text); err != nil {
			return err
		}
	}
	return nil
}

// WriteSRT writes SubRip subtitles (comma before milliseconds).
func WriteSRT(w io.Writer, t *Transcript) error {
	for i, s := range t.Segments {
		if _, err := fmt.Fprintf(w, "%d\n%s --> %s\n%s\n\n", i+1, stamp(s.Start, ","), stamp(s.End, ","), cueText(s)); err != nil {
			return err
		}
	}
	return nil
}

// WriteVTT writes WebVTT subtitles; a speaker label becomes a voice tag.
func WriteVTT(w io.Writer, t *Transcript) error {
	if _, err := io.WriteString(w, "WEBVTT\n\n"); err != nil {
		return err
	}
	for _, s := range t.Segments {
		text := s.Text
		if s.Speaker != "" {
			text = "<v " + s.Speaker + ">" + text
		}
		if _, err := fmt.Fprintf(w, "%s --> %s\n%s\n\n", stamp(s.Start, "."), stamp(s.End, "."), text); err != nil {
			return err
		}
	}
	return nil
}

func cueText(s Segment) string {
	if s.Speaker != "" {
		return "[" + strings.ToUpper(s.Speaker[:1]) + s.Speaker[1:] + "] " + s.Text
	}
	return s.Text
}

// stamp formats hh:mm:ss<sep>mmm.
func stamp(d time.Duration, sep string) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d%s%03d", ms/3600000, ms/60000%60, ms/1000%60, sep, ms%1000)
}
