package web_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/web"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		// NHS numbers.
		{"nhs plain", "NHS number 9434765919 please", "NHS number [NHS number] please"},
		{"nhs spaced", "it's 943 476 5919.", "it's [NHS number]."},
		{"nhs dashed", "943-476-5919", "[NHS number]"},
		{"nhs spoken (call-0011)", "NHS number six seven one, six four nine, three seven two oh.", "NHS number [NHS number]."},
		{"nhs spoken (call-0004)", "Yes, four two zero, zero zero five, four zero five five.", "Yes, [NHS number]."},
		{"nhs spoken (call-0052)", "Here we go. Six six five, seven two two, nine four six seven.", "Here we go. [NHS number]."},
		// Phone numbers.
		{"mobile", "call me on 07700 900123 today", "call me on [phone number] today"},
		{"landline", "0161 496 0100", "[phone number]"},
		{"landline 5-3-3", "01632 960 000", "[phone number]"},
		{"international", "+44 7700 900123", "[phone number]"},
		{"international (0)", "+44 (0)7700 900-123", "[phone number]"},
		{"phone unspaced", "07700900123", "[phone number]"},
		{"phone spoken (call-0017)", "It's oh seven seven oh oh, nine oh oh, seven six three.", "It's [phone number]."},
		{"phone spoken (call-0030)", "Their number is oh one two one, four nine six, oh one seven eight, and they're in", "Their number is [phone number], and they're in"},
		{"phone spoken (call-0065)", "Trevor Blakemore, on oh one six one, four nine six, oh one oh oh.", "Trevor Blakemore, on [phone number]."},
		{"phone spoken double", "oh seven seven double oh, nine double oh, one two three", "[phone number]"},
		{"phone spoken hundred", "oh one six one, four nine six, oh one hundred", "[phone number]"},
		// Dates.
		{"slashes", "DOB 18/03/2000.", "DOB [date]."},
		{"dashes", "born 18-03-2000", "born [date]"},
		{"iso", "2000-03-18", "[date]"},
		{"short year", "18/3/79", "[date]"},
		{"ordinal", "18th March 2000", "[date]"},
		{"ordinal of comma", "the 18th of March, 2000 yes", "the [date] yes"},
		{"month first", "March 18, 2000", "[date]"},
		{"spoken 2001 (call-0007)", "Jordan Ellis, eighteenth of March, two thousand and one.", "Jordan Ellis, [date]."},
		{"spoken digits year", "18th of March 1979", "[date]"},
		{"spoken (call-0001)", "Ryan Fletcher, nineteenth of July, nineteen ninety-nine.", "Ryan Fletcher, [date]."},
		{"spoken (call-0032)", "date of birth the eleventh of November, nineteen seventy-two, NHS number seven four five, four four two, eight nine five four.",
			"date of birth the [date], NHS number [NHS number]."},
		{"spoken two thousand", "Hannah Osei, twenty-second of February, two thousand.", "Hannah Osei, [date]."},
		{"spoken no year", "the fourth of April", "the [date]"},
		{"month year", "born March nineteen seventy-nine", "born [date]"},
		// Postcodes.
		{"postcode", "M1 1AE", "[postcode]"},
		{"postcode lower", "b21 2bn please", "[postcode] please"},
		{"postcode 2 letters", "NB21 2BN", "[postcode]"},
		{"postcode no space", "EC1A1BB", "[postcode]"},
		{"postcode spoken (call-0077)", "N B two, eight H S.", "[postcode]."},
		{"postcode spoken (call-0007)", "Sixty-two Hawthorn Road, Ashdale, N B twenty-one, two B N.", "Sixty-two Hawthorn Road, Ashdale, [postcode]."},
		// Left alone.
		{"emergency", "call nine nine nine now", "call nine nine nine now"},
		{"partial number", "the number ending four five six", "the number ending four five six"},
		{"appointment day", "Wednesday the nineteenth at ten o'clock", "Wednesday the nineteenth at ten o'clock"},
		{"small numbers", "room two one four, PHQ nine of twenty-two", "room two one four, PHQ nine of twenty-two"},
		{"time", "at 10:30 on the 6th", "at 10:30 on the 6th"},
		{"plain text", "I need to cancel my appointment.", "I need to cancel my appointment."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := web.Redact(tc.in); got != tc.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

var (
	// Independent of the patterns in redact.go, on purpose: what must not
	// survive, not how it is found.
	sixDigitsRE = regexp.MustCompile(`\d(?:[\s\-.,]?\d){5,}`)
	postcodeRE  = regexp.MustCompile(`(?i)\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b`)
	// Six or more digit words in a row: a number read out.
	spokenSixRE = regexp.MustCompile(`(?i)\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)[\s,.\-]+){5,}(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b`)
	// A spelled-out postcode: "N B two, eight H S".
	spokenPostcodeRE = regexp.MustCompile(`\b[A-Z]\s?[A-Z]?,?\s[a-z-]+,?\s[a-z]+,?\s[A-Z]\s?[A-Z]\b`)
	// A day and a month: "nineteenth of July".
	dayOfMonthRE = regexp.MustCompile(`(?i)(?:\d|st|nd|rd|th)\s+(?:of\s+)?(?:january|february|march|april|may|june|july|august|september|october|november|december)\b`)
)

// Every administrative dev call, redacted, keeps no identifier a
// transcript could carry: no run of six digits written or read out, no
// postcode written or spelled, no day-and-month date.
func TestRedactAdministrativeDevCalls(t *testing.T) {
	dir := testenv.Shared(t, "calls/dev")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dev calls: %v", err)
	}
	admin, tags := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var truth struct{ Label string }
		if err := json.Unmarshal(data, &truth); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if truth.Label != "administrative" {
			continue
		}
		txt, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		admin++
		name := filepath.Base(f)
		red := web.Redact(string(txt))
		tags += strings.Count(red, "[")
		for what, re := range map[string]*regexp.Regexp{
			"6+ digit run": sixDigitsRE, "postcode": postcodeRE, "number read out": spokenSixRE,
			"spelled postcode": spokenPostcodeRE, "day and month": dayOfMonthRE,
		} {
			if m := re.FindString(red); m != "" {
				// The match is an identifier that leaked; name the call only.
				t.Errorf("%s: a %s survives redaction", name, what)
			}
		}
	}
	if admin < 10 {
		t.Fatalf("only %d administrative dev calls", admin)
	}
	if tags == 0 {
		t.Fatal("nothing was redacted in any administrative dev call")
	}
	t.Logf("%d administrative dev calls, %d tags", admin, tags)
}
