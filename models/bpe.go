package models

import (
	"fmt"
	"unicode/utf8"
)

// Whisper's tokenizer is GPT-2's byte-level BPE. Its vocabulary files
// (vocabulary.txt in CTranslate2 checkpoints, vocab.json in Hugging Face ones)
// spell each token's bytes as printable characters: bytes that are printable
// Latin-1 stand for themselves, and every other byte n is written as the n-th
// code point from U+0100 on. whisper.cpp wants the raw bytes, so the importer
// undoes that mapping.

// bpeByteDecoder returns the inverse of GPT-2's bytes_to_unicode table:
// for each of the 256 code points used, the byte it stands for.
func bpeByteDecoder() map[rune]byte {
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	dec := make(map[rune]byte, 256)
	n := 0
	for b := 0; b < 256; b++ {
		if printable(b) {
			dec[rune(b)] = byte(b)
		} else {
			dec[rune(256+n)] = byte(b)
			n++
		}
	}
	return dec
}

// decodeBPEToken turns one vocabulary entry back into the bytes it stands for.
func decodeBPEToken(dec map[rune]byte, tok string) ([]byte, error) {
	out := make([]byte, 0, len(tok))
	for i, r := range tok {
		if r == utf8.RuneError {
			return nil, fmt.Errorf("token %q: invalid UTF-8 at byte %d", tok, i)
		}
		b, ok := dec[r]
		if !ok {
			return nil, fmt.Errorf("token %q: character %U at byte %d is not in GPT-2's byte alphabet", tok, r, i)
		}
		out = append(out, b)
	}
	return out, nil
}

// eotToken is the first special token of every Whisper vocabulary; only the
// ordinary BPE tokens before it go into a ggml file (whisper.cpp names the
// special ones itself).
const eotToken = "<|endoftext|>"

// bpeVocabulary decodes the ordinary tokens of a Whisper vocabulary: those
// before <|endoftext|> (50256 for the English-only models, 50257 for the
// multilingual ones, whose token 50256 is the empty string).
func bpeVocabulary(tokens []string) ([][]byte, error) {
	dec := bpeByteDecoder()
	for i, t := range tokens {
		if t == eotToken {
			out := make([][]byte, i)
			for j := 0; j < i; j++ {
				b, err := decodeBPEToken(dec, tokens[j])
				if err != nil {
					return nil, fmt.Errorf("vocabulary entry %d: %w", j, err)
				}
				out[j] = b
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("vocabulary has no %s token: not a Whisper vocabulary", eotToken)
}
