package classify

// patternRef says which rule term (or context phrase) a pattern stands for.
// Several terms can share one pattern.
type patternRef struct {
	context bool // index is into Classifier.contexts, not Classifier.rules
	index   int
	term    int
}

// Matching works on words, not letters. Each word of a transcript has an
// ID in each of two alphabets, one for exact terms (its normal form) and
// one for stemmed terms (its stem), 0 when it is in no term of that kind
// (see vocabulary). A one-word term is found by its ID alone: the rules list
// the terms of each ID. Phrases of several words are found in a trie of
// the phrases' IDs read backwards, last word first: from each word of a
// segment the matcher walks back over the words before it for as long as
// some phrase ends with the words walked, which for almost every word is
// not at all or one step. A match always covers whole words, inflections
// and spellings meet in the ID, and no phrase can span two segments.
//
// This replaced an Aho-Corasick library run over a byte encoding of the
// word IDs. The library did the job, but its iterators allocate per match
// and per search, and it needed the encoding (two bytes a word, matches at
// odd offsets thrown away); on the benchmark call the trie made the whole
// classification 1.27 times faster (89 to 113 MB/s per core, 10 to 4
// allocations) with identical decisions. The work stays linear: each word
// is looked at once, plus the steps of the phrases that really end there.

// wordMatcher finds the terms of one alphabet.
type wordMatcher struct {
	// ids says, by word ID, what the matcher needs for every word of a
	// transcript, side by side in one small record.
	ids     []idTerms
	single  []patternRef // the one-word terms, by ID
	phrases phraseTrie
}

// idTerms is what starts at one word ID: its one-word terms,
// single[from:to], and the trie node of the phrases ending in it (0: none),
// so the first step into the trie, taken for every word, is no lookup.
type idTerms struct {
	from, to int32
	last     int32
}

// phraseTrie holds the phrases of one alphabet, each read from its last
// word to its first. Node 0 is the root; its steps are idTerms.last.
type phraseTrie struct {
	// edges are the other steps, by open addressing on (node, ID).
	edges []trieEdge
	// refs lists, by node, the phrases that start at the word where the
	// walk reached it.
	refs [][]patternRef
}

// trieEdge leads from one node to child over one word ID; key is
// edgeKey(node, id), never 0 (IDs start at 1), and 0 marks an empty slot.
type trieEdge struct {
	key   uint64
	child int32
}

func edgeKey(node int32, id uint16) uint64 { return uint64(node)<<16 | uint64(id) }

func edgeSlot(key uint64, mask int) int { return int((key*0x9E3779B97F4A7C15)>>32) & mask }

// child is the node reached from node (not the root) over id, or 0 when
// no phrase continues that way.
func (t *phraseTrie) child(node int32, id uint16) int32 {
	key, mask := edgeKey(node, id), len(t.edges)-1
	for i := edgeSlot(key, mask); ; i = (i + 1) & mask {
		switch e := &t.edges[i]; e.key {
		case key:
			return e.child
		case 0:
			return 0
		}
	}
}

// matcherBuilder collects the terms of one alphabet.
type matcherBuilder struct {
	single map[uint16][]patternRef
	// The phrase trie as it grows: edges by edgeKey, refs by node.
	edges map[uint64]int32
	refs  [][]patternRef
}

func newMatcherBuilder() *matcherBuilder {
	return &matcherBuilder{single: map[uint16][]patternRef{}, edges: map[uint64]int32{}, refs: [][]patternRef{nil}}
}

// add adds a term given as its words' IDs.
func (b *matcherBuilder) add(ids []uint16, ref patternRef) {
	if len(ids) == 1 {
		b.single[ids[0]] = append(b.single[ids[0]], ref)
		return
	}
	node := int32(0)
	for i := len(ids) - 1; i >= 0; i-- {
		key := edgeKey(node, ids[i])
		next, ok := b.edges[key]
		if !ok {
			next = int32(len(b.refs))
			b.edges[key] = next
			b.refs = append(b.refs, nil)
		}
		node = next
	}
	b.refs[node] = append(b.refs[node], ref)
}

// has reports whether a term with these IDs was added.
func (b *matcherBuilder) has(ids []uint16) bool {
	if len(ids) == 1 {
		return len(b.single[ids[0]]) > 0
	}
	node := int32(0)
	for i := len(ids) - 1; i >= 0; i-- {
		next, ok := b.edges[edgeKey(node, ids[i])]
		if !ok {
			return false
		}
		node = next
	}
	return len(b.refs[node]) > 0
}

