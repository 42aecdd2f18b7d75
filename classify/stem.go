package classify

import "strings"

// stem strips inflection so that "hearing voices", "heard voices" and "hears
// a voice" meet one rule. It is the first and last steps of Porter's (1980)
// stemmer only, plural, -ed, -ing, final -y and final -e, not its
// derivational steps: "depression" and "medication" keep their meaning
// instead of collapsing into "depress" and "medic". Porter's measure rules
// (rather than blind suffix stripping) keep "caring" and "car", "scared" and
// "scar", "hoping" and "hopping" apart. Rules and transcripts are stemmed by
// the same function, so any remaining irregularity only costs a cross-form
// match, never a wrong one; rules that must not be stemmed say match: exact.
func stem(w string) string {
	if base := irregular(w); base != "" {
		w = base
	}
	if len(w) <= 2 || !isLowerASCII(w) || keepWhole(w) {
		return w
	}
	w = porterStep1a(w)
	w = porterStep1b(w)
	w = porterStep1c(w)
	return porterStep5a(w)
}

// irregular gives the base form of common irregular verbs that callers use
// about symptoms and medication; "" when w is not one.
func irregular(w string) string { return irregularBase[w] }

var irregularBase = map[string]string{
	"felt": "feel", "heard": "hear", "took": "take", "taken": "take", "slept": "sleep",
	"ate": "eat", "eaten": "eat", "drank": "drink", "drunk": "drink",
	"died": "die", "dying": "die", "dies": "die", "lying": "lie", "lied": "lie", "lies": "lie",
	"ran": "run", "lost": "lose", "got": "get", "gotten": "get", "gave": "give", "given": "give",
	"said": "say", "made": "make", "woke": "wake", "woken": "wake", "kept": "keep",
	"hung": "hang", "hanged": "hang", "fell": "fall", "fallen": "fall", "began": "begin", "begun": "begin",
	"stole": "steal", "stolen": "steal", "threw": "throw", "thrown": "throw", "beaten": "beat",
}

// keepWhole lists short function words that Porter's plural step would
// mangle into other words ("his" into "hi", "bus" into "bu").
func keepWhole(w string) bool {
	switch w {
	case "his", "this", "was", "has", "is", "as", "us", "yes", "bus", "gas",
		"its", "plus", "thus", "does", "goes", "less", "unless":
		return true
	}
	return false
}

func isLowerASCII(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// isConsonant follows Porter: a, e, i, o, u are vowels, and y is a vowel
// when it follows a consonant.
func isConsonant(w string, i int) bool {
	switch w[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		return i == 0 || !isConsonant(w, i-1)
	}
	return true
}

// measure is Porter's m: the number of vowel-consonant sequences in w.
func measure(w string) int {
	m := 0
	inVowel := false
	for i := range len(w) {
		if isConsonant(w, i) {
			if inVowel {
				m++
			}
			inVowel = false
		} else {
			inVowel = true
		}
	}
	return m
}

func hasVowel(w string) bool {
	for i := range len(w) {
		if !isConsonant(w, i) {
			return true
		}
	}
	return false
}

func endsDoubleConsonant(w string) bool {
	n := len(w)
	return n >= 2 && w[n-1] == w[n-2] && isConsonant(w, n-1)
}

// endsCVC is Porter's *o: consonant-vowel-consonant, the last not w, x or y
// ("hop", "car", "scar"), where a dropped final e is put back.
func endsCVC(w string) bool {
	n := len(w)
	if n < 3 || !isConsonant(w, n-3) || isConsonant(w, n-2) || !isConsonant(w, n-1) {
		return false
	}
	c := w[n-1]
	return c != 'w' && c != 'x' && c != 'y'
}

func porterStep1a(w string) string {
	switch {
	case strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ies"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ss"):
		return w
	case strings.HasSuffix(w, "s"):
		return w[:len(w)-1]
	}
	return w
}

func porterStep1b(w string) string {
	if base, ok := strings.CutSuffix(w, "eed"); ok {
		if measure(base) > 0 {
			return base + "ee"
		}
		return w
	}
	var base string
	if b, ok := strings.CutSuffix(w, "ed"); ok && hasVowel(b) {
		base = b
	} else if b, ok := strings.CutSuffix(w, "ing"); ok && hasVowel(b) {
		base = b
	} else {
		return w
	}
	switch {
	case strings.HasSuffix(base, "at"), strings.HasSuffix(base, "bl"), strings.HasSuffix(base, "iz"):
		return base + "e"
	case endsDoubleConsonant(base):
		if c := base[len(base)-1]; c != 'l' && c != 's' && c != 'z' {
			return base[:len(base)-1]
		}
		return base
	case measure(base) == 1 && endsCVC(base):
		return base + "e"
	}
	return base
}

func porterStep1c(w string) string {
	if base, ok := strings.CutSuffix(w, "y"); ok && hasVowel(base) {
		return base + "i"
	}
	return w
}

func porterStep5a(w string) string {
	base, ok := strings.CutSuffix(w, "e")
	if !ok {
		return w
	}
	if m := measure(base); m > 1 || (m == 1 && !endsCVC(base)) {
		return base
	}
	return w
}
