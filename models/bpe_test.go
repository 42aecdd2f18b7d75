package models

import (
	"bytes"
	"strings"
	"testing"
)

func TestBPEByteDecoderIsABijection(t *testing.T) {
	dec := bpeByteDecoder()
	if len(dec) != 256 {
		t.Fatalf("%d entries, want 256", len(dec))
	}
	seen := map[byte]bool{}
	for _, b := range dec {
		seen[b] = true
	}
	if len(seen) != 256 {
		t.Fatalf("decoder covers %d distinct bytes, want 256", len(seen))
	}
}

func TestDecodeBPEToken(t *testing.T) {
	dec := bpeByteDecoder()
	cases := map[string][]byte{
		"hello":  []byte("hello"),
		"Ġworld": []byte(" world"), // Ġ = U+0120 stands for the space byte
		"Ċ":      {'\n'},
		"Ā":      {0x00},
		"ł":      {0xa0},      // non-breaking space, the 67th remapped byte
		"Ń":      {0xad},      // soft hyphen, the last remapped byte
		"Ã©":     []byte("é"), // UTF-8 bytes C3 A9, each printable Latin-1
		"":       {},          // multilingual token 50256 is empty
	}
	for in, want := range cases {
		got, err := decodeBPEToken(dec, in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("decode %q = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := decodeBPEToken(dec, "a\u4e2d"); err == nil || !strings.Contains(err.Error(), "byte alphabet") {
		t.Errorf("a code point outside the table: err = %v", err)
	}
}

func TestBPEVocabularyStopsAtEndOfText(t *testing.T) {
	v, err := bpeVocabulary([]string{"a", "Ġb", "", eotToken, "<|startoftranscript|>"})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{[]byte("a"), []byte(" b"), {}}
	if len(v) != len(want) {
		t.Fatalf("got %d tokens, want %d", len(v), len(want))
	}
	for i := range want {
		if !bytes.Equal(v[i], want[i]) {
			t.Errorf("token %d = %q, want %q", i, v[i], want[i])
		}
	}
	if _, err := bpeVocabulary([]string{"a", "b"}); err == nil {
		t.Error("a vocabulary without <|endoftext|> was accepted")
	}
}
