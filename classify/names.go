package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/callscribe/callscribe/transcribe"
)

// ruleProperName is the suppression reported for a clinical word that
// Whisper wrote as a name.
const ruleProperName = "ctx.proper-name"

// markNames suppresses single clinical words that the transcript writes as
// a proper name: capitalised in the middle of a sentence, as Whisper writes
// names ("Thanks, Tremor", "Tremor Blake" for a caller called Trevor) and
// places ("the Haven"). Whisper does not capitalise symptoms or diagnoses
// mid-sentence, so the capital is evidence of another sense, like the
// context phrases of the rules file.
//
// At a sentence start the capital is grammar, so the word counts unless
// another capitalised word follows directly (a first name and surname).
// Medication rules are exempt (brand names are capitalised: "Prozac"), as
// are acronyms ("PTSD", "ADHD") and phrases of more than one word ("Mental
// Health Act"), whose capitals say nothing about their sense.
func (c *Classifier) markNames(found []match, segs []transcribe.Segment, words []word) {
	for i := range found {
		m := &found[i]
		r := &c.rules[m.ref.index]
		if m.suppressed() || m.tolerant || r.class != Clinical || m.first != m.last || strings.HasPrefix(r.id, "clin.med") {
			continue
		}
		w := words[m.first]
		text := segs[w.seg].Text
		if !titleCase(text[w.start:w.end]) {
			continue
		}
		// At a sentence start the capital is grammar, unless a second
		// capitalised word follows at once: a full name ("Tremor Blake").
		if !sentenceStart(text, int(w.start)) || (int(m.last)+1 < len(words) && followedByName(words[m.last+1], w, text)) {
			m.suppressor = properNameSuppressor
		}
	}
}

// titleCase reports an upper-case letter followed only by lower-case ones.
func titleCase(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(r) || n == len(s) {
		return false
	}
	for _, r := range s[n:] {
		if unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// sentenceStart reports whether the word at byte i begins its segment or a
// sentence.
func sentenceStart(text string, i int) bool {
	j := strings.LastIndexFunc(text[:i], func(r rune) bool { return !unicode.IsSpace(r) && r != '"' && r != '\'' && r != '(' })
	if j < 0 {
		return true
	}
	switch text[j] {
	case '.', '?', '!', ':', '-':
		return true
	}
	return false
}

// followedByName reports whether next, in the same segment, is a
// capitalised word separated from w by a single space.
func followedByName(next, w word, text string) bool {
	return next.seg == w.seg && int(next.start) == int(w.end)+1 && text[w.end] == ' ' && titleCase(text[next.start:next.end])
}
