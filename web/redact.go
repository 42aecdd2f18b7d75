package web

import (
	"regexp"
	"strings"
)

// Redaction tags. They are bracketed so a reader sees that something was
// there and what kind of thing it was, without seeing it.
const (
	tagNHS      = "[NHS number]"
	tagPhone    = "[phone number]"
	tagDate     = "[date]"
	tagPostcode = "[postcode]"
)

// The privacy notice promises admin staff see administrative transcripts
// only with NHS numbers, phone numbers, dates of birth and postcodes
// removed. Transcripts are what whisper heard, so the same identifier may
// be written in digits ("07700 900123"), in words ("oh seven seven oh
// oh...") or in a mixture; the patterns below are deliberately broad.
// A false positive costs an admin a few words; a false negative leaks an
// identifier, so every doubt is resolved towards redacting.
//
// All patterns are RE2 (linear time), compiled once.
const (
	// Words for a single digit as a caller reads a number out.
	digitWord = `zero|oh|nought|nil|one|two|three|four|five|six|seven|eight|nine`
	unitWord  = `one|two|three|four|five|six|seven|eight|nine`
	teenWord  = `ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen`
	tensWord  = `twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety`
	// 1-99 in words: "seven", "nineteen", "ninety-nine", "twenty one".
	num99Word = `(?:(?:` + tensWord + `)(?:[\s-](?:` + unitWord + `))?|` + teenWord + `|` + unitWord + `)`
	// 10-99 in words, the second half of a spoken year.
	num10to99Word = `(?:(?:` + tensWord + `)(?:[\s-](?:` + unitWord + `))?|` + teenWord + `)`
	ordinalWord   = `(?:(?:twenty|thirty)[\s-]?)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|tenth|eleventh|twelfth|(?:thir|four|fif|six|seven|eigh|nine)teenth|twentieth|thirtieth`
	monthName     = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`
	// A year: 1979, '79, "nineteen seventy-nine", "nineteen oh five",
	// "two thousand", "two thousand and one", "twenty twenty-one".
	yearForm = `(?:\d{4}|'\d{2}|(?:nineteen|twenty)[\s-](?:hundred|oh[\s-](?:` + unitWord + `)|` + num10to99Word + `)|two[\s-]thousand(?:,?(?:\s+and)?\s+` + num99Word + `)?)`
	// A day of the month: 18, 18th, "eighteenth", "twenty-first".
	dayForm = `(?:\d{1,2}(?:st|nd|rd|th)?|` + ordinalWord + `)`
)

var (
	// Numeric dates: 18/03/2000, 18-3-00, 18.03.2000, 2000-03-18.
	numericDateRE = regexp.MustCompile(`\b(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2})\b`)
	// Day then month: "18th March 2000", "18th of March, 2000",
	// "eighteenth of March, two thousand and one", "18 Mar". A spoken
	// cardinal day ("eighteen of March") counts only with "of".
	dayMonthRE = regexp.MustCompile(`(?i)\b(?:` + dayForm + `(?:\s+of)?|(?:` + num99Word + `)\s+of)[\s,]+(?:the\s+)?` + monthName + `(?:,?\s+(?:of\s+)?` + yearForm + `)?\b`)
	// Month then day: "March 18, 2000", "March the eighteenth".
	monthDayRE = regexp.MustCompile(`(?i)\b` + monthName + `\s+(?:the\s+)?` + dayForm + `\b(?:,?\s+` + yearForm + `\b)?`)
	// Month and year alone: "March 2000", "March nineteen seventy-nine".
	monthYearRE = regexp.MustCompile(`(?i)\b` + monthName + `,?\s+(?:of\s+)?` + yearForm + `\b`)

	// Written postcodes, any case: "M1 1AE", "B21 2BN", "NB21 2BN", "ec1a1bb".
	postcodeRE = regexp.MustCompile(`(?i)\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b`)
	// Spoken or spelled postcodes: "N B two, eight H S",
	// "N B twenty-one, two B N", "NB 21, 2 B N". Letters must be capitals
	// here, or ordinary words ("a", "I") would start matches.
	spokenPostcodeRE = regexp.MustCompile(`\b[A-Z](?:\s?[A-Z])?[\s,]*(?:\d{1,2}[A-Z]?|(?i:` + num99Word + `)(?:\s[A-Z])?)[\s,]+(?:\d|(?i:` + digitWord + `))[\s,]*[A-Z][\s,]?[A-Z]\b`)

	// A run of digits as written, with the separators people and whisper
	// put between groups: "07700 900123", "+44 (0)7700 900-123", "943 476 5919".
	digitRunRE = regexp.MustCompile(`(?:\+\s?)?\(?\d(?:[\s\-.,()]{0,3}\d)*`)
	// A run of numbers read out: "oh seven seven oh oh, nine oh oh, six
	// four eight", "double seven", "four nine six, oh one hundred".
	spokenToken  = `(?:(?:double|triple|treble)[\s-]+(?:` + digitWord + `)|` + num10to99Word + `|` + digitWord + `|hundred|\d+)`
	spokenRunRE  = regexp.MustCompile(`(?i)\b` + spokenToken + `(?:[\s,.\-]+` + spokenToken + `)*\b`)
	spokenPartRE = regexp.MustCompile(`(?i)(double|triple|treble)[\s-]+(?:` + digitWord + `)|` + num10to99Word + `|hundred|` + digitWord + `|\d+`)
)

// minDigits is the shortest run of digits that is redacted. NHS numbers
// have 10 and UK phone numbers 10 or 11, but a number is often read out in
// parts or with a slip ("nine oh oh, six four eight"), and six digits of a
// phone number are already too many to show.
const minDigits = 6

// Redact replaces NHS numbers, phone numbers, dates (of birth, and any
// other full date, since a transcript does not say which is which) and
// postcodes in text with bracketed tags. Dates go first, so a spoken year
// does not join the number read out after it; postcodes before digit runs,
// so "B21 2BN" is a postcode rather than a stray number; written digits
// before numbers read out, so "+44 (0)7700..." is taken whole.
func Redact(text string) string {
	text = numericDateRE.ReplaceAllString(text, tagDate)
	text = dayMonthRE.ReplaceAllString(text, tagDate)
	text = monthDayRE.ReplaceAllString(text, tagDate)
	text = monthYearRE.ReplaceAllString(text, tagDate)
	text = postcodeRE.ReplaceAllString(text, tagPostcode)
	text = spokenPostcodeRE.ReplaceAllString(text, tagPostcode)
	text = digitRunRE.ReplaceAllStringFunc(text, redactDigitRun)
	text = spokenRunRE.ReplaceAllStringFunc(text, redactSpokenRun)
	return text
}

// redactDigitRun tags a written run of at least minDigits digits: ten
// digits not starting with 0 (or +) is taken for an NHS number, anything
// else for a phone number.
func redactDigitRun(run string) string {
	n, first := 0, byte(0)
	for i := 0; i < len(run); i++ {
		if c := run[i]; c >= '0' && c <= '9' {
			if n == 0 {
				first = c
			}
			n++
		}
	}
	if n < minDigits {
		return run
	}
	return numberTag(n, first != '0' && !strings.HasPrefix(run, "+"))
}

// redactSpokenRun counts the digits in a number read out ("double oh" is
// two, "forty" two, "hundred" two) and tags it like redactDigitRun.
func redactSpokenRun(run string) string {
	n, leadingZero := 0, false
	for i, p := range spokenPartRE.FindAllString(run, -1) {
		lp := strings.ToLower(p)
		var d int
		switch {
		case strings.HasPrefix(lp, "double"):
			d = 2
		case strings.HasPrefix(lp, "triple"), strings.HasPrefix(lp, "treble"):
			d = 3
		case lp == "hundred":
			d = 2
		case lp[0] >= '0' && lp[0] <= '9':
			d = len(lp)
		case isDigitWord(lp):
			d = 1
		default: // ten to ninety-nine
			d = 2
		}
		if i == 0 {
			leadingZero = lp == "zero" || lp == "oh" || lp == "nought" || lp == "nil" || lp[0] == '0' ||
				strings.HasSuffix(lp, " oh") || strings.HasSuffix(lp, "-oh") || strings.HasSuffix(lp, " zero")
		}
		n += d
	}
	if n < minDigits {
		return run
	}
	return numberTag(n, !leadingZero)
}

func isDigitWord(w string) bool {
	switch w {
	case "zero", "oh", "nought", "nil", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine":
		return true
	}
	return false
}

// numberTag names what a redacted number most likely was.
func numberTag(digits int, couldBeNHS bool) string {
	if digits == 10 && couldBeNHS {
		return tagNHS
	}
	return tagPhone
}
