package transcribe

import (
	"strings"
	"testing"
)

func TestNormaliseWords(t *testing.T) {
	cases := map[string]string{
		"Ryan Fletcher, nineteenth of July, nineteen ninety-nine.": "ryan fletcher nineteenth of july nineteen ninety nine",
		"Ryan Fletcher, 19th of July, 1999.":                       "ryan fletcher nineteenth of july nineteen ninety nine",
		"HE COULD WAIT NO LONGER":                                  "he could wait no longer",
		"I'm on 20mg, 2nd of May, 2005, 50% better, 121 days":      "i'm on 20mg second of may two thousand five fifty percent better one hundred twenty one days",
		"the 1st, 3rd, 12th, 20th and 31st":                        "the first third twelfth twentieth and thirty first",
		"'Quoted' words":                                           "quoted words",
	}
	for in, want := range cases {
		if got := strings.Join(NormaliseWords(in), " "); got != want {
			t.Errorf("NormaliseWords(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestWordErrors(t *testing.T) {
	for _, c := range []struct {
		ref, hyp      string
		errors, words int
	}{
		{"ask not what your country can do for you", "Ask not what your country can do for you.", 0, 9},
		{"ask not what your country can do for you", "ask what your country can do for you", 1, 9},         // deletion
		{"ask not what your country can do for you", "ask not what your county can do for you", 1, 9},      // substitution
		{"ask not what your country can do for you", "ask not what your country can do for you now", 1, 9}, // insertion
		{"the nineteenth", "the 19th", 0, 2},
		{"", "words from silence", 3, 0},
	} {
		e, w := WordErrors(c.ref, c.hyp)
		if e != c.errors || w != c.words {
			t.Errorf("WordErrors(%q, %q) = %d/%d, want %d/%d", c.ref, c.hyp, e, w, c.errors, c.words)
		}
	}
}
