package classify

import (
	"fmt"
	"slices"
	"strconv"
)

// decide turns quality and evidence into a label with its reasons. The
// order of the tests encodes the cost of mistakes. Clinical evidence from
// trustworthy text makes a call clinical whatever else is wrong with the
// transcript: the call holds clinical information, and nothing that is
// missing could make it administrative. Only a call with no clinical
// evidence at all, enough administrative evidence and a transcript that can
// be trusted is administrative, because that label leads to deletion; every
// other call goes to a person.
func (c *Classifier) decide(s *scratch, q Quality, found []match, doubtful []bool) Decision {
	d := Decision{Quality: q, RulesVersion: c.version, Reasons: make([]string, 0, 4)}
	ev := c.summarise(s, found, doubtful)
	problems := c.qualityProblems(q)
	th := c.decision.ClinicalThreshold
	switch {
	case ev.score >= th:
		d.Label = Clinical
		// The reason of most calls, written without fmt, which costs more
		// than the rest of the decision.
		b := append(s.text[:0], "clinical evidence scores "...)
		b = appendScore(b, ev.score)
		b = append(b, " (threshold "...)
		b = appendScore(b, th)
		b = append(b, "): "...)
		d.Reasons = append(d.Reasons, s.reason(b, ev.clinical))
		for _, p := range problems {
			d.Reasons = append(d.Reasons, "transcript quality (does not change the label): "+p)
		}
	case len(problems) > 0:
		d.Label, d.Uncertainty = Uncertain, UncertainQuality
		d.Reasons = append(d.Reasons, problems...)
		if ev.score+ev.doubtfulScore > 0 {
			d.Reasons = append(d.Reasons, fmt.Sprintf("clinical evidence (score %.1f) was found but the transcript cannot be relied on: %s", ev.score+ev.doubtfulScore, ev.clinical))
		}
	case ev.score+ev.doubtfulScore >= th:
		d.Label, d.Uncertainty = Uncertain, UncertainDoubtful
		d.Reasons = append(d.Reasons, fmt.Sprintf("clinical evidence (score %.1f) reaches the threshold only with words from segments that were probably not speech or barely understood, so it may be invented; a person should listen: %s", ev.score+ev.doubtfulScore, ev.clinical))
	case ev.score+ev.doubtfulScore > 0:
		d.Label, d.Uncertainty = Uncertain, UncertainWeak
		d.Reasons = append(d.Reasons, fmt.Sprintf("only weak clinical evidence (score %.1f, below %.1f), which a person should judge: %s", ev.score+ev.doubtfulScore, th, ev.clinical))
	case ev.adminScore < c.decision.MinAdminScore:
		d.Label, d.Uncertainty = Uncertain, UncertainThin
		if len(ev.admin) == 0 {
			d.Reasons = append(d.Reasons, "no clinical and no administrative terms were found, so the lexicon cannot tell what the call is about")
		} else {
			d.Reasons = append(d.Reasons, fmt.Sprintf("no clinical terms, but the administrative evidence is thin (score %.1f, below %.1f), too little to show that the call is administrative", ev.adminScore, c.decision.MinAdminScore))
		}
	default:
		d.Label = Administrative
		if ev.mentionsOnly {
			d.Reasons = append(d.Reasons, "no clinical evidence was found (only services named)")
		} else {
			d.Reasons = append(d.Reasons, "no clinical terms were found")
		}
	}
	if ev.mentionsOnly {
		b := append(s.text[:0], "services, professions or processes named, not clinical evidence on their own and not counted: "...)
		d.Reasons = append(d.Reasons, s.reason(b, ev.clinical))
	}
	if len(ev.suppressed) > 0 {
		b := append(s.text[:0], "clinical words read as idioms, place names or other senses and not counted: "...)
		d.Reasons = append(d.Reasons, s.reason(b, ev.suppressed))
	}
	if len(ev.admin) > 0 {
		d.Reasons = append(d.Reasons, s.reason(append(s.text[:0], "administrative evidence: "...), ev.admin))
	}
	return d
}

// reason returns the reason whose start is b, a prefix of s.text,
// followed by the terms of l: written in place, it costs one allocation,
// the string.
func (s *scratch) reason(b []byte, l termList) string {
	b = l.appendTo(b)
	s.text = b
	return string(b)
}

// appendScore writes a score as %.1f does (scores are finite).
func appendScore(b []byte, score float64) []byte {
	return strconv.AppendFloat(b, score, 'f', 1, 64)
}

