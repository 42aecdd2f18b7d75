package classify

import (
	"cmp"
	"slices"
)

// match is a rule term found in the transcript, after overlaps and context
// have been weighed.
type match struct {
	span
	seg          int // segment index
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
func (c *Classifier) resolve(s *scratch) []match {
	found, contexts := s.found[:0], s.contexts[:0]
	s.fuzzyHit = resize(s.fuzzyHit, len(c.fuzzy))
	for _, sp := range c.spans(s) {
		if sp.ref.context {
			contexts = append(contexts, sp)
			continue
		}
		found = append(found, match{span: sp})
		if f := c.fuzzyOf[sp.ref.index][sp.ref.term]; f >= 0 {
			s.fuzzyHit[f] = true
		}
	}
	found = c.findFuzzy(found, s)
	// By first word, longest first, then by rule and term.
	slices.SortFunc(found, func(a, b match) int {
		if a.first != b.first {
			return a.first - b.first
		}
		if a.last != b.last {
			return b.last - a.last
		}
		if a.ref.index != b.ref.index {
			return a.ref.index - b.ref.index
		}
		return a.ref.term - b.ref.term
	})
	found = slices.CompactFunc(found, func(a, b match) bool { return a.span == b.span })

	kept := s.kept[:0]
	for i, m := range found {
		if !c.dominated(i, found) {
			kept = append(kept, m)
		}
	}
	s.found, s.contexts, s.kept = found, contexts, kept
	slices.SortFunc(contexts, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(b.last, a.last))
	})
	for i := range kept {
		m := &kept[i]
		m.seg = int(s.words[m.first].seg)
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
	// found is sorted by first word: only hits from at most maxTermWords
	// before m up to those starting with it can cover it.
	lo, _ := slices.BinarySearchFunc(found, m.first-c.maxTermWords, func(a match, first int) int { return cmp.Compare(a.first, first) })
	for j := lo; j < len(found); j++ {
		o := found[j]
		if o.first > m.first {
			break
		}
		if j == i || o.last < m.last {
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
