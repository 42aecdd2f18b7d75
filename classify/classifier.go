package classify

import (
	"fmt"
	"strings"

	"github.com/callscribe/callscribe/transcribe"
)

// Classifier labels transcripts with one version of the rules. It is
// immutable once built and safe for concurrent use.
type Classifier struct {
	version    string
	decision   decisionConfig
	quality    qualityConfig
	rules      []rule
	contexts   []contextRule
	stemAC     automaton
	exactAC    automaton
	fuzzy      []fuzzyTerm
	knownWords map[string]bool // one-word terms of any rule, never fuzzy-matched
}

// rule is a lexicon rule ready for matching.
type rule struct {
	id, category string
	class        Label
	weight       float64
	exact        bool
	tolerant     bool
	terms        []string
}

// contextRule is an idiom, place name or homonym that cancels clinical hits
// inside it.
type contextRule struct {
	id, kind string
	terms    []string
}

// Version is the version string of the rules in use, recorded with every
// decision so a label can be traced to the lexicon that produced it.
func (c *Classifier) Version() string { return c.version }

// build compiles validated rules into a classifier. It rejects what only
// shows once terms are normalised: the same term twice (also as two
// inflections of one word, which would only duplicate hits), an exact term
// that a stemmed term would match anyway, and context phrases that contain
// no clinical term and so could never suppress anything.
func build(rf ruleFile) (*Classifier, error) {
	c := &Classifier{
		version:    rf.Version,
		decision:   rf.Decision,
		quality:    rf.Quality,
		knownWords: map[string]bool{},
	}
	stemB, exactB := newAutomatonBuilder(), newAutomatonBuilder()
	if err := c.addRules(rf.Rules, stemB, exactB); err != nil {
		return nil, err
	}
	if err := c.addContexts(rf.Contexts, stemB, exactB); err != nil {
		return nil, err
	}
	c.stemAC, c.exactAC = stemB.build(), exactB.build()
	if err := c.checkContextsCanSuppress(); err != nil {
		return nil, err
	}
	return c, nil
}

// addRules adds the lexicon's terms to the automata and collects the words
// for misspelling matches.
func (c *Classifier) addRules(specs []ruleSpec, stemB, exactB *automatonBuilder) error {
	owner := map[string]string{}
	for i, rs := range specs {
		r := rule{
			id: rs.ID, category: rs.Category, class: Label(rs.Class), weight: 1,
			exact: rs.Match == "exact", tolerant: rs.Tolerant, terms: rs.Terms,
		}
		if rs.Weight != nil {
			r.weight = *rs.Weight
		}
		c.rules = append(c.rules, r)
		for j, term := range rs.Terms {
			surface := patternOf(term, true)
			if prev, dup := owner[surface]; dup {
				return fmt.Errorf("rule %q: term %q is already a term of rule %q", r.id, term, prev)
			}
			owner[surface] = r.id
			ref := patternRef{index: i, term: j}
			if r.exact {
				exactB.add(surface, ref)
			} else {
				p := patternOf(term, false)
				if at, dup := stemB.index[p]; dup {
					prev := stemB.refs[at][0]
					return fmt.Errorf("rule %q: term %q is the same as term %q of rule %q once stemmed",
						r.id, term, specs[prev.index].Terms[prev.term], specs[prev.index].ID)
				}
				stemB.add(p, ref)
			}
			if strings.Contains(surface, " ") {
				continue
			}
			c.knownWords[surface] = true
			if r.tolerant && len(surface) >= c.decision.TolerantMinLength {
				c.fuzzy = append(c.fuzzy, fuzzyTerm{rule: i, term: j, word: surface, maxEdits: maxEditsFor(surface), letters: letterSet(surface)})
			}
		}
	}
	// An exact rule exists to keep a word from meeting its inflections; a
	// stemmed term with the same stem would undo that silently.
	for _, r := range c.rules {
		if !r.exact {
			continue
		}
		for _, term := range r.terms {
			if at, ok := stemB.index[patternOf(term, false)]; ok {
				other := c.rules[stemB.refs[at][0].index]
				return fmt.Errorf("rule %q: exact term %q would also be matched by a stemmed term of rule %q; make that term exact too", r.id, term, other.id)
			}
		}
	}
	return nil
}

