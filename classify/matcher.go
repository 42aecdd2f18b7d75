package classify

import (
	"strings"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// patternRef says which rule term (or context phrase) a pattern stands for.
// Several terms can share one pattern string.
type patternRef struct {
	context bool // index is into Classifier.contexts, not Classifier.rules
	index   int
	term    int
}

// automaton finds rule patterns in one normalised stream of a transcript
// (stemmed or exact). The automaton is read-only once built, and each search
// keeps its own state, so one Classifier serves concurrent calls.
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
// phrase and a word inside it ("self harm", "harm") are both seen and the
// classifier, not the matcher, decides which one stands. The library's own
// whole-word option is not used: it filters after choosing one match per
// position and can lose matches, and it only knows ASCII word boundaries.
// Whole words come for free here because the stream is tokens joined by
// single spaces and a match must start and end on token boundaries.
func (b *automatonBuilder) build() automaton {
	if len(b.patterns) == 0 {
		return automaton{}
	}
	builder := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{
		MatchKind: ahocorasick.StandardMatch,
		DFA:       true,
	})
	return automaton{ac: builder.Build(b.patterns), refs: b.refs}
}

// stream is the tokens of a transcript joined by single spaces, with a
// lookup from byte offsets back to tokens.
type stream struct {
	text    []byte
	startOf []int32 // token index starting at byte offset, or -1
	endOf   []int32 // token index ending at byte offset, or -1
}

func newStream(toks []token, exact bool) stream {
	n := 0
	for _, t := range toks {
		n += len(pick(t, exact)) + 1
	}
	s := stream{
		text:    make([]byte, 0, n),
		startOf: make([]int32, n+1),
		endOf:   make([]int32, n+1),
	}
	for i := range s.startOf {
		s.startOf[i], s.endOf[i] = -1, -1
	}
	for i, t := range toks {
		if i > 0 {
			s.text = append(s.text, ' ')
		}
		s.startOf[len(s.text)] = int32(i)
		s.text = append(s.text, pick(t, exact)...)
		s.endOf[len(s.text)] = int32(i)
	}
	return s
}

func pick(t token, exact bool) string {
	if exact {
		return t.norm
	}
	return t.stem
}

// span is a match of one pattern over tokens first..last (inclusive).
type span struct {
	ref         patternRef
	first, last int
}

// find reports every whole-token match of the automaton's patterns in s
// that does not cross from one segment into the next.
func (a automaton) find(s stream, segOf []int) []span {
	if a.refs == nil || len(s.text) == 0 {
		return nil
	}
	var out []span
	it := a.ac.IterOverlappingByte(s.text)
	for m := it.Next(); m != nil; m = it.Next() {
		first, last := s.startOf[m.Start()], s.endOf[m.End()]
		if first < 0 || last < 0 || segOf[first] != segOf[last] {
			continue
		}
		for _, ref := range a.refs[m.Pattern()] {
			out = append(out, span{ref: ref, first: int(first), last: int(last)})
		}
	}
	return out
}

// patternOf is the stream form of a term: its tokens, stemmed or not, joined
// by single spaces, exactly as newStream writes a transcript.
func patternOf(term string, exact bool) string {
	toks := tokenise(term)
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = pick(t, exact)
	}
	return strings.Join(parts, " ")
}
