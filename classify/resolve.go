package classify

import (
	"cmp"
	"slices"
)

// match is a rule term found in the transcript, after overlaps and context
// have been weighed. It holds no pointers, so the working lists of matches
// cost the garbage collector nothing and sorting them needs no write
// barriers.
type match struct {
	span
	seg      int32 // segment index
	tolerant bool
	// suppressor says what cancelled the hit: 0 nothing, k > 0 the context
	// rule contexts[k-1], properNameSuppressor the proper-name check.
	suppressor int32
}

// properNameSuppressor is match.suppressor for a hit cancelled because the
// word is written as a name (see markNames).
const properNameSuppressor = -1

// suppressed reports whether the hit was cancelled.
func (m *match) suppressed() bool { return m.suppressor != 0 }

// suppressedBy is the ID of what cancelled the hit, "" when it stands.
func (c *Classifier) suppressedBy(m *match) string {
	switch {
	case m.suppressor == properNameSuppressor:
		return ruleProperName
	case m.suppressor > 0:
		return c.contexts[m.suppressor-1].id
	}
	return ""
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
	sortMatches(found)
	found = slices.CompactFunc(found, func(a, b match) bool { return a.span == b.span })

	kept := s.kept[:0]
	lo := 0 // the first hit that can cover found[i]
	for i := range found {
		// found is sorted by first word: only hits from at most
		// maxTermWords before found[i] up to those starting with it can
		// cover it.
		for int(found[lo].first) < int(found[i].first)-c.maxTermWords {
			lo++
		}
		if !c.dominated(i, lo, found) {
			kept = append(kept, found[i])
		}
	}
	s.found, s.contexts, s.kept = found, contexts, kept
	slices.SortFunc(contexts, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(b.last, a.last))
	})
	for i := range kept {
		m := &kept[i]
		m.seg = s.words[m.first].seg
		if c.rules[m.ref.index].class != Clinical {
			continue
		}
		for _, cx := range contexts {
			if cx.first <= m.first && m.last <= cx.last {
				m.suppressor = int32(cx.ref.index) + 1
				break
			}
		}
	}
	return kept
}

// compareMatches orders matches by first word, longest first, then by
// rule and term.
func compareMatches(a, b *match) int {
	if a.first != b.first {
		return int(a.first - b.first)
	}
	if a.last != b.last {
		return int(b.last - a.last)
	}
	if a.ref.index != b.ref.index {
		return a.ref.index - b.ref.index
	}
	return a.ref.term - b.ref.term
}

// sortMatches sorts matches by compareMatches. The few matches of a call
// come almost in order (one-word terms word by word, then the phrases), so
// an insertion sort that compares in place beats a general sort calling
// its comparison through a function value; many matches (a long call) get
// the general sort. Matches that compare equal are the same match, so
// either way the order is the same.
func sortMatches(found []match) {
	if len(found) > 64 {
		slices.SortFunc(found, func(a, b match) int { return compareMatches(&a, &b) })
		return
	}
	for i := 1; i < len(found); i++ {
		for j := i; j > 0 && compareMatches(&found[j], &found[j-1]) < 0; j-- {
			found[j], found[j-1] = found[j-1], found[j]
		}
	}
}

// dominated reports whether found[i] is covered by another hit of the same
// class that is longer, or as long and weightier (ties go to the earlier
// rule), so that each stretch of words counts once. Hits before found[lo]
// cannot cover it.
func (c *Classifier) dominated(i, lo int, found []match) bool {
	m := &found[i]
	class := c.rules[m.ref.index].class
	for j := lo; j < len(found); j++ {
		o := &found[j]
		if o.first > m.first {
			break
		}
		if j == i || o.last < m.last {
			continue
		}
		if c.rules[o.ref.index].class != class {
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
func (c *Classifier) weightOf(m *match) float64 {
	w := c.rules[m.ref.index].weight
	if m.tolerant {
		w *= c.decision.TolerantWeight
	}
	return w
}
