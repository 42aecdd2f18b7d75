package transcribe

import (
	"strconv"
	"strings"
	"unicode"
)

// WordErrors counts the word substitutions, deletions and insertions that
// turn ref into hyp, after NormaliseWords on both, and returns that count
// and the number of reference words: WER = errors / words. Summing both
// over a corpus gives the corpus WER.
func WordErrors(ref, hyp string) (errors, words int) {
	r, h := NormaliseWords(ref), NormaliseWords(hyp)
	return EditDistance(r, h), len(r)
}

// EditDistance is the Levenshtein distance between two word sequences
// (substitutions, deletions and insertions), in two rows of the table.
func EditDistance(r, h []string) int {
	prev := make([]int, len(h)+1)
	cur := make([]int, len(h)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(r); i++ {
		cur[0] = i
		for j := 1; j <= len(h); j++ {
			sub := prev[j-1]
			if r[i-1] != h[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
		}
		prev, cur = cur, prev
	}
	return prev[len(h)]
}

// NormaliseWords is the usual normalisation for word error rate: lower case,
// punctuation dropped (apostrophes inside words kept), hyphens split, and
// numbers written out as words, so "19th of July, 1999" and "nineteenth of
// July, nineteen ninety-nine" compare equal.
func NormaliseWords(s string) []string {
	var out []string
	for _, tok := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '%'
	}) {
		tok = strings.Trim(tok, "'")
		if tok == "" {
			continue
		}
		out = append(out, numberWords(tok)...)
	}
	return out
}

var (
	ones = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens     = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
	ordinals = map[string]string{"one": "first", "two": "second", "three": "third", "five": "fifth",
		"eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
)

// numberWords spells out a token of digits (with an optional ordinal suffix
// or %) as words; other tokens come back unchanged.
func numberWords(tok string) []string {
	digits := strings.TrimRightFunc(tok, unicode.IsLetter)
	suffix := tok[len(digits):]
	pct := strings.HasSuffix(digits, "%")
	digits = strings.TrimSuffix(digits, "%")
	n, err := strconv.Atoi(digits)
	if err != nil || digits == "" || len(digits) > 9 || (suffix != "" && suffix != "st" && suffix != "nd" && suffix != "rd" && suffix != "th" && suffix != "s") {
		return []string{tok}
	}
	var w []string
	if n >= 1100 && n <= 2099 && n%1000 >= 10 && len(digits) == 4 && suffix == "" && !pct {
		// Years are read in pairs: 1999 nineteen ninety nine, 2025 twenty twenty five.
		w = append(cardinal(n/100), cardinal(n%100)...)
	} else {
		w = cardinal(n)
	}
	if suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th" {
		last := w[len(w)-1]
		if o, ok := ordinals[last]; ok {
			last = o
		} else if strings.HasSuffix(last, "y") {
			last = strings.TrimSuffix(last, "y") + "ieth"
		} else {
			last += "th"
		}
		w[len(w)-1] = last
	}
	if pct {
		w = append(w, "percent")
	}
	return w
}

func cardinal(n int) []string {
	switch {
	case n < 20:
		return []string{ones[n]}
	case n < 100:
		if n%10 == 0 {
			return []string{tens[n/10]}
		}
		return []string{tens[n/10], ones[n%10]}
	case n < 1000:
		w := []string{ones[n/100], "hundred"}
		if n%100 != 0 {
			w = append(w, cardinal(n%100)...)
		}
		return w
	case n < 1000000:
		w := append(cardinal(n/1000), "thousand")
		if n%1000 != 0 {
			w = append(w, cardinal(n%1000)...)
		}
		return w
	default:
		w := append(cardinal(n/1000000), "million")
		if n%1000000 != 0 {
			w = append(w, cardinal(n%1000000)...)
		}
		return w
	}
}
