package classify

import (
	"cmp"
	"slices"
)

// match is a rule term found in the transcript, after overlaps and context
// have been weighed.
type match struct {
	span
	tolerant     bool
	suppressedBy string // context rule ID, "" when the hit stands
}

// resolve finds every rule term in the tokens and settles overlaps:
// duplicates go, a hit inside a longer hit of the same class goes ("harm"
// inside "self harm"), and a clinical hit that lies inside a context phrase
// (an idiom, a place name, a homonym) is kept but marked suppressed, so a
// reviewer can see what was discounted and why. Hits of different classes
// never cancel each other: an administrative phrase must not hide a clinical
// word.
func (c *Classifier) resolve(toks []token, segOf []int) []match {
	var found []match
	var contexts []span
	exactHit := map[[2]int]bool{}
	for _, s := range c.spans(toks, segOf) {
		if s.ref.context {
			contexts = append(contexts, s)
			continue
		}
		found = append(found, match{span: s})
		exactHit[[2]int{s.ref.index, s.ref.term}] = true
	}
	for _, s := range c.findFuzzy(toks, exactHit) {
		found = append(found, match{span: s, tolerant: true})
	}
	slices.SortFunc(found, func(a, b match) int {
		return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(b.last, a.last),
			cmp.Compare(a.ref.index, b.ref.index), cmp.Compare(a.ref.term, b.ref.term))
	})
	found = slices.CompactFunc(found, func(a, b match) bool { return a.span == b.span })

	kept := found[:0:0]
	for i, m := range found {
		if !c.dominated(i, found) {
			kept = append(kept, m)
		}
	}
	slices.SortFunc(contexts, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(b.last, a.last))
	})
	for i := range kept {
		m := &kept[i]
		if c.rules[m.ref.index].class != Clinical {
			continue
		}
		for _, cx := range contexts {
			if cx.first <= m.first && m.last <= cx.last {
				m.suppressedBy = c.contexts[cx.ref.index].id
				break
			}
		}
	}
	return kept
}

// dominated reports whether found[i] is covered by another hit of the same
// class that is longer, or as long and weightier (ties go to the earlier
// rule), so that each stretch of words counts once.
func (c *Classifier) dominated(i int, found []match) bool {
	m := found[i]
	rm := c.rules[m.ref.index]
	for j, o := range found {
		if j == i || o.first > m.first || o.last < m.last {
			continue
		}
		ro := c.rules[o.ref.index]
		if ro.class != rm.class {
			continue
		}
		if o.last-o.first > m.last-m.first {
			return true
		}
		wm, wo := c.weightOf(m), c.weightOf(o)
		if wo > wm || (wo == wm && (o.ref.index < m.ref.index || (o.ref.index == m.ref.index && o.ref.term < m.ref.term))) {
			return true
		}
	}
	return false
}

// weightOf is a hit's contribution to the clinical score: its rule's weight,
// scaled down when the word was only a near miss for the term.
func (c *Classifier) weightOf(m match) float64 {
	w := c.rules[m.ref.index].weight
	if m.tolerant {
		w *= c.decision.TolerantWeight
	}
	return w
}
