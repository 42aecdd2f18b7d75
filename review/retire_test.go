package review_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/review"
)

// The end of retention keeps a call's decisions, content-free, on
// OUTCOMES: the statistics after retirement equal those before, the
// item is gone, and nothing on OUTCOMES names the call. An objection's
// erasure keeps nothing (the positive control of "kept": the same
// statistics without Retire lose the call).
func TestRetireKeepsDecisionsWithoutTheCall(t *testing.T) {
	ctx := context.Background()
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	s, err := review.Open(ctx, c, review.Config{IDs: testIDs})
	if err != nil {
		t.Fatal(err)
	}
	decide := func(id string, notClinical bool) {
		t.Helper()
		if _, err := s.FromResult(ctx, publishResult(t, c, id, classify.Clinical)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Reject(ctx, id, 0, clinician, "admin only", notClinical); err != nil {
			t.Fatal(err)
		}
	}
	decide("ret-rejected-1", true)
	decide("ret-objected-1", true)
	if _, err := s.FromResult(ctx, publishResult(t, c, "ret-held-1", classify.Clinical)); err != nil {
		t.Fatal(err)
	}
	before, err := s.Monitor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Calls != 3 || before.Total[review.VerdictRejectedNotClinical] != 2 {
		t.Fatalf("before: %d calls, %v", before.Calls, before.Total)
	}

	if _, err := s.Retire(ctx, "ret-rejected-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retire(ctx, "ret-rejected-1"); err != nil { // retried: nothing twice
		t.Fatal(err)
	}
	if _, err := s.Erase(ctx, "ret-objected-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "ret-rejected-1"); err == nil {
		t.Error("retired item still held")
	}
	after, err := s.Monitor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Calls != 2 || after.Retired != 1 || after.Total[review.VerdictRejectedNotClinical] != 1 {
		t.Errorf("after: %d calls (%d retired), %v; want the retired call kept, the objected one gone", after.Calls, after.Retired, after.Total)
	}
	if len(after.ByRule) == 0 || len(after.ByWeek) == 0 {
		t.Errorf("retired decision not in the rule and week rows: %+v", after)
	}

	log, err := c.Stream(ctx, review.StreamOutcomes)
	if err != nil {
		t.Fatal(err)
	}
	var raw []string
	err = log.Scan(ctx, review.SubjectOutcomes, 1, func(_ uint64, data []byte) error {
		raw = append(raw, string(data))
		return nil
	})
	if err != nil || len(raw) != 1 {
		t.Fatalf("OUTCOMES holds %d messages (%v), want 1", len(raw), err)
	}
	if strings.Contains(raw[0], "ret-") || strings.Contains(raw[0], "call") || strings.Contains(raw[0], "admin only") {
		t.Errorf("kept outcome names the call or carries the reviewer's words: %s", raw[0])
	}
}
