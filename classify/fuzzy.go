package classify

import (
	"math/bits"
	"slices"
	"unsafe"
)

// fuzzyTerm is a one-word term of a tolerant rule (a drug name), matched
// also when Whisper misspells it: "olanzepine", "ketiapine", "zeplion".
type fuzzyTerm struct {
	rule, term int
	word       string // normalised, unstemmed
	maxEdits   int
	letters    uint32 // letterSet(word)
}

// letterSet has bit i set when the word holds the i-th letter a-z. Each edit
// adds or removes at most one distinct letter, so two words whose sets
// differ by more letters than the edits allowed cannot match; this rules
// out almost every pair before the edit distance is computed.
func letterSet(w string) uint32 {
	var set uint32
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= 'a' && c <= 'z' {
			set |= 1 << (c - 'a')
		}
	}
	return set
}

// maxEditsFor allows one edit in names of up to 9 letters and two in longer
// ones: long drug names are far from any everyday word, short ones are not.
func maxEditsFor(word string) int {
	if len(word) >= 10 {
		return 2
	}
	return 1
}

// fuzzyBucket is the tolerant terms a word of one length can be within
// their allowed edits of, with their letter sets side by side so the first
// filter reads one small array.
type fuzzyBucket struct {
	letters []uint32 // letterSet of each term, by number of letters
	terms   []int32  // index into Classifier.fuzzy
	// from[n] is where the terms with n distinct letters start.
	from [28]int32
}

// indexFuzzy lists the tolerant terms by the word lengths that can reach
// them, so each transcript word is compared with a few terms, not all.
func (c *Classifier) indexFuzzy() {
	longest := 0
	for _, f := range c.fuzzy {
		longest = max(longest, len(f.word)+f.maxEdits)
	}
	c.fuzzyByLen = make([]fuzzyBucket, longest+1)
	for i, f := range c.fuzzy {
		for n := len(f.word) - f.maxEdits; n <= len(f.word)+f.maxEdits; n++ {
			b := &c.fuzzyByLen[n]
			b.letters = append(b.letters, f.letters)
			b.terms = append(b.terms, int32(i))
		}
	}
	for bi := range c.fuzzyByLen {
		b := &c.fuzzyByLen[bi]
		idx := make([]int, len(b.terms))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(x, y int) int {
			return bits.OnesCount32(b.letters[x]) - bits.OnesCount32(b.letters[y])
		})
		letters, terms := make([]uint32, len(idx)), make([]int32, len(idx))
		for i, j := range idx {
			letters[i], terms[i] = b.letters[j], b.terms[j]
		}
		b.letters, b.terms = letters, terms
		for n := range b.from {
			b.from[n] = int32(len(letters))
			for i, l := range letters {
				if bits.OnesCount32(l) >= n {
					b.from[n] = int32(i)
					break
				}
			}
		}
	}
}

// findFuzzy appends, as tolerant matches, words within a few edits of a
// tolerant term. Words the lexicon knows (a word of any term, in any
// spelling or inflection) are skipped: they matched, or were meant to
// match, as spelt; so are terms already matched exactly in this transcript.
func (c *Classifier) findFuzzy(found []match, s *scratch) []match {
	if len(c.fuzzy) == 0 {
		return found
	}
	minLen := c.decision.TolerantMinLength - 1
	checked := s.fuzzyChecked[:0]
	for i := range s.words {
		w := &s.words[i]
		// British spelling never shortens a word by more than one letter.
		if w.info != (wordInfo{}) || int(w.n) < minLen-1 || int(w.n) > len(c.fuzzyByLen)+1 {
			continue
		}
		// A word said again matches what it matched before (calls repeat
		// names, days, numbers): copy those matches.
		if at := slices.IndexFunc(checked, func(o fuzzyChecked) bool { return s.sameWord(o.word, i) }); at >= 0 {
			for k := checked[at].from; k < checked[at].to; k++ {
				m := found[k]
				m.first, m.last = int32(i), int32(i)
				found = append(found, m)
			}
			continue
		}
		from := len(found)
		found = c.fuzzyMatches(found, s, i)
		checked = append(checked, fuzzyChecked{word: i, from: from, to: len(found)})
	}
	s.fuzzyChecked = checked
	return found
}

// fuzzyChecked is a word findFuzzy has compared with the tolerant terms,
// and where its matches are in the found list.
type fuzzyChecked struct{ word, from, to int }

// sameWord reports whether words i and j read the same.
func (s *scratch) sameWord(i, j int) bool {
	a, b := &s.words[i], &s.words[j]
	return a.hash == b.hash && string(s.arena[a.off:a.off+a.n]) == string(s.arena[b.off:b.off+b.n])
}

// fuzzyMatches appends the tolerant matches of word i.
func (c *Classifier) fuzzyMatches(found []match, s *scratch, i int) []match {
	w := &s.words[i]
	// The arena does not change while the word is in use, and the string
	// is not kept: it may share the arena's bytes.
	word := britishSpelling(unsafe.String(&s.arena[w.off], w.n))
	if len(word) < c.decision.TolerantMinLength-1 || len(word) >= len(c.fuzzyByLen) {
		return found
	}
	set := letterSet(word)
	b := &c.fuzzyByLen[len(word)]
	// Each edit adds or removes at most one distinct letter, and no term
	// allows more than two edits: only terms with two letters more or
	// fewer can match, and only if at most four letters differ.
	n := bits.OnesCount32(set)
	lo, hi := b.from[max(n-2, 0)], b.from[min(n+3, len(b.from)-1)]
	for k := lo; k < hi; k++ {
		if bits.OnesCount32(set^b.letters[k]) > 4 {
			continue
		}
		fi := b.terms[k]
		f := &c.fuzzy[fi]
		if bits.OnesCount32(set&^f.letters) > f.maxEdits || bits.OnesCount32(f.letters&^set) > f.maxEdits || s.fuzzyHit[fi] {
			continue
		}
		if d := s.edits.distance(word, f.word, f.maxEdits); d > 0 && d <= f.maxEdits {
			found = append(found, match{span: span{ref: patternRef{index: f.rule, term: f.term}, first: int32(i), last: int32(i)}, tolerant: true})
		}
	}
	return found
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// editDistance is the optimal string alignment distance (insertions,
// deletions, substitutions and adjacent transpositions) between a and b,
// giving up with limit+1 once every alignment costs more than limit.
func editDistance(a, b string, limit int) int {
	var s editScratch
	return s.distance(a, b, limit)
}

// editScratch keeps the rows of the distance table between calls, so that
// checking a transcript's words against every drug name does not allocate
// for each pair.
type editScratch struct{ rows [3][]int }

func (s *editScratch) distance(a, b string, limit int) int {
	if a == b {
		return 0
	}
	for i := range s.rows {
		if cap(s.rows[i]) < len(b)+1 {
			s.rows[i] = make([]int, len(b)+1)
		}
		s.rows[i] = s.rows[i][:len(b)+1]
	}
	prev2, prev, cur := s.rows[0], s.rows[1], s.rows[2]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
