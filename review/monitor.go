package review

import (
	"context"
	"fmt"
	"sort"
)

// Statistics are derived on demand from the items in REVIEW and from the
// decisions of retired calls on OUTCOMES (Retire): content-free records
// without call IDs, so the figures outlive the 4-week retention of
// administrative calls without keeping anything about a call. An objection
// erases a call's decisions with it.

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
	// Calls are the review items held plus the calls retired with a
	// decision; Uncertain those that came through triage. Administrative
	// calls never enter review, so the share is of the calls the
	// classifier did not call administrative. Retired is the retired
	// calls among Calls.
	Calls, Uncertain, Retired int
	Total                     Tally
	ByWeek, ByRule            []Row
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

// Summarise derives the statistics from review items held and the
// decisions of retired calls.
func Summarise(items []Item, retired []Outcome) Stats {
	sm := summary{st: Stats{Total: Tally{}}, weeks: map[string]Tally{}, rules: map[string]Tally{}, versions: map[string]bool{}}
	for _, it := range items {
		sm.st.Calls++
		if it.Kind == KindTriage {
			sm.st.Uncertain++
		}
		for _, o := range Outcomes(it) {
			sm.add(o)
		}
	}
	for _, o := range retired {
		// A retired call gave one triage outcome if it was uncertain
		// (and perhaps a proposal one after), else one proposal outcome.
		if o.Kind == KindTriage || !o.Uncertain {
			sm.st.Calls++
			sm.st.Retired++
			if o.Kind == KindTriage {
				sm.st.Uncertain++
			}
		}
		sm.add(o)
	}
	return sm.finish()
}

// summary accumulates Stats.
type summary struct {
	st           Stats
	weeks, rules map[string]Tally
	versions     map[string]bool
	wers         []float64
}

func (sm *summary) add(o Outcome) {
	sm.st.Total[o.Verdict]++
	tallyIn(sm.weeks, o.Week)[o.Verdict]++
	if o.RulesVersion != "" {
		sm.versions[o.RulesVersion] = true
	}
	if o.Kind == KindProposal {
		names := o.Rules
		if len(names) == 0 {
			names = []string{NoRule}
		}
		for _, r := range names {
			tallyIn(sm.rules, r)[o.Verdict]++
		}
	}
	if a := o.Amendment; a != nil {
		sm.st.Amendments.Count++
		sm.st.Amendments.Words += a.Words
		sm.st.Amendments.Edits += a.Edits
		sm.wers = append(sm.wers, a.WER())
	}
}

func (sm *summary) finish() Stats {
	st, weeks, rules, versions, wers := sm.st, sm.weeks, sm.rules, sm.versions, sm.wers
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

// Monitor summarises every item held in REVIEW and every retired call's
// decisions on OUTCOMES.
func (s *Store) Monitor(ctx context.Context) (Stats, error) {
	items, err := s.List(ctx, Filter{})
	if err != nil {
		return Stats{}, fmt.Errorf("accuracy monitoring: %w", err)
	}
	retired, skipped, err := s.Retired(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("accuracy monitoring: %w", err)
	}
	if skipped > 0 {
		s.log.Warn().Int("skipped", skipped).Msg("accuracy monitoring: outcomes on OUTCOMES that do not parse were left out")
	}
	return Summarise(items, retired), nil
}

// Of is the count for the verdict named v (for templates, which cannot
// convert a string key).
func (t Tally) Of(v string) int { return t[Verdict(v)] }
