package review_test

import (
	"context"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/review"
)

// countingOutcomes is a TEST DOUBLE of serve's metrics: it keeps what
// the store reports.
type countingOutcomes struct {
	items    []review.Kind
	outcomes []review.Outcome
}

func (c *countingOutcomes) CountItem(k review.Kind)       { c.items = append(c.items, k) }
func (c *countingOutcomes) CountOutcome(o review.Outcome) { c.outcomes = append(c.outcomes, o) }

var _ review.OutcomeCounter = (*countingOutcomes)(nil)

// The item keeps the IDs of the clinical rules that fired (not suppressed
// ones, not the words), the amendment is measured against the machine
// transcript at confirm time, and each step is reported to the counter.
func TestStoreKeepsRulesAndMeasuresAmendments(t *testing.T) {
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	counter := &countingOutcomes{}
	s, err := review.Open(context.Background(), c, review.Config{IDs: testIDs, Outcomes: counter})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := publishResult(t, c, "clin-m1", classify.Clinical)
	r.Decision.Hits = []classify.Hit{
		{RuleID: "clin.medication", Class: classify.Clinical, Text: "sertraline"},
		{RuleID: "clin.medication", Class: classify.Clinical, Text: "dose"},
		{RuleID: "clin.mood", Class: classify.Clinical, Text: "feel worse"},
		{RuleID: "clin.idiom", Class: classify.Clinical, Text: "dying to", Suppressed: true},
		{RuleID: "admin.booking", Class: classify.Administrative, Text: "appointment"},
	}
	if _, err := s.FromResult(ctx, r); err != nil {
		t.Fatal(err)
	}
	it, err := s.Get(ctx, "clin-m1")
	if err != nil {
		t.Fatal(err)
	}
	if len(it.Rules) != 2 || it.Rules[0] != "clin.medication" || it.Rules[1] != "clin.mood" {
		t.Fatalf("rules %v", it.Rules)
	}
	// Machine: "single point of access my sertraline dose was changed and i
	// feel worse" (13 words); one word changed.
	amended := "[0:00:00 handler] Single Point of Access.\n[0:00:04 caller] My sertraline dose was reduced and I feel worse.\n"
	if _, err := s.Confirm(ctx, "clin-m1", 0, clinician, review.ConfirmInput{Clarified: true, AmendedText: amended}); err != nil {
		t.Fatal(err)
	}
	it, _ = s.Get(ctx, "clin-m1")
	if a := it.Amendment; a == nil || a.Words != 13 || a.Edits != 1 {
		t.Fatalf("amendment %+v", a)
	}
	if len(counter.items) != 1 || counter.items[0] != review.KindProposal {
		t.Errorf("items counted %v", counter.items)
	}
	if len(counter.outcomes) != 1 || counter.outcomes[0].Verdict != review.VerdictAmended || counter.outcomes[0].Amendment.Edits != 1 ||
		len(counter.outcomes[0].Rules) != 2 {
		t.Errorf("outcomes counted %+v", counter.outcomes)
	}
}
