package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one normalised word with the byte span of the original word it
// came from. A contraction expands to several tokens that share one span, so
// a hit on "not" in "don't" still points at "don't" in the transcript.
type token struct {
	norm  string // lower case, British spelling, contractions expanded
	stem  string // norm with plural/-ing/-ed endings removed
	start int    // byte offset of the original word in its segment text
	end   int
}

// tokenise splits text into normalised tokens. Words are runs of letters or
// of digits (so "50mg" is "50" "mg" and "PHQ-9" is "phq" "9"); an apostrophe
// between letters stays inside the word so that contractions can be
// expanded; "&" becomes "and" so that "A&E" and "A and E" read the same.
// Everything else separates words. The same function normalises rule terms,
// which is what makes matching insensitive to case, punctuation, spelling
// variant, contraction and simple inflection on both sides alike.
func tokenise(text string) []token {
	var out []token
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '&':
			out = append(out, newToken("and", i, i+size))
			i += size
		case unicode.IsLetter(r):
			j := i + size
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if unicode.IsLetter(r2) || unicode.IsMark(r2) {
					j += s2
					continue
				}
				if isApostrophe(r2) && j+s2 < len(text) {
					r3, _ := utf8.DecodeRuneInString(text[j+s2:])
					if unicode.IsLetter(r3) {
						j += s2
						continue
					}
				}
				break
			}
			out = appendWord(out, text[i:j], i, j)
			i = j
		case unicode.IsDigit(r):
			j := i + size
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if !unicode.IsDigit(r2) {
					break
				}
				j += s2
			}
			out = append(out, newToken(text[i:j], i, j))
			i = j
		default:
			i += size
		}
	}
	return out
}

func isApostrophe(r rune) bool {
	return r == '\'' || r == '\u2019' || r == '\u2018' || r == '\u02bc'
}

func newToken(norm string, start, end int) token {
	return token{norm: norm, stem: stem(norm), start: start, end: end}
}

// appendWord lower-cases one word, expands its contraction if it has one and
// maps its spelling to the British form.
func appendWord(out []token, word string, start, end int) []token {
	w := strings.ToLower(word)
	if strings.ContainsFunc(w, isApostrophe) {
		w = strings.Map(func(r rune) rune {
			if isApostrophe(r) {
				return '\''
			}
			return r
		}, w)
		for _, part := range expandContraction(w) {
			out = append(out, newToken(britishSpelling(part), start, end))
		}
		return out
	}
	if parts := informal(w); parts != nil {
		for _, part := range parts {
			out = append(out, newToken(part, start, end))
		}
		return out
	}
	return append(out, newToken(britishSpelling(w), start, end))
}

// informal expands spoken forms written as one word, so that "I'm gonna"
// matches a rule written "going to", and contractions that lost their
// apostrophe (as some transcribers write them) still read as "not"; nil when
// w is not one.
func informal(w string) []string { return informalWords[w] }

var informalWords = map[string][]string{
	"dont": {"do", "not"}, "didnt": {"did", "not"}, "doesnt": {"does", "not"}, "isnt": {"is", "not"},
	"wasnt": {"was", "not"}, "arent": {"are", "not"}, "werent": {"were", "not"}, "havent": {"have", "not"},
	"hasnt": {"has", "not"}, "hadnt": {"had", "not"}, "couldnt": {"could", "not"},
	"wouldnt": {"would", "not"}, "shouldnt": {"should", "not"},
	"cant": {"can", "not"}, "wont": {"will", "not"}, "cannot": {"can", "not"},
	"im": {"i", "am"}, "ive": {"i", "have"},
	"gonna": {"going", "to"}, "wanna": {"want", "to"}, "gotta": {"got", "to"},
	"dunno": {"do", "not", "know"},
}

// fixedContractions are the contractions that are not a word and a
// suffix, and the words they stand for (shared: not to be changed).
var fixedContractions = map[string][]string{
	"can't": {"can", "not"}, "won't": {"will", "not"}, "shan't": {"shall", "not"},
	"ain't": {"is", "not"}, "let's": {"let", "us"}, "o'clock": {"oclock"},
}

// contractionSuffixes are the endings expandContraction splits off, and
// the words they stand for.
var contractionSuffixes = []struct{ suffix, word string }{
	{"n't", "not"}, {"'m", "am"}, {"'re", "are"}, {"'ve", "have"},
	{"'ll", "will"}, {"'d", "would"}, {"'s", "is"},
}

// expandContraction splits a word holding an apostrophe into the words it
// stands for. "'s" always becomes "is": in speech it is far more often "is"
// or "has" than a possessive ("the queue's killing me", "she's taken
// something"), and because rule terms go through the same expansion a
// possessive still matches consistently ("children's services").
func expandContraction(w string) []string {
	if parts, ok := fixedContractions[w]; ok {
		return parts
	}
	for _, s := range contractionSuffixes {
		if base, ok := strings.CutSuffix(w, s.suffix); ok && base != "" && !strings.Contains(base, "'") {
			return []string{base, s.word}
		}
	}
	// Any other apostrophe (y'all, names like O'Neill) is dropped.
	return []string{strings.ReplaceAll(w, "'", "")}
}
