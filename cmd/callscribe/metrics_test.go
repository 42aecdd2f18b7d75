package main

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
)

// While a call is transcribed and another waits, the metrics show a busy
// worker slot and a queue with an age; once both are done, each stage's
// histogram holds both calls and the queue is empty again.
func TestMetricsShowStagesWorkersAndQueueAge(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	m := newMetrics(c)
	p := startHeld(ctx, t, c, "w-metrics", "m-1", "m-2")
	<-p.at

	got := gather(t, m)
	if got["callscribe_workers"] != 1 || got["callscribe_workers_busy"] != 1 || got["callscribe_queue_depth"] != 1 ||
		got["callscribe_in_flight"] != 1 || got["callscribe_queue_oldest_age_seconds"] <= 0 {
		t.Errorf("while transcribing: %v", got)
	}
	close(p.release)
	waitFor(t, func() bool {
		st, err := c.State(ctx, "m-2")
		return err == nil && st.State == pipeline.StateTranscribed
	})
	// The worker settles the call (overwrites its queued copy, acknowledges,
	// frees the slot) after recording the state: wait for that, not a time.
	waitFor(t, func() bool {
		got = gather(t, m)
		return got["callscribe_workers_busy"] == 0 && got["callscribe_stage_duration_seconds_count{stage=publishing}"] == 2
	})
	for _, s := range []pipeline.Stage{pipeline.StageReading, pipeline.StageDecoding, pipeline.StageTranscribing, pipeline.StagePublishing} {
		if n := got["callscribe_stage_duration_seconds_count{stage="+string(s)+"}"]; n != 2 {
			t.Errorf("stage %s timed %v times, want 2: %v", s, n, got)
		}
	}
	if got["callscribe_workers_busy"] != 0 || got["callscribe_queue_depth"] != 0 || got["callscribe_queue_oldest_age_seconds"] != 0 {
		t.Errorf("when done: %v", got)
	}
}

// gather scrapes the callscribe_ metrics as Prometheus would and returns
// each sample, name with labels → value.
func gather(t *testing.T, m *metrics) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := map[string]float64{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(name, "callscribe_") {
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[strings.ReplaceAll(name, `"`, "")] = f
	}
	return out
}

// Record deliveries are counted by outcome, as review reports them.
func TestMetricsCountFHIRDeliveries(t *testing.T) {
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	m := newMetrics(c)
	var counter review.DeliveryCounter = m
	for _, o := range []string{"unavailable", "unavailable", "delivered", string(review.FailurePatientNotFound)} {
		counter.CountDelivery(o)
	}
	got := gather(t, m)
	if got["callscribe_fhir_deliveries_total{outcome=unavailable}"] != 2 || got["callscribe_fhir_deliveries_total{outcome=delivered}"] != 1 ||
		got["callscribe_fhir_deliveries_total{outcome=patient-not-found}"] != 1 {
		t.Fatalf("metrics %v", got)
	}
}

// Reviewers' decisions are counted by kind and outcome, rejections by the
// rules behind them, amendments as a word error ratio, and the uncertain
// share from the items made; no label carries a call or its words.
func TestMetricsCountReviewOutcomes(t *testing.T) {
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	m := newMetrics(c)
	var counter review.OutcomeCounter = m
	counter.CountItem(review.KindProposal)
	counter.CountItem(review.KindProposal)
	counter.CountItem(review.KindProposal)
	counter.CountItem(review.KindTriage)
	counter.CountOutcome(review.Outcome{Kind: review.KindProposal, Verdict: review.VerdictConfirmed, Rules: []string{"clin.mood"}})
	counter.CountOutcome(review.Outcome{Kind: review.KindProposal, Verdict: review.VerdictAmended, Rules: []string{"clin.mood"},
		Amendment: &review.AmendmentSize{Words: 100, Edits: 4}})
	counter.CountOutcome(review.Outcome{Kind: review.KindProposal, Verdict: review.VerdictRejectedNotClinical, Rules: []string{"clin.mood", "clin.sleep"}})
	counter.CountOutcome(review.Outcome{Kind: review.KindTriage, Verdict: review.VerdictTriagedAdmin})
	got := gather(t, m)
	want := map[string]float64{
		"callscribe_review_decisions_total{kind=proposal,outcome=confirmed}":                      1,
		"callscribe_review_decisions_total{kind=proposal,outcome=amended}":                        1,
		"callscribe_review_decisions_total{kind=proposal,outcome=rejected-not-clinical}":          1,
		"callscribe_review_decisions_total{kind=proposal,outcome=rejected-clinical-not-recorded}": 0,
		"callscribe_review_decisions_total{kind=triage,outcome=triaged-administrative}":           1,
		"callscribe_review_decisions_total{kind=triage,outcome=triaged-clinical}":                 0,
		"callscribe_review_rejected_by_rule_total{rule=clin.mood}":                                1,
		"callscribe_review_rejected_by_rule_total{rule=clin.sleep}":                               1,
		"callscribe_review_amendment_word_error_ratio_count":                                      1,
		"callscribe_review_amendment_word_error_ratio_sum":                                        0.04,
		"callscribe_review_amendment_word_error_ratio_bucket{le=0.05}":                            1,
		"callscribe_review_amendment_word_error_ratio_bucket{le=0.02}":                            0,
		"callscribe_review_items_total{kind=triage}":                                              1,
		"callscribe_review_uncertain_share":                                                       0.25,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
}
