package classify

import (
	"bytes"
	"slices"
	"unicode"
	"unicode/utf8"
)

// word is one normalised word of a transcript as the matcher sees it: the
// fast counterpart of token, with the normalised text kept in the scratch
// arena instead of a string of its own.
type word struct {
	start, end int32 // byte span of the original word in its segment's text
	seg        int32
	off, n     int32  // the word, lower case, contraction expanded, in scratch.arena
	hash       uint64 // hashString of the word
	info       wordInfo
}

// lexer splits transcript text into words exactly as tokenise does
// (TestLexerMatchesTokenise holds them together), without allocating per
// word: lower-cased letters go to one arena, and each word is looked up in
// the compiled vocabulary at once.
type lexer struct {
	table *wordTable
	arena []byte
	words []word
}

// lex appends the words of one segment's text.
func (l *lexer) lex(text string, seg int) {
	s := int32(seg)
	i := 0
	for i < len(text) {
		b := text[i]
		if b < utf8.RuneSelf {
			switch {
			case 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z':
				i = l.word(text, i, s)
			case '0' <= b && b <= '9':
				i = l.digits(text, i, s)
			case b == '&':
				l.add("and", int32(i), int32(i+1), s)
				i++
			default:
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsLetter(r):
			i = l.word(text, i, s)
		case unicode.IsDigit(r):
			i = l.digits(text, i, s)
		default:
			i += size
		}
	}
}

// add appends a word whose normal form is the constant w.
func (l *lexer) add(w string, start, end, seg int32) {
	off := int32(len(l.arena))
	l.arena = append(l.arena, w...)
	l.push(off, int32(len(w)), hashString(w), start, end, seg)
}

// push appends the word at arena[off:off+n], whose hashString is h.
func (l *lexer) push(off, n int32, h uint64, start, end, seg int32) {
	l.append(off, n, h, start, end, seg, l.table.lookup(h, l.arena[off:off+n]).wordInfo)
}

// append appends a word to l.words. It writes the fields in place: a
// composite literal of this many fields would be built on the stack and
// copied, and the copy's wide loads stall on the narrow stores just made
// (store forwarding fails), which cost more than the rest of a word's
// lexing.
func (l *lexer) append(off, n int32, h uint64, start, end, seg int32, info wordInfo) {
	l.words = append(l.words, word{})
	w := &l.words[len(l.words)-1]
	w.start, w.end, w.seg = start, end, seg
	w.off, w.n, w.hash, w.info = off, n, h, info
}

// pushBytes appends the word at arena[off:], hashing it.
func (l *lexer) pushBytes(off int, start, end, seg int32) {
	h := uint64(hashInit)
	for _, b := range l.arena[off:] {
		h = hashStep(h, b)
	}
	l.push(int32(off), int32(len(l.arena)-off), h|1, start, end, seg)
}

// digits reads a run of digits, which is a word as it stands.
func (l *lexer) digits(text string, i int, seg int32) int {
	j := i
	for j < len(text) {
		if b := text[j]; b < utf8.RuneSelf {
			if b < '0' || b > '9' {
				break
			}
			j++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[j:])
		if !unicode.IsDigit(r) {
			break
		}
		j += size
	}
	off := len(l.arena)
	l.arena = append(l.arena, text[i:j]...)
	l.pushBytes(off, int32(i), int32(j), seg)
	return j
}

// word reads a run of letters (with marks, and apostrophes between
// letters), lower-cases it into the arena, and expands a contraction.
//
// Most words of an English transcript are plain ASCII letters: those are
// lower-cased, hashed and copied into the arena in one tight loop (a word's
// end is a branch the processor cannot predict, so the loop runs once, and
// the arena has room for the rest of the text, so it writes without
// growing). A word that holds anything else (an apostrophe, a letter
// outside ASCII) is read again, letter by letter, by wordSlow.
func (l *lexer) word(text string, i int, seg int32) int {
	if text[i] >= utf8.RuneSelf {
		return l.wordSlow(text, i, seg)
	}
	off := len(l.arena)
	if cap(l.arena)-off < len(text)-i {
		// Not every time: a store of the arena's pointer costs a write
		// barrier while the garbage collector runs.
		l.arena = slices.Grow(l.arena, len(text)-i)
	}
	dst := l.arena[off : off+len(text)-i]
	h, head := uint64(hashInit), uint64(0)
	apostrophe := false
	j := i
	for ; j < len(text); j++ {
		b := asciiLetter[text[j]]
		if b == 0 {
			if text[j] != '\'' || j+1 == len(text) || asciiLetter[text[j+1]] == 0 {
				break
			}
			b, apostrophe = '\'', true
		}
		k := j - i
		dst[k] = b
		h = hashStep(h, b)
		head |= uint64(b) << (8 * k) // 0 once k reaches 8
	}
	// The word may go on with a letter outside ASCII, perhaps after an
	// apostrophe.
	if j < len(text) && (text[j] >= utf8.RuneSelf || text[j] == '\'' && j+1 < len(text) && text[j+1] >= utf8.RuneSelf) {
		l.arena = l.arena[:off]
		return l.wordSlow(text, i, seg)
	}
	l.arena = l.arena[:off+j-i]
	if apostrophe {
		l.contraction(off, int32(i), int32(j), seg)
		return j
	}
	l.finish(off, h|1, head, int32(i), int32(j), seg)
	return j
}

// finish appends the word at arena[off:], whose hashString is h, once
// the lexicon says how to read it: informal words ("dont", "gonna") stand
// for several.
//
// head is the word's wordHead, taken from the letters as they were
// written: reading them back from the arena at once would stall until the
// byte stores reach the cache.
func (l *lexer) finish(off int, h, head uint64, start, end, seg int32) {
	w := l.arena[off:]
	info := l.table.find(h, head, w)
	if info.informal {
		l.informal(off, start, end, seg)
		return
	}
	l.append(int32(off), int32(len(w)), h, start, end, seg, info.wordInfo)
}

// informal replaces the informal word at arena[off:] by the words it
// stands for.
func (l *lexer) informal(off int, start, end, seg int32) {
	parts := informalWords[string(l.arena[off:])]
	l.arena = l.arena[:off]
	for _, p := range parts {
		l.add(p, start, end, seg)
	}
}

// wordSlow is word for any word: it decodes runes, keeps apostrophes
// between letters, and lower-cases letters outside ASCII.
func (l *lexer) wordSlow(text string, i int, seg int32) int {
	off := len(l.arena)
	apostrophe, ascii := false, true
	h := uint64(hashInit) // of the ASCII letters, while the word has no others
	j := i
	for j < len(text) {
		b := text[j]
		if b < utf8.RuneSelf {
			switch {
			case 'a' <= b && b <= 'z':
				l.arena = append(l.arena, b)
				h = hashStep(h, b)
				j++
				continue
			case 'A' <= b && b <= 'Z':
				b += 'a' - 'A'
				l.arena = append(l.arena, b)
				h = hashStep(h, b)
				j++
				continue
			case b == '\'':
				if j+1 < len(text) && letterAt(text, j+1) {
					l.arena = append(l.arena, '\'')
					apostrophe = true
					j++
					continue
				}
			}
			break
		}
		ascii = false
		r, size := utf8.DecodeRuneInString(text[j:])
		if unicode.IsLetter(r) || unicode.IsMark(r) {
			if isApostrophe(r) { // U+02BC is a letter, and an apostrophe
				l.arena = append(l.arena, '\'')
				apostrophe = true
			} else {
				l.arena = utf8.AppendRune(l.arena, unicode.ToLower(r))
			}
			j += size
			continue
		}
		if isApostrophe(r) && j+size < len(text) && letterAt(text, j+size) {
			l.arena = append(l.arena, '\'')
			apostrophe = true
			j += size
			continue
		}
		break
	}
	if apostrophe {
		l.contraction(off, int32(i), int32(j), seg)
		return j
	}
	if !ascii {
		h = uint64(hashInit)
		for _, b := range l.arena[off:] {
			h = hashStep(h, b)
		}
	}
	l.finish(off, h|1, wordHead(l.arena[off:]), int32(i), int32(j), seg)
	return j
}

// asciiLetter maps ASCII letters to lower case, and every other byte to 0.
var asciiLetter = func() (t [256]byte) {
	for b := 'a'; b <= 'z'; b++ {
		t[b], t[b-'a'+'A'] = byte(b), byte(b)
	}
	return t
}()

// letterAt reports whether text holds a letter at byte i.
func letterAt(text string, i int) bool {
	if b := text[i]; b < utf8.RuneSelf {
		return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r)
}

// contraction expands the word at arena[off:] that holds an apostrophe,
// as expandContraction does, in place.
func (l *lexer) contraction(off int, start, end, seg int32) {
	w := l.arena[off:]
	if parts, ok := fixedContractions[string(w)]; ok {
		l.arena = l.arena[:off]
		for _, p := range parts {
			l.add(p, start, end, seg)
		}
		return
	}
	// A suffix holds the word's only apostrophe (the stem may hold none).
	if bytes.Count(w, []byte{'\''}) == 1 {
		if n, word := contractionSuffix(w); n > 0 {
			// The stem stays where it is; the suffix's word follows it.
			l.arena = l.arena[:off+n]
			l.pushBytes(off, start, end, seg)
			l.add(word, start, end, seg)
			return
		}
	}
	// Any other apostrophe (y'all, names like O'Neill) is dropped.
	j := off
	for _, b := range w {
		if b != '\'' {
			l.arena[j] = b
			j++
		}
	}
	l.arena = l.arena[:j]
	l.pushBytes(off, start, end, seg)
}

// contractionSuffix finds which of contractionSuffixes ends w after a
// non-empty stem: it gives the stem's length and the word the suffix stands
// for, or 0. w holds one apostrophe, so the stem holds none.
func contractionSuffix(w []byte) (int, string) {
	for _, sfx := range contractionSuffixes {
		if n := len(w) - len(sfx.suffix); n > 0 && w[n] == sfx.suffix[0] && string(w[n:]) == sfx.suffix {
			return n, sfx.word
		}
	}
	return 0, ""
}
