package classify

import "testing"

func TestRiskOf(t *testing.T) {
	c := defaultClassifier(t)
	for _, tc := range []struct {
		text string
		want Risk
		cat  string
	}{
		{"I have been having suicidal thoughts since Friday and I cut myself last night.", RiskStated, "suicide risk"},
		{"Are you safe at the moment? I just do not see the point.", RiskPossible, "risk"},
		{"Can I move my depot injection appointment to Tuesday please.", RiskNone, ""},
	} {
		r, cats := RiskOf(c.ClassifyText(tc.text).Hits)
		if r != tc.want || (tc.cat != "" && (len(cats) == 0 || cats[0] != tc.cat)) || (tc.cat == "" && len(cats) != 0) {
			t.Errorf("%q: risk %d %q, want %d %q", tc.text, r, cats, tc.want, tc.cat)
		}
	}
	// A suppressed hit does not count.
	if r, _ := RiskOf([]Hit{{RuleID: "clin.risk.suicide", Class: Clinical, Category: "suicide risk", Suppressed: true}}); r != RiskNone {
		t.Errorf("suppressed hit rated %d", r)
	}
}

func TestDoubtfulSegmentsListed(t *testing.T) {
	c := defaultClassifier(t)
	tr := adminCall()
	tr.Segments[3].AvgLogProb = -1.6  // barely understood
	tr.Segments[7].NoSpeechProb = 0.9 // probably not speech
	q := c.Classify(tr).Quality
	if len(q.DoubtfulSegments) != 2 || q.DoubtfulSegments[0] != 3 || q.DoubtfulSegments[1] != 7 {
		t.Errorf("doubtful segments %v, want [3 7]", q.DoubtfulSegments)
	}
}
