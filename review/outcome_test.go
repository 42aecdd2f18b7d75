package review_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/review"
)

func TestMeasureAmendmentCountsWordEdits(t *testing.T) {
	machine := "[0:00:01 caller] I take sir trailing fifty milligrams.\n[0:00:05 clinician] Any thoughts of self harm?\n"
	cases := []struct {
		amended      string
		words, edits int
	}{
		// The segment prefixes, case and punctuation are layout, not words.
		{"i take sir trailing fifty milligrams any thoughts of self harm", 11, 0},
		// "sir trailing" → "sertraline": one substitution, one deletion.
		{"[0:00:01 caller] I take sertraline fifty milligrams.\n[0:00:05 clinician] Any thoughts of self harm?", 11, 2},
		// An inserted word and a removed one.
		{"I take sir trailing fifty milligrams daily. Any thoughts of harm?", 11, 2},
		{"", 11, 11},
	}
	for _, c := range cases {
		got := review.MeasureAmendment(machine, c.amended)
		if got.Words != c.words || got.Edits != c.edits || got.Bounded {
			t.Errorf("amended %q: %+v, want %d words, %d edits", c.amended, got, c.words, c.edits)
		}
	}
	if w := (review.AmendmentSize{Words: 8, Edits: 2}).WER(); w != 0.25 {
		t.Errorf("WER %v, want 0.25", w)
	}
	if w := (review.AmendmentSize{}).WER(); w != 0 {
		t.Errorf("WER of nothing %v", w)
	}
}

// Too long to compare exactly: an upper bound, marked so, not minutes of work.
func TestMeasureAmendmentBoundsHugeRewrites(t *testing.T) {
	a := strings.Repeat("alpha ", 9000)
	b := strings.Repeat("beta ", 9000)
	got := review.MeasureAmendment(a, b)
	if !got.Bounded || got.Edits != 9000 || got.Words != 9000 {
		t.Fatalf("%+v", got)
	}
}

// Every kind of decision becomes one content-free outcome, and Summarise
// counts them by verdict, week and rule.
func TestOutcomesAndSummary(t *testing.T) {
	mk := func(id string, kind review.Kind, rules ...string) review.Item {
		it := proposed()
		it.CallID, it.Call.ID, it.Kind, it.Rules, it.RulesVersion = id, id, kind, rules, "v7"
		it.Call.CallerNumber = "07700900123"
		if kind == review.KindTriage {
			it.State = review.StateTriage
		}
		return it
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	confirmed := mk("c1", review.KindProposal, "clin.medication", "clin.mood")
	must(confirmed.Confirm(clinician, review.ConfirmInput{Clarified: true}, now))
	amended := mk("c2", review.KindProposal, "clin.medication")
	must(amended.Confirm(clinician, review.ConfirmInput{Clarified: true, AmendedText: "secret words"}, now))
	amended.Amendment = &review.AmendmentSize{Words: 10, Edits: 3}
	notClinical := mk("c3", review.KindProposal, "clin.mood")
	must(notClinical.Reject(clinician, "a booking", true, now))
	clinicalNot := mk("c4", review.KindProposal, "clin.mood")
	must(clinicalNot.Reject(clinician, "already recorded", false, now.AddDate(0, 0, 7)))
	triagedIn := mk("c5", review.KindTriage, "clin.weak")
	must(triagedIn.Triage(admin, classify.Clinical, "sounds clinical", now))
	must(triagedIn.Confirm(clinician, review.ConfirmInput{Clarified: true}, now))
	triagedOut := mk("c6", review.KindTriage)
	must(triagedOut.Triage(admin, classify.Administrative, "a booking", now))
	pending := mk("c7", review.KindProposal, "clin.mood")

	got := review.Outcomes(triagedIn)
	if len(got) != 2 || got[0].Verdict != review.VerdictTriagedClinical || got[0].Kind != review.KindTriage ||
		got[1].Verdict != review.VerdictConfirmed || got[1].Kind != review.KindProposal || !got[1].Uncertain || got[1].Week != "2026-W10" {
		t.Fatalf("triaged then confirmed: %+v", got)
	}
	if o := review.Outcomes(notClinical); len(o) != 1 || o[0].Verdict != review.VerdictRejectedNotClinical {
		t.Fatalf("rejected not clinical: %+v", o)
	}
	if o := review.Outcomes(clinicalNot); len(o) != 1 || o[0].Verdict != review.VerdictRejectedClinical || o[0].Week != "2026-W11" {
		t.Fatalf("rejected clinical: %+v", o)
	}
	if o := review.Outcomes(pending); len(o) != 0 {
		t.Fatalf("pending: %+v", o)
	}
	// Content-free: nothing of the call but rule IDs, version, week and numbers.
	data, _ := json.Marshal(review.Outcomes(amended))
	for _, secret := range []string{"secret", "9434765919", "07700900123", "dr.khan", "c2"} {
		if strings.Contains(string(data), secret) {
			t.Errorf("outcome %s holds %q", data, secret)
		}
	}

	st := review.Summarise([]review.Item{confirmed, amended, notClinical, clinicalNot, triagedIn, triagedOut, pending}, nil)
	want := review.Tally{review.VerdictConfirmed: 2, review.VerdictAmended: 1, review.VerdictRejectedNotClinical: 1,
		review.VerdictRejectedClinical: 1, review.VerdictTriagedClinical: 1, review.VerdictTriagedAdmin: 1}
	for _, v := range review.Verdicts {
		if st.Total[v] != want[v] {
			t.Errorf("%s: %d, want %d", v, st.Total[v], want[v])
		}
	}
	if st.Calls != 7 || st.Uncertain != 2 || math.Abs(st.UncertainShare()-2.0/7) > 1e-9 {
		t.Errorf("calls %d uncertain %d share %v", st.Calls, st.Uncertain, st.UncertainShare())
	}
	if len(st.ByWeek) != 2 || st.ByWeek[0].Name != "2026-W10" || st.ByWeek[0].Tally.Proposals() != 4 || st.ByWeek[1].Tally.Rejected() != 1 {
		t.Errorf("by week %+v", st.ByWeek)
	}
	if len(st.RejectedRules) != 1 || st.RejectedRules[0].Name != "clin.mood" || st.RejectedRules[0].Tally.Rejected() != 2 {
		t.Errorf("rejected rules %+v", st.RejectedRules)
	}
	byRule := map[string]review.Tally{}
	for _, r := range st.ByRule {
		byRule[r.Name] = r.Tally
	}
	if byRule["clin.medication"][review.VerdictConfirmed] != 1 || byRule["clin.medication"][review.VerdictAmended] != 1 ||
		byRule["clin.weak"][review.VerdictConfirmed] != 1 || byRule[review.NoRule].Proposals() != 0 {
		t.Errorf("by rule %+v", st.ByRule)
	}
	if a := st.Amendments; a.Count != 1 || a.Words != 10 || a.Edits != 3 || a.Pooled != 0.3 || a.Mean != 0.3 || a.Max != 0.3 {
		t.Errorf("amendments %+v", a)
	}
	if len(st.RulesVersions) != 1 || st.RulesVersions[0] != "v7" {
		t.Errorf("versions %v", st.RulesVersions)
	}
}