// addContexts adds the context phrases to the automata.
func (c *Classifier) addContexts(specs []contextSpec, stemB, exactB *automatonBuilder) error {
	phrases := map[string]string{}
	for i, cs := range specs {
		cx := contextRule{id: cs.ID, kind: cs.Kind, terms: cs.Terms}
		c.contexts = append(c.contexts, cx)
		exact := cs.Match == "exact"
		for j, term := range cs.Terms {
			p := patternOf(term, exact)
			if prev, dup := phrases[p]; dup {
				return fmt.Errorf("context %q: phrase %q is already a phrase of context %q", cx.id, term, prev)
			}
			phrases[p] = cx.id
			ref := patternRef{context: true, index: i, term: j}
			if exact {
				exactB.add(p, ref)
			} else {
				stemB.add(p, ref)
			}
		}
	}
	return nil
}

// checkContextsCanSuppress classifies each context phrase on its own: one
// that holds no clinical term is a mistake in the rules (a typo, or a term
// since removed), not a harmless extra.
func (c *Classifier) checkContextsCanSuppress() error {
	for _, cx := range c.contexts {
		for _, term := range cx.terms {
			toks := tokenise(term)
			found := false
			for _, s := range c.spans(toks, make([]int, len(toks))) {
				if !s.ref.context && c.rules[s.ref.index].class == Clinical {
					found = true
					break
				}
			}
			if !found {
				return fmt.Errorf("context %q: phrase %q contains no clinical term, so it could never suppress anything", cx.id, term)
			}
		}
	}
	return nil
}

// spans runs both automata over the tokens.
func (c *Classifier) spans(toks []token, segOf []int) []span {
	out := c.stemAC.find(newStream(toks, false), segOf)
	return append(out, c.exactAC.find(newStream(toks, true), segOf)...)
}

// Classify labels a transcript. Hits name segments by their position in
// t.Segments, and their Start and End are byte offsets into that segment's
// Text. Nothing is logged: the transcript is health data.
func (c *Classifier) Classify(t *transcribe.Transcript) Decision {
	var segs []transcribe.Segment
	if t != nil {
		segs = t.Segments
	}
	var toks []token
	var segOf []int
	for i, s := range segs {
		st := tokenise(s.Text)
		toks = append(toks, st...)
		for range st {
			segOf = append(segOf, i)
		}
	}
	q := measureQuality(segs, toks, segOf, c.quality.RepetitionNGram)
	found := c.resolve(toks, segOf)
	hits := make([]Hit, len(found))
	for i, f := range found {
		hits[i] = c.hit(f, segs, toks, segOf)
	}
	d := c.decide(q, found)
	d.Hits = hits
	return d
}

// ClassifyText labels plain text, as one segment whose timing and
// confidence are unknown; only the checks that text allows (word count,
// repetition) can make it uncertain for quality.
func (c *Classifier) ClassifyText(text string) Decision {
	return c.Classify(&transcribe.Transcript{Segments: []transcribe.Segment{{Text: text}}})
}

// hit turns a resolved match into the reported Hit, with its span in the
// original segment text.
func (c *Classifier) hit(f match, segs []transcribe.Segment, toks []token, segOf []int) Hit {
	r := c.rules[f.ref.index]
	seg := segs[segOf[f.first]]
	start, end := toks[f.first].start, toks[f.last].end
	return Hit{
		RuleID:       r.id,
		Category:     r.category,
		Class:        r.class,
		Text:         seg.Text[start:end],
		Segment:      segOf[f.first],
		Start:        start,
		End:          end,
		AudioStart:   seg.Start,
		AudioEnd:     seg.End,
		Speaker:      seg.Speaker,
		Tolerant:     f.tolerant,
		Suppressed:   f.suppressedBy != "",
		SuppressedBy: f.suppressedBy,
	}
}
