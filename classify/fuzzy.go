package classify

import "math/bits"

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

// findFuzzy reports tokens within a few edits of a tolerant term. Tokens
// that are themselves a term of some rule are skipped (they matched, or were
// meant to match, exactly), as are tokens that already hit this term.
func (c *Classifier) findFuzzy(toks []token, exactHit map[[2]int]bool) []span {
	if len(c.fuzzy) == 0 {
		return nil
	}
	var out []span
	var scratch editScratch
	for i, t := range toks {
		w := t.norm
		if len(w) < c.decision.TolerantMinLength-1 || c.knownWords[w] {
			continue
		}
		set := letterSet(w)
		for _, f := range c.fuzzy {
			if abs(len(w)-len(f.word)) > f.maxEdits ||
				bits.OnesCount32(set&^f.letters) > f.maxEdits || bits.OnesCount32(f.letters&^set) > f.maxEdits ||
				exactHit[[2]int{f.rule, f.term}] {
				continue
			}
			if d := scratch.distance(w, f.word, f.maxEdits); d > 0 && d <= f.maxEdits {
				out = append(out, span{ref: patternRef{index: f.rule, term: f.term}, first: i, last: i})
			}
		}
	}
	return out
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