// evidence is the found terms condensed for decision and explanation.
type evidence struct {
	score         float64  // clinical, from trustworthy segments
	doubtfulScore float64  // clinical, only from doubtful segments
	clinical      termList // "medication: sertraline; risk: suicidal"
	admin         termList
	adminScore    float64 // distinct administrative terms, by weight
	suppressed    termList
	mentionsOnly  bool // the only clinical hits name services: not counted
}

// summarise scores the unsuppressed clinical hits, counting each term once
// however often it was said (repeating a weak word is not stronger
// evidence), and lists terms by category in lexicon spelling. A term heard
// in a trustworthy segment scores there; one heard only in doubtful
// segments scores apart.
func (c *Classifier) summarise(s *scratch, found []match, doubtful []bool) evidence {
	var ev evidence
	// Calls mention tens of distinct terms: slices searched in order are
	// cheaper here than maps.
	scores := s.scores[:0]
	adminSeen := s.admins[:0] // heard in trustworthy segments
	clinical, admin, suppressed := s.lists[0].reset(), s.lists[1].reset(), s.lists[2].reset()
	defer func() { s.scores, s.admins, s.lists = scores, adminSeen, [3]termList{clinical, admin, suppressed} }()
	for i := range found {
		m := &found[i]
		r := &c.rules[m.ref.index]
		term := r.terms[m.ref.term]
		inDoubt := doubtful[m.seg]
		if m.tolerant {
			term += " (near spelling)"
		}
		switch {
		case m.suppressed():
			suppressed.add(c.suppressedBy(m), term)
		case r.class == Clinical:
			at := slices.IndexFunc(scores, func(t termScore) bool { return t.ref == m.ref })
			if at < 0 {
				at = len(scores)
				scores = append(scores, termScore{ref: m.ref})
			}
			if inDoubt {
				scores[at].doubtful = max(scores[at].doubtful, c.weightOf(m))
				term += " (doubtful segment)"
			} else {
				scores[at].trusted = max(scores[at].trusted, c.weightOf(m))
			}
			clinical.add(r.label, term)
		default:
			if !inDoubt && !slices.Contains(adminSeen, m.ref) {
				adminSeen = append(adminSeen, m.ref)
				ev.adminScore += r.weight
			}
			admin.add(r.category, term)
		}
	}
	// Mentions (services, professions, processes named) add their weight
	// only to other clinical evidence: naming a service is not clinical.
	var mTrusted, mDoubtful float64
	for _, t := range scores {
		sc, dc := &ev.score, &ev.doubtfulScore
		if c.rules[t.ref.index].mention {
			sc, dc = &mTrusted, &mDoubtful
		}
		if t.trusted > 0 {
			*sc += t.trusted
		} else {
			*dc += t.doubtful
		}
	}
	if ev.score+ev.doubtfulScore > 0 {
		ev.score += mTrusted
		ev.doubtfulScore += mDoubtful
	} else {
		ev.mentionsOnly = mTrusted+mDoubtful > 0
	}
	ev.clinical, ev.admin, ev.suppressed = clinical, admin, suppressed
	return ev
}

// termScore is the weight of one term as heard in a call.
type termScore struct {
	ref               patternRef
	trusted, doubtful float64
}

// termList groups distinct terms under labels, in order of first mention.
type termList []termGroup

// reset empties the list, keeping its memory.
func (l termList) reset() termList {
	for i := range l {
		l[i].terms = l[i].terms[:0]
	}
	return l[:0]
}

type termGroup struct {
	label string
	terms []string
}

func (l *termList) add(label, term string) {
	for i := range *l {
		if g := &(*l)[i]; g.label == label {
			if !slices.Contains(g.terms, term) {
				g.terms = append(g.terms, term)
			}
			return
		}
	}
	if len(*l) < cap(*l) {
		*l = (*l)[:len(*l)+1]
		g := &(*l)[len(*l)-1]
		g.label, g.terms = label, append(g.terms[:0], term)
		return
	}
	*l = append(*l, termGroup{label: label, terms: []string{term}})
}

func (l termList) String() string { return string(l.appendTo(nil)) }

// appendTo writes the list as String does: "label: term, term; label: term".
func (l termList) appendTo(b []byte) []byte {
	for i, g := range l {
		if i > 0 {
			b = append(b, "; "...)
		}
		b = append(b, g.label...)
		b = append(b, ": "...)
		for j, t := range g.terms {
			if j > 0 {
				b = append(b, ", "...)
			}
			b = append(b, t...)
		}
	}
	return b
}
