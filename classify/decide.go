package classify

import (
	"fmt"
	"slices"
	"strings"
)

// decide turns quality and evidence into a label with its reasons. The order
// of the tests encodes the cost of mistakes: an untrustworthy transcript or
// weak clinical evidence goes to a person, and only a call with no clinical
// evidence at all, but some administrative evidence, is called
// administrative, because that label leads to deletion.
func (c *Classifier) decide(q Quality, found []match) Decision {
	d := Decision{Quality: q, RulesVersion: c.version, Reasons: []string{}}
	ev := c.summarise(found)
	problems := c.qualityProblems(q)
	switch {
	case len(problems) > 0:
		d.Label = Uncertain
		d.Reasons = append(d.Reasons, problems...)
		if ev.score > 0 {
			d.Reasons = append(d.Reasons, fmt.Sprintf("clinical evidence (score %.1f) was found but the transcript cannot be relied on: %s", ev.score, ev.clinical))
		}
	case ev.score >= c.decision.ClinicalThreshold:
		d.Label = Clinical
		d.Reasons = append(d.Reasons, fmt.Sprintf("clinical evidence scores %.1f (threshold %.1f): %s", ev.score, c.decision.ClinicalThreshold, ev.clinical))
	case ev.score > 0:
		d.Label = Uncertain
		d.Reasons = append(d.Reasons, fmt.Sprintf("only weak clinical evidence (score %.1f, below %.1f), which a person should judge: %s", ev.score, c.decision.ClinicalThreshold, ev.clinical))
	case ev.admin == "" && c.decision.RequireAdminEvidence:
		d.Label = Uncertain
		d.Reasons = append(d.Reasons, "no clinical and no administrative terms were found, so the lexicon cannot tell what the call is about")
	default:
		d.Label = Administrative
		d.Reasons = append(d.Reasons, "no clinical terms were found")
	}
	if ev.suppressed != "" {
		d.Reasons = append(d.Reasons, "clinical words read as idioms, place names or other senses and not counted: "+ev.suppressed)
	}
	if ev.admin != "" {
		d.Reasons = append(d.Reasons, "administrative evidence: "+ev.admin)
	}
	return d
}

// evidence is the found terms condensed for decision and explanation.
type evidence struct {
	score      float64
	clinical   string // "medication: sertraline; risk: suicidal"
	admin      string
	suppressed string
}

// summarise scores the unsuppressed clinical hits, counting each term once
// however often it was said (repeating a weak word is not stronger
// evidence), and lists terms by category in lexicon spelling.
func (c *Classifier) summarise(found []match) evidence {
	var ev evidence
	best := map[[2]int]float64{}
	clinical, admin, suppressed := newTermList(), newTermList(), newTermList()
	for _, m := range found {
		r := c.rules[m.ref.index]
		term := r.terms[m.ref.term]
		if m.tolerant {
			term += " (near spelling)"
		}
		switch {
		case m.suppressedBy != "":
			suppressed.add(m.suppressedBy, term)
		case r.class == Clinical:
			key := [2]int{m.ref.index, m.ref.term}
			best[key] = max(best[key], c.weightOf(m))
			label := r.category
			if r.weight < c.decision.ClinicalThreshold {
				label += " (weak)"
			}
			clinical.add(label, term)
		default:
			admin.add(r.category, term)
		}
	}
	for _, w := range best {
		ev.score += w
	}
	ev.clinical, ev.admin, ev.suppressed = clinical.String(), admin.String(), suppressed.String()
	return ev
}

// termList groups distinct terms under labels, in order of first mention.
type termList struct {
	labels []string
	terms  map[string][]string
}

func newTermList() *termList { return &termList{terms: map[string][]string{}} }

func (l *termList) add(label, term string) {
	ts, ok := l.terms[label]
	if !ok {
		l.labels = append(l.labels, label)
	}
	if !slices.Contains(ts, term) {
		l.terms[label] = append(ts, term)
	}
}

func (l *termList) String() string {
	parts := make([]string, len(l.labels))
	for i, label := range l.labels {
		parts[i] = label + ": " + strings.Join(l.terms[label], ", ")
	}
	return strings.Join(parts, "; ")
}
