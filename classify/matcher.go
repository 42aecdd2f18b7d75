package classify

import (
	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// patternRef says which rule term (or context phrase) a pattern stands for.
// Several terms can share one pattern string.
type patternRef struct {
	context bool // index is into Classifier.contexts, not Classifier.rules
	index   int
	term    int
}

// Matching works on words, not letters. Each word of a transcript has an
// ID in each of two alphabets, one for exact terms (its normal form) and
// one for stemmed terms (its stem), 0 when it is in no term of that kind
// (see vocabulary). A one-word term is found by its ID alone: the rules list
// the terms of each ID. Phrases of several words are found by Aho-Corasick
// over the IDs written as two bytes each: only the runs of words, within a
// segment, in which every two neighbours are also neighbours in some phrase
// (the only places a phrase can match), separated by the ID 0 that no
// phrase holds. A match always covers whole words, inflections and
// spellings meet in the ID, and the automaton reads a few bytes for the
// handful of places where a phrase may be instead of every letter of the
// transcript. A match must start on a word boundary (an even offset):
// two IDs side by side could otherwise spell a third across their boundary.

// wordMatcher finds the terms of one alphabet.
type wordMatcher struct {
	single  [][]patternRef // by word ID: the one-word terms
	pairs   pairSet        // neighbouring words in some phrase
	phrases automaton
}

// matcherBuilder collects the terms of one alphabet.
type matcherBuilder struct {
	single  map[uint16][]patternRef
	pairs   map[uint32]bool
	phrases *automatonBuilder
}

func newMatcherBuilder() *matcherBuilder {
	return &matcherBuilder{single: map[uint16][]patternRef{}, pairs: map[uint32]bool{}, phrases: newAutomatonBuilder()}
}

func pairOf(a, b uint16) uint32 { return uint32(a)<<16 | uint32(b) }

// pairSet is a set of word pairs (never 0: IDs start at 1), by open
// addressing.
type pairSet []uint32

func newPairSet(pairs map[uint32]bool) pairSet {
	size := 16
	for size < 2*len(pairs) {
		size *= 2
	}
	s := make(pairSet, size)
	for p := range pairs {
		i := pairSlot(p, size)
		for s[i] != 0 {
			i = (i + 1) & (size - 1)
		}
		s[i] = p
	}
	return s
}

func pairSlot(p uint32, size int) int { return int((p*0x9E3779B1)>>7) & (size - 1) }

func (s pairSet) has(p uint32) bool {
	for i := pairSlot(p, len(s)); ; i = (i + 1) & (len(s) - 1) {
		switch s[i] {
		case p:
			return true
		case 0:
			return false
		}
	}
}

// add adds a term given as its words' IDs.
func (b *matcherBuilder) add(ids []uint16, ref patternRef) {
	if len(ids) == 1 {
		b.single[ids[0]] = append(b.single[ids[0]], ref)
		return
	}
	for i := 1; i < len(ids); i++ {
		b.pairs[pairOf(ids[i-1], ids[i])] = true
	}
	b.phrases.add(idPattern(ids), ref)
}

// has reports whether a term with these IDs was added.
func (b *matcherBuilder) has(ids []uint16) bool {
	if len(ids) == 1 {
		return len(b.single[ids[0]]) > 0
	}
	_, ok := b.phrases.index[idPattern(ids)]
	return ok
}

// build makes the matcher for an alphabet of n IDs.
func (b *matcherBuilder) build(n int) wordMatcher {
	m := wordMatcher{single: make([][]patternRef, n+1), pairs: newPairSet(b.pairs), phrases: b.phrases.build()}
	for id, refs := range b.single {
		m.single[id] = refs
	}
	return m
}

// phraseRuns collects, for one alphabet, the runs of words where a phrase
// may match (see wordMatcher) as a stream for its automaton.
type phraseRuns struct {
	stream []byte
	pos    []int32 // the word behind each ID in stream, -1 for a separator
	run    bool    // in a run of words linked by phrase pairs
	prev   uint16  // the previous word's ID, 0 at the start of a segment
}

func (r *phraseRuns) reset() {
	r.stream, r.pos, r.run, r.prev = r.stream[:0], r.pos[:0], false, 0
}

// next takes word i with ID id (0: in no term) in alphabet m.
func (r *phraseRuns) next(m *wordMatcher, i int, id uint16) {
	switch {
	case id != 0 && r.prev != 0 && m.pairs.has(pairOf(r.prev, id)):
		if !r.run {
			r.stream, r.pos = append(r.stream, byte(r.prev>>8), byte(r.prev)), append(r.pos, int32(i-1))
			r.run = true
		}
		r.stream, r.pos = append(r.stream, byte(id>>8), byte(id)), append(r.pos, int32(i))
	case r.run:
		r.stream, r.pos = append(r.stream, 0, 0), append(r.pos, -1)
		r.run = false
	}
	r.prev = id
}

// spans finds the terms of both alphabets in one pass over the words:
// one-word terms at once, phrases by running each alphabet's automaton over
// the runs of words where one may be.
func (c *Classifier) spans(s *scratch) []span {
	out := s.spans[:0]
	st, ex := &s.runs[0], &s.runs[1]
	st.reset()
	ex.reset()
	for i := range s.words {
		w := &s.words[i]
		if i > 0 && s.words[i-1].seg != w.seg {
			st.prev, ex.prev = 0, 0
		}
		if id := w.info.stem; id != 0 {
			for _, ref := range c.stemmed.single[id] {
				out = append(out, span{ref: ref, first: i, last: i})
			}
		}
		if id := w.info.exact; id != 0 {
			for _, ref := range c.exact.single[id] {
				out = append(out, span{ref: ref, first: i, last: i})
			}
		}
		st.next(&c.stemmed, i, w.info.stem)
		ex.next(&c.exact, i, w.info.exact)
	}
	out = c.stemmed.phrases.find(out, st.stream, st.pos)
	out = c.exact.phrases.find(out, ex.stream, ex.pos)
	s.spans = out
	return out
}

// automaton finds phrases in an ID stream. It is read-only once built, and
// each search keeps its own state, so one Classifier serves concurrent
// calls.
type automaton struct {
	ac   ahocorasick.AhoCorasick
	refs [][]patternRef // by pattern index
}

// automatonBuilder collects patterns, merging identical ones.
type automatonBuilder struct {
	patterns []string
	index    map[string]int
	refs     [][]patternRef
}

func newAutomatonBuilder() *automatonBuilder {
	return &automatonBuilder{index: map[string]int{}}
}

func (b *automatonBuilder) add(pattern string, ref patternRef) {
	i, ok := b.index[pattern]
	if !ok {
		i = len(b.patterns)
		b.index[pattern] = i
		b.patterns = append(b.patterns, pattern)
		b.refs = append(b.refs, nil)
	}
	b.refs[i] = append(b.refs[i], ref)
}

// build makes the automaton. Standard (not leftmost) semantics with
// overlapping iteration report every occurrence of every pattern, so a
// phrase and a phrase inside it ("self harm to others", "harm to others")
// are both seen and the classifier, not the matcher, decides which one
// stands. The library's NFA, not its DFA: the DFA costs tens of
// milliseconds to build for the default rules (a rules reload) and buys
// nothing on ID streams this short.
func (b *automatonBuilder) build() automaton {
	if len(b.patterns) == 0 {
		return automaton{}
	}
	builder := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{
		MatchKind: ahocorasick.StandardMatch,
		DFA:       false,
	})
	return automaton{ac: builder.Build(b.patterns), refs: b.refs}
}

