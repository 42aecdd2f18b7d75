package review

import (
	"context"
	"fmt"
	"sort"
)

// Statistics are derived on demand from the items in REVIEW, not kept
// apart: nothing new holds data about calls, so nothing new needs erasing
// when the caller objects, and an item the retention sweeper removes
// leaves the statistics with it. They therefore cover the calls still held.

// Tally counts decisions by verdict.
type Tally map[Verdict]int

// Proposals is the number of proposal decisions.
func (t Tally) Proposals() int {
	return t[VerdictConfirmed] + t[VerdictAmended] + t[VerdictRejectedNotClinical] + t[VerdictRejectedClinical]
}

// Triaged is the number of triage decisions.
func (t Tally) Triaged() int { return t[VerdictTriagedClinical] + t[VerdictTriagedAdmin] }

// Rejected is the number of rejected proposals.
func (t Tally) Rejected() int { return t[VerdictRejectedNotClinical] + t[VerdictRejectedClinical] }

// Row is a Tally under a name (a week or a rule ID).
type Row struct {
	Name  string
	Tally Tally
}

// AmendmentStats summarise the size of amendments.
type AmendmentStats struct {
	Count, Words, Edits int
	// Pooled is all edits over all machine words: the estimated word
	// error rate of amended transcripts. Mean and Max are per call.
	Pooled, Mean, Max float64
}

// Stats are the accuracy-monitoring figures.
type Stats struct {
	// Calls are the review items held; Uncertain those that came through
	// triage. Administrative calls never enter review, so the share is of
	// the calls the classifier did not call administrative.
	Calls, Uncertain int
	Total            Tally
	ByWeek, ByRule   []Row
	// RejectedRules are the rules behind rejected proposals, most first.
	RejectedRules []Row
	Amendments    AmendmentStats
	RulesVersions []string
}

// UncertainShare is Uncertain over Calls; 0 with no calls.
func (s Stats) UncertainShare() float64 {
	if s.Calls == 0 {
		return 0
	}
	return float64(s.Uncertain) / float64(s.Calls)
}

// NoRule names the row of calls whose rules were not kept (items made
// before rule IDs were).
const NoRule = "(rules not recorded)"

// Summarise derives the statistics from review items.
func Summarise(items []Item) Stats {
	st := Stats{Total: Tally{}}
	weeks, rules, versions := map[string]Tally{}, map[string]Tally{}, map[string]bool{}
	var wers []float64
	for _, it := range items {
		st.Calls++
		if it.Kind == KindTriage {
			st.Uncertain++
		}
		for _, o := range Outcomes(it) {
			st.Total[o.Verdict]++
			tallyIn(weeks, o.Week)[o.Verdict]++
			if o.RulesVersion != "" {
				versions[o.RulesVersion] = true
			}
			if o.Kind == KindProposal {
				names := o.Rules
				if len(names) == 0 {
					names = []string{NoRule}
				}
				for _, r := range names {
					tallyIn(rules, r)[o.Verdict]++
				}
			}
			if a := o.Amendment; a != nil {
				st.Amendments.Count++
				st.Amendments.Words += a.Words
				st.Amendments.Edits += a.Edits
				wers = append(wers, a.WER())
			}
		}
	}
	st.ByWeek = rows(weeks, func(a, b Row) bool { return a.Name < b.Name })
	st.ByRule = rows(rules, func(a, b Row) bool {
		if a.Tally.Proposals() != b.Tally.Proposals() {
			return a.Tally.Proposals() > b.Tally.Proposals()
		}
		return a.Name < b.Name
	})
	for _, r := range st.ByRule {
		if r.Tally.Rejected() > 0 {
			st.RejectedRules = append(st.RejectedRules, r)
		}
	}
	sort.SliceStable(st.RejectedRules, func(i, j int) bool {
		return st.RejectedRules[i].Tally.Rejected() > st.RejectedRules[j].Tally.Rejected()
	})
	if a := &st.Amendments; a.Count > 0 {
		if a.Words > 0 {
			a.Pooled = float64(a.Edits) / float64(a.Words)
		}
		var sum float64
		for _, w := range wers {
			sum += w
			a.Max = max(a.Max, w)
		}
		a.Mean = sum / float64(len(wers))
	}
	for v := range versions {
		st.RulesVersions = append(st.RulesVersions, v)
	}
	sort.Strings(st.RulesVersions)
	return st
}

func tallyIn(m map[string]Tally, name string) Tally {
	t, ok := m[name]
	if !ok {
		t = Tally{}
		m[name] = t
	}
	return t
}

func rows(m map[string]Tally, less func(a, b Row) bool) []Row {
	out := make([]Row, 0, len(m))
	for name, t := range m {
		out = append(out, Row{Name: name, Tally: t})
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

// Monitor summarises every item held in REVIEW.
func (s *Store) Monitor(ctx context.Context) (Stats, error) {
	items, err := s.List(ctx, Filter{})
	if err != nil {
		return Stats{}, fmt.Errorf("accuracy monitoring: %w", err)
	}
	return Summarise(items), nil
}

// Of is the count for the verdict named v (for templates, which cannot
// convert a string key).
func (t Tally) Of(v string) int { return t[Verdict(v)] }
