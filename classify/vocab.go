package classify

import "strings"

// The matcher does not normalise transcript words the way rule terms are
// normalised (British spelling, then stemming): that would cost a spelling
// map and a stemmer run for every word of every call. Instead the rules'
// vocabulary is turned around when the rules are compiled. Every word that
// occurs in a rule term is given an ID, in one alphabet for exact terms
// (the normalised word) and one for stemmed terms (its stem), and every
// spelling that normalises to such a word or stem is listed with those IDs:
// "hearing", "hears" and "heard" under the stem of "hear", "behavior" under
// "behaviour", "hospitalized" under "hospitalised". A transcript word then
// costs one map lookup; a word that is not listed is in no rule.
//
// The listing is complete by construction: stem and britishSpelling only
// ever remove or replace a few letters at the end of a word (and, for
// spelling, a known prefix), so the spellings that can lead to a given stem
// are a short list of candidates, and each candidate is kept only if the
// real functions map it there. TestVocabularyMatchesNormalisation checks the
// listing against normalising every word of a dictionary and the dev calls.

// wordInfo is what the matcher needs to know about one transcript word.
type wordInfo struct {
	exact uint16 // ID of the word in the exact alphabet, 0 when in no exact term
	stem  uint16 // ID of its stem in the stemmed alphabet, 0 when in no stemmed term
}

// tableInfo is a wordInfo as the lexer's table holds it: an informal word
// ("dont", "gonna") is not looked up further but expanded (informalWords).
type tableInfo struct {
	wordInfo
	informal bool
}

// maxWordID bounds each alphabet: IDs are written as two bytes.
const maxWordID = 1<<16 - 1

// vocabulary collects the words of the rules' terms while they compile.
type vocabulary struct {
	exactID, stemID map[string]uint16
}

func newVocabulary() *vocabulary {
	return &vocabulary{exactID: map[string]uint16{}, stemID: map[string]uint16{}}
}

// id returns the ID of w in one alphabet, adding it when new; 0 when the
// alphabet is full.
func (v *vocabulary) id(alphabet map[string]uint16, w string) uint16 {
	if id, ok := alphabet[w]; ok {
		return id
	}
	if len(alphabet) >= maxWordID {
		return 0
	}
	id := uint16(len(alphabet) + 1)
	alphabet[w] = id
	return id
}

// words lists every spelling a transcript may use for a word of the
// vocabulary, with its IDs.
func (v *vocabulary) words() map[string]wordInfo {
	out := make(map[string]wordInfo, 8*(len(v.exactID)+len(v.stemID)))
	for w, id := range v.exactID {
		for _, s := range spellingsOf(w) {
			info := out[s]
			info.exact = id
			out[s] = info
		}
	}
	seen := map[string]bool{}
	var forms []string
	for st, id := range v.stemID {
		forms = inflectionsOf(forms[:0], st, seen)
		for _, s := range forms {
			info := out[s]
			info.stem = id
			out[s] = info
		}
	}
	return out
}

// packKeys returns m with its keys copied into one string. The vocabulary
// lives as long as the classifier, and its tens of thousands of short keys,
// each its own allocation, would otherwise be marked one by one in every
// garbage collection, a cost that classifying calls (which allocate their
// decisions) pays for.
func packKeys(m map[string]wordInfo) map[string]wordInfo {
	words := make([]string, 0, len(m))
	n := 0
	for w := range m {
		words = append(words, w)
		n += len(w)
	}
	var b strings.Builder
	b.Grow(n)
	for _, w := range words {
		b.WriteString(w)
	}
	all := b.String()
	out := make(map[string]wordInfo, len(m))
	for _, w := range words {
		out[all[:len(w)]] = m[w]
		all = all[len(w):]
	}
	return out
}

// spellingsOf lists the words whose normalised form (britishSpelling) is
// w: w itself when it is its own normal form, and the American spellings
// that map to it.
func spellingsOf(w string) []string {
	var out []string
	add := func(s string) {
		if britishSpelling(s) == w {
			for _, o := range out {
				if o == s {
					return
				}
			}
			out = append(out, s)
		}
	}
	add(w)
	for _, s := range americanCandidates(w) {
		add(s)
	}
	return out
}

// americanCandidates undoes each rewrite britishSpelling can make, giving
// the spellings that may normalise to w (checked by the caller).
func americanCandidates(w string) []string {
	var out []string
	switch {
	case strings.HasPrefix(w, "mum"):
		out = append(out, "mom"+w[3:])
	case strings.HasPrefix(w, "programme"):
		out = append(out, "program"+w[9:])
	case strings.HasPrefix(w, "centre"):
		out = append(out, "center"+w[6:])
	case w == "grey":
		out = append(out, "gray")
	}
	if strings.HasSuffix(w, "re") && len(w) > 2 {
		out = append(out, w[:len(w)-2]+"er")
	}
	if strings.HasSuffix(w, "ce") && len(w) > 2 {
		out = append(out, w[:len(w)-2]+"se")
	}
	for _, p := range britishPrefixes {
		if rest, ok := strings.CutPrefix(w, p[1]); ok {
			out = append(out, p[0]+rest)
		}
	}
	// -ise and -yse families back to -ize and -yze: any "is"/"ys" may be
	// the one britishSuffix wrote.
	for i := 0; i+1 < len(w); i++ {
		if w[i+1] == 's' && (w[i] == 'i' || w[i] == 'y') {
			out = append(out, w[:i+1]+"z"+w[i+2:])
		}
	}
	return out
}