// idPattern writes word IDs as an automaton pattern, two bytes each.
func idPattern(ids []uint16) string {
	b := make([]byte, 0, 2*len(ids))
	for _, id := range ids {
		b = append(b, byte(id>>8), byte(id))
	}
	return string(b)
}

// span is a match of one term over words first..last (inclusive).
type span struct {
	ref         patternRef
	first, last int
}

// find appends every match of the automaton's phrases in the ID stream
// that starts on a word; pos gives the word behind each ID.
func (a automaton) find(out []span, stream []byte, pos []int32) []span {
	if a.refs == nil || len(stream) == 0 {
		return out
	}
	it := a.ac.IterOverlappingByte(stream)
	for m := it.Next(); m != nil; m = it.Next() {
		if m.Start()&1 != 0 {
			continue
		}
		first, last := int(pos[m.Start()/2]), int(pos[m.End()/2-1])
		for _, ref := range a.refs[m.Pattern()] {
			out = append(out, span{ref: ref, first: first, last: last})
		}
	}
	return out
}

// patternWords is the normal form of a term's words: stemmed or not, as
// transcripts are normalised.
func patternWords(term string, exact bool) []string {
	toks := tokenise(term)
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.norm
		if !exact {
			parts[i] = t.stem
		}
	}
	return parts
}
