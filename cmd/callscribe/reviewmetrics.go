package main

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callscribe/callscribe/review"
)

// reviewCounters is what the review store reports to serve's metrics.
type reviewCounters interface {
	review.DeliveryCounter
	review.OutcomeCounter
}

var _ reviewCounters = (*metrics)(nil)

// outcomeMetrics count reviewers' decisions for accuracy monitoring, as
// the web's monitoring page shows them (there over the calls held, here
// since this process started). Labels are kinds, verdicts and rule IDs:
// never a call ID or a word of a transcript.
type outcomeMetrics struct {
	decisions *prometheus.CounterVec
	rejected  *prometheus.CounterVec
	wer       prometheus.Histogram
	items     *prometheus.CounterVec

	mu               sync.Mutex
	made, uncertainN int
}

func newOutcomeMetrics(reg prometheus.Registerer) *outcomeMetrics {
	m := &outcomeMetrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callscribe_review_decisions_total",
			Help: "Reviewers' decisions taken through this process, by kind (proposal, triage) and outcome (confirmed, amended, rejected-not-clinical, rejected-clinical-not-recorded, triaged-clinical, triaged-administrative).",
		}, []string{"kind", "outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callscribe_review_rejected_by_rule_total",
			Help: "Rejected proposals by this process, by each clinical rule that fired on the call (a call counts under each of its rules).",
		}, []string{"rule"}),
		wer: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "callscribe_review_amendment_word_error_ratio",
			Help:    "Estimated word error rate of amended transcripts: word edits by the clinician over the machine transcript's words, per amended confirmation.",
			Buckets: []float64{0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1},
		}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callscribe_review_items_total",
			Help: "Review items made by this process, by kind: proposal (classified clinical) or triage (uncertain).",
		}, []string{"kind"}),
	}
	// Every series from the start, so a rate or an alert has one.
	for _, v := range review.Verdicts {
		kind := review.KindProposal
		if v == review.VerdictTriagedClinical || v == review.VerdictTriagedAdmin {
			kind = review.KindTriage
		}
		m.decisions.WithLabelValues(string(kind), string(v))
	}
	m.items.WithLabelValues(string(review.KindProposal))
	m.items.WithLabelValues(string(review.KindTriage))
	reg.MustRegister(m.decisions, m.rejected, m.wer, m.items, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "callscribe_review_uncertain_share",
		Help: "Share of the review items made by this process that were uncertain (triage); administrative calls make none.",
	}, m.uncertainShare))
	return m
}

func (m *outcomeMetrics) uncertainShare() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.made == 0 {
		return 0
	}
	return float64(m.uncertainN) / float64(m.made)
}

// CountItem counts a review item made (review.OutcomeCounter).
func (m *outcomeMetrics) CountItem(kind review.Kind) {
	m.items.WithLabelValues(string(kind)).Inc()
	m.mu.Lock()
	m.made++
	if kind == review.KindTriage {
		m.uncertainN++
	}
	m.mu.Unlock()
}

// CountOutcome counts a reviewer's decision (review.OutcomeCounter).
func (m *outcomeMetrics) CountOutcome(o review.Outcome) {
	m.decisions.WithLabelValues(string(o.Kind), string(o.Verdict)).Inc()
	if o.Verdict == review.VerdictRejectedNotClinical || o.Verdict == review.VerdictRejectedClinical {
		rules := o.Rules
		if len(rules) == 0 {
			rules = []string{review.NoRule}
		}
		for _, r := range rules {
			m.rejected.WithLabelValues(r).Inc()
		}
	}
	if o.Amendment != nil {
		m.wer.Observe(o.Amendment.WER())
	}
}
