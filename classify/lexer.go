package classify

import (
	"bytes"
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
	l.words = append(l.words, word{start: start, end: end, seg: seg, off: off, n: n, hash: h,
		info: l.table.lookup(h, l.arena[off:off+n]).wordInfo})
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
func (l *lexer) word(text string, i int, seg int32) int {
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
	start, end := int32(i), int32(j)
	w := l.arena[off:]
	switch {
	case apostrophe:
		l.contraction(off, start, end, seg)
	default:
		if !ascii {
			h = uint64(hashInit)
			for _, b := range w {
				h = hashStep(h, b)
			}
		}
		h |= 1
		info := l.table.lookup(h, w)
		if info.informal {
			parts := informalWords[string(w)]
			l.arena = l.arena[:off]
			for _, p := range parts {
				l.add(p, start, end, seg)
			}
			return j
		}
		l.words = append(l.words, word{start: start, end: end, seg: seg, off: int32(off), n: int32(len(w)), hash: h, info: info.wordInfo})
	}
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
	switch string(w) {
	case "can't", "won't", "shan't", "ain't", "let's", "o'clock":
		parts := expandContraction(string(w)) // a few fixed words: no allocation worth avoiding
		l.arena = l.arena[:off]
		for _, p := range parts {
			l.add(p, start, end, seg)
		}
		return
	}
	for _, sfx := range contractionSuffixes {
		n := len(w) - len(sfx.suffix)
		if n <= 0 || string(w[n:]) != sfx.suffix || bytes.IndexByte(w[:n], '\'') >= 0 {
			continue
		}
		// The stem stays where it is; the suffix's word follows it.
		l.arena = l.arena[:off+n]
		l.pushBytes(off, start, end, seg)
		l.add(sfx.word, start, end, seg)
		return
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