// build makes the matcher for an alphabet of n IDs.
func (b *matcherBuilder) build(n int) wordMatcher {
	m := wordMatcher{ids: make([]idTerms, n+1)}
	for id := range m.ids {
		refs := b.single[uint16(id)]
		m.ids[id].from = int32(len(m.single))
		m.single = append(m.single, refs...)
		m.ids[id].to = int32(len(m.single))
	}
	if len(b.edges) == 0 {
		return m
	}
	t := &m.phrases
	t.refs = b.refs
	size := 16
	for size < 2*len(b.edges) {
		size *= 2
	}
	t.edges = make([]trieEdge, size)
	for key, child := range b.edges {
		if key>>16 == 0 {
			m.ids[uint16(key)].last = child
			continue
		}
		i := edgeSlot(key, size-1)
		for t.edges[i].key != 0 {
			i = (i + 1) & (size - 1)
		}
		t.edges[i] = trieEdge{key: key, child: child}
	}
	return m
}

// spans finds the terms of both alphabets in one pass over the words:
// one-word terms by their ID, phrases by walking back through each
// alphabet's trie from every word that ends one.
//
// The order of the spans is part of the behaviour (when two context
// phrases cover the same words, the first one names the suppression):
// one-word terms by word (stemmed before exact), then the stemmed phrases
// and then the exact ones, each by last word and, for one last word,
// longest first.
func (c *Classifier) spans(s *scratch) []span {
	out := s.spans[:0]
	stemmed, exact, starts := s.phrases[0][:0], s.phrases[1][:0], s.starts
	for i := range s.words {
		w := &s.words[i]
		if id := w.info.stem; id != 0 {
			t := &c.stemmed.ids[id]
			for _, ref := range c.stemmed.single[t.from:t.to] {
				out = append(out, span{ref: ref, first: int32(i), last: int32(i)})
			}
			if t.last != 0 && c.stemmed.phrases.child(t.last, idBefore(s.words, i, false)) != 0 {
				stemmed, starts = c.stemmed.phrases.walk(stemmed, starts, s.words, t.last, i, false)
			}
		}
		if id := w.info.exact; id != 0 {
			t := &c.exact.ids[id]
			for _, ref := range c.exact.single[t.from:t.to] {
				out = append(out, span{ref: ref, first: int32(i), last: int32(i)})
			}
			if t.last != 0 && c.exact.phrases.child(t.last, idBefore(s.words, i, true)) != 0 {
				exact, starts = c.exact.phrases.walk(exact, starts, s.words, t.last, i, true)
			}
		}
	}
	out = append(out, stemmed...)
	out = append(out, exact...)
	s.spans, s.phrases, s.starts = out, [2][]span{stemmed, exact}, starts
	return out
}

// idBefore is the ID of the word before word i in its segment, 0 when
// there is none. spans checks the first step back into the trie itself, so
// as to call walk only where a phrase may end: seldom.
func idBefore(words []word, i int, exact bool) uint16 {
	if i == 0 || words[i-1].seg != words[i].seg {
		return 0
	}
	if exact {
		return words[i-1].info.exact
	}
	return words[i-1].info.stem
}

// phraseStart is a phrase found while walking back from a word: the trie
// node that holds it and the word it starts at.
type phraseStart struct{ node, first int32 }

// walk appends the phrases that end at word last, whose node (reached
// from the root by its ID) is node: it walks back within the segment while
// some phrase ends with the words walked, reading each word's ID in the
// exact alphabet or the stemmed one, and appends the phrases found longest
// first. starts is scratch space, returned for reuse.
func (t *phraseTrie) walk(out []span, starts []phraseStart, words []word, node int32, last int, exact bool) ([]span, []phraseStart) {
	starts = starts[:0]
	seg := words[last].seg
	for j := last - 1; j >= 0; j-- {
		w := &words[j]
		id := w.info.stem
		if exact {
			id = w.info.exact
		}
		if w.seg != seg || id == 0 {
			break
		}
		if node = t.child(node, id); node == 0 {
			break
		}
		if len(t.refs[node]) > 0 {
			starts = append(starts, phraseStart{node: node, first: int32(j)})
		}
	}
	for k := len(starts) - 1; k >= 0; k-- {
		for _, ref := range t.refs[starts[k].node] {
			out = append(out, span{ref: ref, first: starts[k].first, last: int32(last)})
		}
	}
	return out, starts
}

// span is a match of one term over words first..last (inclusive).
type span struct {
	ref         patternRef
	first, last int32
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
