package review

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/callscribe/callscribe/transcribe"
)

// AmendmentSize is how much a clinician changed the machine transcript
// before confirming: numbers only, so monitoring keeps nothing of what was
// said. Edits over Words estimates the transcript's word error rate (the
// clinician's amendment standing in for a reference transcript; it also
// counts any wording the clinician chose to change, so it is an upper
// estimate).
type AmendmentSize struct {
	// Words is the number of words in the machine transcript.
	Words int `json:"words"`
	// Edits is the word-level edit distance (substitutions, insertions,
	// deletions) from the machine transcript to the amended text.
	Edits int `json:"edits"`
	// Bounded is set when the texts were too long to compare exactly and
	// Edits is an upper bound.
	Bounded bool `json:"bounded,omitempty"`
}

// WER is the estimated word error rate; 0 for an empty transcript.
func (a AmendmentSize) WER() float64 {
	if a.Words == 0 {
		return 0
	}
	return float64(a.Edits) / float64(a.Words)
}

// maxEditCells bounds the edit-distance table (about a second of work): an
// amendment of a long call rewritten throughout gets an upper bound rather
// than holding a clinician's confirm for minutes.
const maxEditCells = 50_000_000

// linePrefix is the "[0:01:02 caller]" that TranscriptText puts before each
// segment and the amendment box starts from: layout, not words said.
var linePrefix = regexp.MustCompile(`(?m)^\s*\[[^\]\n]*\]`)

// Words splits text into lower-case words without punctuation or segment
// prefixes, the units a word error rate counts.
func Words(text string) []string {
	text = linePrefix.ReplaceAllString(text, " ")
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// MeasureAmendment compares the machine transcript's text with the amended
// text word by word.
func MeasureAmendment(machine, amended string) AmendmentSize {
	a, b := Words(machine), Words(amended)
	size := AmendmentSize{Words: len(a)}
	// Amendments are mostly local: what both share at either end costs
	// nothing and need not enter the table.
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	if len(a) == 0 || len(b) == 0 || len(a)*len(b) > maxEditCells {
		size.Edits = max(len(a), len(b))
		size.Bounded = len(a) > 0 && len(b) > 0
		return size
	}
	size.Edits = transcribe.EditDistance(a, b)
	return size
}