// inflectionsOf appends to out every spelling whose stem (after
// britishSpelling) is st. It walks Porter's steps backwards (5a, 1c, 1b,
// 1a), each of which removes or rewrites at most a few final letters, keeps
// the candidates that stem to st, adds the irregular forms, and then the
// American spellings of each. seen is scratch space, emptied on return.
func inflectionsOf(out []string, st string, seen map[string]bool) []string {
	defer clear(seen)
	try := func(c string) {
		if seen[c] {
			return
		}
		seen[c] = true
		// Every spelling s of c has britishSpelling(s) == c, so c decides.
		if stem(c) != st {
			return
		}
		out = append(out, spellingsOf(c)...)
	}
	for _, c := range [2]string{st, st + "e"} { // undo step 5a
		bs := [2]string{c}
		if base, ok := strings.CutSuffix(c, "i"); ok { // undo step 1c
			bs[1] = base + "y"
		}
		for _, b := range bs {
			if b == "" {
				continue
			}
			as := []string{b, b + "ed", b + "ing", b + "d"} // undo step 1b
			if base, ok := strings.CutSuffix(b, "e"); ok {
				as = append(as, base+"ed", base+"ing")
			}
			last := b[len(b)-1:]
			as = append(as, b+last+"ed", b+last+"ing")
			for _, a := range as { // undo step 1a
				try(a)
				try(a + "s")
				try(a + "es")
			}
		}
	}
	for form, fst := range irregularStems {
		if fst == st {
			try(form)
		}
	}
	return out
}

// irregularStems maps each irregular form to its stem.
var irregularStems = func() map[string]string {
	m := make(map[string]string, len(irregularBase))
	for f := range irregularBase {
		m[f] = stem(f)
	}
	return m
}()

// wordTable is the compiled vocabulary as the lexer reads it: an
// open-addressing hash table keyed by the lexer's running hash of each
// word, so a lookup costs no second pass over the word and, most often, one
// probe. (Every transcript word is looked up; this is the hot path.)
type wordTable struct {
	slots []wordSlot // a power of two, at most half full
	keys  []byte     // the words, end to end
}

type wordSlot struct {
	head uint64 // wordHead of the word: most words are compared by it alone
	off  uint32 // the word in keys
	info tableInfo
	n    uint8 // the word's length; 0: the slot is empty
}

// wordHash is FNV-1a over bytes, fed one byte at a time as the lexer
// writes them; never 0 (0 marks an empty slot).
const (
	hashInit  = 14695981039346656037
	hashPrime = 1099511628211
)

func hashStep(h uint64, b byte) uint64 { return (h ^ uint64(b)) * hashPrime }

func hashString(s string) uint64 {
	h := uint64(hashInit)
	for i := 0; i < len(s); i++ {
		h = hashStep(h, s[i])
	}
	return h | 1
}

func newWordTable(vocab map[string]wordInfo) wordTable {
	words := make(map[string]tableInfo, len(vocab)+len(informalWords))
	for w, info := range vocab {
		words[w] = tableInfo{wordInfo: info}
	}
	for w := range informalWords {
		words[w] = tableInfo{informal: true}
	}
	size := 16
	for size < 2*len(words) {
		size *= 2
	}
	t := wordTable{slots: make([]wordSlot, size)}
	mask := uint64(size - 1)
	for w, info := range words {
		if len(w) > 255 {
			continue // no transcript word is looked up at this length
		}
		if w == "" {
			continue // the lexer makes no empty words
		}
		i := hashString(w) & mask
		for t.slots[i].n != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = wordSlot{head: wordHead([]byte(w)), off: uint32(len(t.keys)), n: uint8(len(w)), info: info}
		t.keys = append(t.keys, w...)
	}
	return t
}

// lookup finds the word w, whose hashString is h.
func (t *wordTable) lookup(h uint64, w []byte) tableInfo {
	return t.find(h, wordHead(w), w)
}

// find is lookup given also the word's wordHead. Words of up to 8 bytes
// (most words) are compared by their heads alone, without a call to compare
// memory; the head also tells longer words apart as well as a part of the
// hash would. It is small enough to inline in the lexer.
func (t *wordTable) find(h, head uint64, w []byte) tableInfo {
	for i := h; ; i++ {
		s := &t.slots[i&uint64(len(t.slots)-1)]
		if s.head == head && int(s.n) == len(w) && (len(w) <= 8 || t.rest(s, w)) {
			return s.info
		}
		if s.n == 0 {
			return tableInfo{}
		}
	}
}

// rest reports whether the word in slot s, as long as w, ends as w does
// after the first 8 bytes.
func (t *wordTable) rest(s *wordSlot, w []byte) bool {
	return string(t.keys[s.off+8:s.off+uint32(s.n)]) == string(w[8:])
}

// wordHead is the first 8 bytes of w as a little-endian number, padded
// with zeros.
func wordHead(w []byte) uint64 {
	var head uint64
	for i, b := range w[:min(len(w), 8)] {
		head |= uint64(b) << (8 * i)
	}
	return head
}
