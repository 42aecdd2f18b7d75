package classify

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the decision for a person to read: label, rules
// version, the transcript-quality figures, the reasons, then every hit
// (rule, category, segment, byte span, audio time, speaker, the words as
// transcribed, and whether the match was tolerant or suppressed), each line
// started with indent.
func (d Decision) WriteText(w io.Writer, indent string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%slabel: %s\n", indent, d.Label)
	fmt.Fprintf(&b, "%srules: %s\n", indent, d.RulesVersion)
	fmt.Fprintf(&b, "%squality: %s\n", indent, d.Quality)
	for _, r := range d.Reasons {
		fmt.Fprintf(&b, "%sreason: %s\n", indent, r)
	}
	for _, h := range d.Hits {
		fmt.Fprintf(&b, "%shit: %s\n", indent, h)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String is the quality figures on one line.
func (q Quality) String() string {
	s := fmt.Sprintf("%d segments, %d words, %.1f s speech", q.Segments, q.Words, q.SpeechSeconds)
	if q.AvgLogProb != 0 {
		s += fmt.Sprintf(", avg log-prob %.2f", q.AvgLogProb)
	}
	if q.Segments > 0 && (q.MaxNoSpeechProb != 0 || q.AvgLogProb != 0) {
		s += fmt.Sprintf(", max no-speech %.2f, doubtful words %d (%.0f%%)", q.MaxNoSpeechProb, q.DoubtfulWords, 100*q.DoubtfulShare)
	}
	return s + fmt.Sprintf(", repetition %.2f, longest repeat %d words", q.RepetitionRatio, q.LongestRepeatWords)
}

// String is the hit on one line: class, rule, category, where, what.
func (h Hit) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %-28s %-24s seg %d bytes %d-%d", h.Class, h.RuleID, "("+h.Category+")", h.Segment, h.Start, h.End)
	if h.AudioEnd > 0 {
		fmt.Fprintf(&b, " audio %s-%s", clock(h.AudioStart), clock(h.AudioEnd))
	}
	if h.Speaker != "" {
		fmt.Fprintf(&b, " %s", h.Speaker)
	}
	fmt.Fprintf(&b, " %q", h.Text)
	if h.Tolerant {
		fmt.Fprintf(&b, " tolerant (near spelling of %q)", h.Term)
	}
	if h.Doubtful {
		b.WriteString(" doubtful (segment may not be speech or was barely understood)")
	}
	if h.Suppressed {
		fmt.Fprintf(&b, " suppressed by %s", h.SuppressedBy)
	}
	return b.String()
}

// clock formats an audio offset as m:ss.s.
func clock(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	m := d / time.Minute
	s := (d - m*time.Minute).Seconds()
	return fmt.Sprintf("%d:%04.1f", m, s)
}
