package classify

import (
	"strings"
	"testing"
)

func TestClinicalWordsWrittenAsNamesAreSuppressed(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		text       string
		term       string
		suppressed bool
	}{
		{"Thanks, Tremor, you're booked in.", "tremor", true},
		{"Yes please. Tremor Blake, on 0161 496 0100.", "tremor", true},
		{"My hands have a tremor since the new tablets.", "tremor", false},
		{"Tremor in both hands since Monday.", "tremor", false}, // sentence start, no surname
		{"He was diagnosed with PTSD last year.", "ptsd", false},
		{"She has been on Prozac for a month.", "prozac", false}, // medication: brand names are capitalised
	}
	for _, tc := range cases {
		d := c.ClassifyText(tc.text)
		found := false
		for _, h := range d.Hits {
			if !strings.EqualFold(h.Text, tc.term) {
				continue
			}
			found = true
			if h.Suppressed != tc.suppressed || (tc.suppressed && h.SuppressedBy != ruleProperName) {
				t.Errorf("%q: %s suppressed=%v by %q, want %v", tc.text, tc.term, h.Suppressed, h.SuppressedBy, tc.suppressed)
			}
		}
		if !found {
			t.Errorf("%q: no hit for %q (hits %+v)", tc.text, tc.term, d.Hits)
		}
	}
}
