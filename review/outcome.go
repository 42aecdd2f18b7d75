package review

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/callscribe/callscribe/classify"
)

// Verdict is what a reviewer decided about a call: each decision is a
// label on the classifier's work, the raw material of accuracy monitoring.
type Verdict string

const (
	VerdictConfirmed           Verdict = "confirmed"
	VerdictAmended             Verdict = "amended"
	VerdictRejectedNotClinical Verdict = "rejected-not-clinical"
	VerdictRejectedClinical    Verdict = "rejected-clinical-not-recorded"
	VerdictTriagedClinical     Verdict = "triaged-clinical"
	VerdictTriagedAdmin        Verdict = "triaged-administrative"
)

// Verdicts lists them in the order pages and metrics show them.
var Verdicts = []Verdict{VerdictConfirmed, VerdictAmended, VerdictRejectedNotClinical, VerdictRejectedClinical, VerdictTriagedClinical, VerdictTriagedAdmin}

// Outcome is one reviewer decision, content-free: no transcript, no
// amended text, no NHS number, no names, not even the call ID, so it can be
// counted, charted and exported as metrics without being personal data.
type Outcome struct {
	// Kind is the decision's stage: proposal (confirm, amend, reject) or
	// triage. A triaged-clinical call gives a triage outcome and later a
	// proposal one.
	Kind    Kind    `json:"kind"`
	Verdict Verdict `json:"verdict"`
	// Rules are the clinical rules that fired on the call.
	Rules        []string `json:"rules,omitempty"`
	RulesVersion string   `json:"rules_version,omitempty"`
	// Week is the ISO week of the decision, e.g. 2026-W49.
	Week string `json:"week"`
	// Uncertain: the classifier could not decide, so the call came to
	// review through triage.
	Uncertain bool `json:"uncertain"`
	// Amendment is set for amended confirmations.
	Amendment *AmendmentSize `json:"amendment,omitempty"`
}

// OutcomeCounter counts review items as they are made and decisions as
// they are taken; serve's metrics implement it.
type OutcomeCounter interface {
	CountItem(kind Kind)
	CountOutcome(o Outcome)
}

// Outcomes derives the item's reviewer decisions from its history, oldest
// first.
func Outcomes(it Item) []Outcome {
	var out []Outcome
	for _, ev := range it.History {
		if o, ok := outcomeOf(it, ev); ok {
			out = append(out, o)
		}
	}
	return out
}

func outcomeOf(it Item, ev Event) (Outcome, bool) {
	o := Outcome{Kind: KindProposal, Rules: it.Rules, RulesVersion: it.RulesVersion, Week: isoWeek(ev.At), Uncertain: it.Kind == KindTriage}
	switch ev.Action {
	case ActionConfirm:
		o.Verdict = VerdictConfirmed
	case ActionAmendConfirm:
		o.Verdict, o.Amendment = VerdictAmended, it.Amendment
	case ActionReject:
		// A proposal is rejected once; the retention it left says which way.
		o.Verdict = VerdictRejectedClinical
		if it.Retention == RetentionAdministrative {
			o.Verdict = VerdictRejectedNotClinical
		}
	case ActionTriageClinical:
		o.Kind, o.Verdict = KindTriage, VerdictTriagedClinical
	case ActionTriageAdmin:
		o.Kind, o.Verdict = KindTriage, VerdictTriagedAdmin
	default:
		return Outcome{}, false
	}
	return o, true
}

// countLast reports the decision just taken on it, if counted.
func (s *Store) countLast(it Item) {
	if s.cfg.Outcomes == nil || len(it.History) == 0 {
		return
	}
	if o, ok := outcomeOf(it, it.History[len(it.History)-1]); ok {
		s.cfg.Outcomes.CountOutcome(o)
	}
}

// measureAmendment sizes an amendment against the machine transcript. The
// size is for monitoring only, so a transcript that cannot be read leaves
// it unmeasured rather than holding up the clinician's confirmation.
func (s *Store) measureAmendment(ctx context.Context, id, amended string) *AmendmentSize {
	if strings.TrimSpace(amended) == "" {
		return nil
	}
	res, err := s.c.Result(ctx, id)
	if err != nil || res.Transcript == nil {
		s.log.Warn().Err(err).Str("call", id).Msg("amendment not measured: machine transcript unavailable")
		return nil
	}
	size := MeasureAmendment(TranscriptText(res.Transcript), amended)
	return &size
}

// clinicalRules are the distinct IDs of the rules behind a decision's
// clinical evidence, sorted.
func clinicalRules(hits []classify.Hit) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range hits {
		if h.Suppressed || h.Class != classify.Clinical || h.RuleID == "" || seen[h.RuleID] {
			continue
		}
		seen[h.RuleID] = true
		out = append(out, h.RuleID)
	}
	sort.Strings(out)
	return out
}

func isoWeek(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}
