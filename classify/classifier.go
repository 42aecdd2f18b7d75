package classify

import (
	"fmt"
	"slices"
	"sync"

	"github.com/callscribe/callscribe/transcribe"
)

// Classifier labels transcripts with one version of the rules. It is
// immutable once built and safe for concurrent use.
type Classifier struct {
	version  string
	decision decisionConfig
	quality  qualityConfig
	rules    []rule
	contexts []contextRule
	stemmed  wordMatcher         // terms matched by stem
	exact    wordMatcher         // terms matched as spelt (after normalisation)
	vocab    map[string]wordInfo // every spelling of every word in a term
	table    wordTable           // the same, for the lexer
	fuzzy    []fuzzyTerm
	// fuzzyByLen lists, for each word length, the tolerant terms a word of
	// that length can be within their allowed edits of.
	fuzzyByLen []fuzzyBucket
	// fuzzyOf gives the tolerant-term index of each rule term, or -1.
	fuzzyOf [][]int32
	// maxTermWords is the most words in any term: a hit can only be
	// covered by another that starts at most this many words before it.
	maxTermWords int
	scratch      sync.Pool // *scratch
}

// rule is a lexicon rule ready for matching.
type rule struct {
	id, category string
	// label is the category as the reasons list a clinical term under
	// it, marked when the term is weak (worked out once, not per hit).
	label    string
	class    Label
	weight   float64
	exact    bool
	tolerant bool
	mention  bool // counts only beside other clinical evidence
	terms    []string
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

// scratch is the working memory of one Classify call, pooled so that
// classifying a call allocates little beyond the Decision it returns.
type scratch struct {
	lexer
	phrases      [2][]span // stemmed, exact
	starts       []phraseStart
	spans        []span
	found        []match
	kept         []match
	scores       []termScore
	admins       []patternRef
	lists        [3]termList // clinical, administrative, suppressed
	contexts     []span
	keys         []uint64 // n-gram hashes
	seen         []uint64 // open-addressing set of n-gram hashes
	wordsIn      []int
	doubtful     []bool
	fuzzyHit     []bool
	fuzzyChecked []fuzzyChecked
	edits        editScratch
	text         []byte // a reason as it is written
}

// build compiles validated rules into a classifier. It rejects what only
// shows once terms are normalised: the same term twice (also as two
// inflections of one word, which would only duplicate hits), an exact term
// that a stemmed term would match anyway, and context phrases that contain
// no clinical term and so could never suppress anything.
func build(rf ruleFile) (*Classifier, error) {
	c, _, err := compile(rf)
	return c, err
}

// compile is build, also returning the vocabulary (for tests).
func compile(rf ruleFile) (*Classifier, *vocabulary, error) {
	c := &Classifier{
		version:  rf.Version,
		decision: rf.Decision,
		quality:  rf.Quality,
	}
	v := newVocabulary()
	stemB, exactB := newMatcherBuilder(), newMatcherBuilder()
	if err := c.addRules(rf.Rules, v, stemB, exactB); err != nil {
		return nil, nil, err
	}
	if err := c.addContexts(rf.Contexts, v, stemB, exactB); err != nil {
		return nil, nil, err
	}
	if len(v.exactID) >= maxWordID || len(v.stemID) >= maxWordID {
		return nil, nil, fmt.Errorf("the rules use more than %d different words", maxWordID-1)
	}
	c.vocab = packKeys(v.words())
	c.table = newWordTable(c.vocab)
	c.stemmed, c.exact = stemB.build(len(v.stemID)), exactB.build(len(v.exactID))
	c.indexFuzzy()
	if err := c.checkContextsCanSuppress(); err != nil {
		return nil, nil, err
	}
	return c, v, nil
}

// ids gives the IDs of a term's words in one alphabet, adding new words.
func (v *vocabulary) ids(words []string, exact bool) []uint16 {
	alphabet := v.stemID
	if exact {
		alphabet = v.exactID
	}
	out := make([]uint16, len(words))
	for i, w := range words {
		out[i] = v.id(alphabet, w)
	}
	return out
}

// addRules adds the lexicon's terms to the automata and collects the words
// for misspelling matches.
func (c *Classifier) addRules(specs []ruleSpec, v *vocabulary, stemB, exactB *matcherBuilder) error {
	owner := map[string]string{}
	stemOwner := map[string]patternRef{}
	for i, rs := range specs {
		r := rule{
			id: rs.ID, category: rs.Category, class: Label(rs.Class), weight: 1,
			exact: rs.Match == "exact", tolerant: rs.Tolerant, mention: rs.Mention, terms: rs.Terms,
		}
		if rs.Weight != nil {
			r.weight = *rs.Weight
		}
		r.label = r.category
		switch {
		case r.mention:
			r.label += " (named, not evidence alone)"
		case r.weight < c.decision.ClinicalThreshold:
			r.label += " (weak)"
		}
		c.rules = append(c.rules, r)
		c.fuzzyOf = append(c.fuzzyOf, slices.Repeat([]int32{-1}, len(rs.Terms)))
		for j, term := range rs.Terms {
			norms := patternWords(term, true)
			c.maxTermWords = max(c.maxTermWords, len(norms))
			surface := joinWords(norms)
			if prev, dup := owner[surface]; dup {
				return fmt.Errorf("rule %q: term %q is already a term of rule %q", r.id, term, prev)
			}
			owner[surface] = r.id
			ref := patternRef{index: i, term: j}
			if r.exact {
				exactB.add(v.ids(norms, true), ref)
			} else {
				stems := patternWords(term, false)
				key := joinWords(stems)
				if prev, dup := stemOwner[key]; dup {
					return fmt.Errorf("rule %q: term %q is the same as term %q of rule %q once stemmed",
						r.id, term, specs[prev.index].Terms[prev.term], specs[prev.index].ID)
				}
				stemOwner[key] = ref
				stemB.add(v.ids(stems, false), ref)
			}
			if len(norms) != 1 {
				continue
			}
			if r.tolerant && len(surface) >= c.decision.TolerantMinLength {
				c.fuzzyOf[i][j] = int32(len(c.fuzzy))
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
			if ref, ok := stemOwner[joinWords(patternWords(term, false))]; ok {
				return fmt.Errorf("rule %q: exact term %q would also be matched by a stemmed term of rule %q; make that term exact too", r.id, term, c.rules[ref.index].id)
			}
		}
	}
	return nil
}

func joinWords(ws []string) string {
	n := 0
	for _, w := range ws {
		n += len(w) + 1
	}
	b := make([]byte, 0, n)
	for i, w := range ws {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, w...)
	}
	return string(b)
}

// addContexts adds the context phrases to the automata.
func (c *Classifier) addContexts(specs []contextSpec, v *vocabulary, stemB, exactB *matcherBuilder) error {
	phrases := map[string]string{}
	for i, cs := range specs {
		cx := contextRule{id: cs.ID, kind: cs.Kind, terms: cs.Terms}
		c.contexts = append(c.contexts, cx)
		exact := cs.Match == "exact"
		for j, term := range cs.Terms {
			ws := patternWords(term, exact)
			key := joinWords(ws)
			if exact {
				key = "=" + key
			}
			if prev, dup := phrases[key]; dup {
				if prev == cx.id && cs.fromClass[j] {
					continue // two expansions of one pattern meet once stemmed
				}
				return fmt.Errorf("context %q: phrase %q is already a phrase of context %q", cx.id, term, prev)
			}
			phrases[key] = cx.id
			ref := patternRef{context: true, index: i, term: j}
			if exact {
				exactB.add(v.ids(ws, true), ref)
			} else {
				stemB.add(v.ids(ws, false), ref)
			}
		}
	}
	return nil
}

// checkContextsCanSuppress classifies each context phrase on its own: one
// that holds no clinical term is a mistake in the rules (a typo, or a term
// since removed), not a harmless extra.
func (c *Classifier) checkContextsCanSuppress() error {
	s := c.getScratch()
	defer c.putScratch(s)
	for _, cx := range c.contexts {
		for _, term := range cx.terms {
			s.reset()
			s.lex(term, 0)
			found := false
			for _, sp := range c.spans(s) {
				if !sp.ref.context && c.rules[sp.ref.index].class == Clinical {
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

func (c *Classifier) getScratch() *scratch {
	if s, ok := c.scratch.Get().(*scratch); ok {
		return s
	}
	return &scratch{lexer: lexer{table: &c.table}}
}

// putScratch returns working memory to the pool, unless one huge
// transcript made it too big to keep.
func (c *Classifier) putScratch(s *scratch) {
	if cap(s.arena) > 1<<20 || cap(s.words) > 1<<17 {
		return
	}
	c.scratch.Put(s)
}

func (s *scratch) reset() {
	s.arena, s.words, s.spans = s.arena[:0], s.words[:0], s.spans[:0]
	s.found, s.contexts = s.found[:0], s.contexts[:0]
}

// Classify labels a transcript. Hits name segments by their position in
// t.Segments, and their Start and End are byte offsets into that segment's
// Text. Nothing is logged: the transcript is health data.
func (c *Classifier) Classify(t *transcribe.Transcript) Decision {
	var segs []transcribe.Segment
	if t != nil {
		segs = t.Segments
	}
	s := c.getScratch()
	defer c.putScratch(s)
	s.reset()
	for i := range segs {
		s.lex(segs[i].Text, i)
	}
	q, doubtful := c.measureQuality(s, segs)
	found := c.resolve(s)
	c.markNames(found, segs, s.words)
	d := c.decide(s, q, found, doubtful)
	d.Hits = make([]Hit, len(found))
	for i := range found {
		c.hit(&d.Hits[i], &found[i], segs, s.words, doubtful)
	}
	return d
}

// ClassifyText labels plain text, as one segment whose timing and
// confidence are unknown; only the checks that text allows (word count,
// repetition) can make it uncertain for quality.
func (c *Classifier) ClassifyText(text string) Decision {
	return c.Classify(&transcribe.Transcript{Segments: []transcribe.Segment{{Text: text}}})
}

// hit fills in the reported Hit for a resolved match, with its span in the
// original segment text. h is a zeroed element of a new slice, and its
// fields are set one by one: assigning a whole Hit would build it on the
// stack and copy it in, with a write barrier over the whole copy.
func (c *Classifier) hit(h *Hit, f *match, segs []transcribe.Segment, words []word, doubtful []bool) {
	r := &c.rules[f.ref.index]
	seg := &segs[f.seg]
	start, end := words[f.first].start, words[f.last].end
	h.RuleID = r.id
	h.Category = r.category
	h.Class = r.class
	h.Text = seg.Text[start:end]
	h.Term = r.terms[f.ref.term]
	h.Segment = int(f.seg)
	h.Start, h.End = int(start), int(end)
	h.AudioStart, h.AudioEnd = seg.Start, seg.End
	h.Speaker = seg.Speaker
	h.Tolerant = f.tolerant
	h.Doubtful = doubtful[f.seg]
	if f.suppressed() {
		h.Suppressed, h.SuppressedBy = true, c.suppressedBy(f)
	}
}
