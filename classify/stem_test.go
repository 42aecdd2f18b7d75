package classify

import "testing"

func TestStemMergesInflections(t *testing.T) {
	same := [][]string{
		{"hear", "hears", "hearing", "heard"},
		{"voice", "voices"},
		{"sleep", "sleeps", "sleeping", "slept"},
		{"worry", "worries", "worried", "worrying"},
		{"stop", "stops", "stopped", "stopping"},
		{"overdose", "overdoses", "overdosed"},
		{"take", "takes", "taking", "took", "taken"},
		{"cut", "cuts", "cutting"},
		{"care", "caring", "cared"},
		{"hope", "hoping", "hoped"},
		{"scare", "scared"},
		{"use", "used", "using", "uses"},
		{"need", "needs", "needed", "needing"},
		{"bleed", "bleeding"},
		{"die", "dies", "died", "dying"},
		{"hospitalise", "hospitalised", "hospitalising"},
		{"feel", "feeling", "felt"},
	}
	for _, group := range same {
		want := stem(group[0])
		for _, w := range group[1:] {
			if got := stem(w); got != want {
				t.Errorf("stem(%q) = %q, want %q like stem(%q)", w, got, want, group[0])
			}
		}
	}
}

func TestStemKeepsWordsApart(t *testing.T) {
	apart := [][2]string{
		{"car", "caring"},
		{"scar", "scared"},
		{"hop", "hoping"},
		{"her", "here"},
		{"his", "hi"},
		{"bus", "bu"},
		{"depression", "depressed"},
		{"medication", "medical"},
	}
	for _, p := range apart {
		if stem(p[0]) == stem(p[1]) {
			t.Errorf("stem(%q) and stem(%q) are both %q", p[0], p[1], stem(p[0]))
		}
	}
}

func TestStemLeavesNumbersAndShortWords(t *testing.T) {
	for _, w := range []string{"50", "is", "us", "mg", "a", "café"} {
		if got := stem(w); got != w {
			t.Errorf("stem(%q) = %q, want it unchanged", w, got)
		}
	}
}
