//go:build whisper

package models

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
)

// Quantize writes, byte for byte, the file Debian's whisper-quantize (the
// real whisper.cpp tool) writes from the test model, for every type; its
// checksum is the one recorded in the catalogue; and a quantised model is
// not quantised again.
func TestQuantizeMatchesWhisperQuantize(t *testing.T) {
	tool := testenv.Tool(t, "whisper-quantize")
	src := testenv.Model(t)
	dir := t.TempDir()
	for _, typ := range QuantTypes {
		ours := filepath.Join(dir, "ours-"+typ+".bin")
		info, err := Quantize(src, ours, typ)
		if errors.Is(err, ErrBlockRows) && strings.HasSuffix(typ, "_k") {
			// tiny.en's 384-weight rows: whisper-quantize writes a file
			// whisper.cpp refuses to load ("has wrong size"); the K-quants
			// are compared on a wide model (below) and
			// on base (below).
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if info.Weights != typ {
			t.Errorf("%s: weights are %s", typ, info.Weights)
		}
		sameAsWhisperQuantize(t, tool, src, ours, typ)
		sum, err := FileSHA256(ours)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, want, ok := LookupQuantized(QuantizedName(testenv.ModelName, typ)); !ok || want.SHA256 != sum {
			t.Errorf("%s: sha256 %s, recorded %+v", typ, sum, want)
		}
		if _, err := Quantize(ours, ours+".again", "q8_0"); err == nil || !strings.Contains(err.Error(), "already quantised") {
			t.Errorf("quantising a %s model again: %v", typ, err)
		}
	}
}

// The K-quants of the real base model have the checksums the catalogue
// records (whisper-quantize's files). scripts/test.sh imports base (148 MB)
// for this; without it the test skips, or fails under CI.
func TestQuantizeBaseMatchesRecordedChecksums(t *testing.T) {
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(cache, FileNameFor("base"))
	if _, err := os.Stat(src); err != nil {
		testenv.Missing(t, "base is not in the model cache (%s): scripts/testmodel.sh base imports it", src)
	}
	dir := t.TempDir()
	for _, typ := range []string{"q6_k", "q5_k", "q4_k"} {
		out := filepath.Join(dir, typ)
		if _, err := Quantize(src, out, typ); err != nil {
			t.Fatal(err)
		}
		sum, err := FileSHA256(out)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, want, ok := LookupQuantized("base-" + typ); !ok || want.SHA256 != sum {
			t.Errorf("base %s: sha256 %s, recorded %+v", typ, sum, want)
		}
	}
}

// Every format, on a model built to reach the quantisers' edge cases
// (zero and sub-epsilon groups, constant, one-signed and outlier rows,
// weights from 1e-4 to 4), is byte for byte what Debian's whisper-quantize
// writes.
func TestQuantizeWideMatchesWhisperQuantize(t *testing.T) {
	tool := testenv.Tool(t, "whisper-quantize")
	wide := writeWideModel(t)
	dir := t.TempDir()
	for _, typ := range QuantTypes {
		ours := filepath.Join(dir, "ours-"+typ)
		quantizeWide(t, wide, ours, typ)
		sameAsWhisperQuantize(t, tool, wide, ours, typ)
	}
}

// sameAsWhisperQuantize has whisper-quantize write src as typ and
// compares its file with ours, byte for byte.
func sameAsWhisperQuantize(t *testing.T, tool, src, ours, typ string) {
	t.Helper()
	theirs := ours + ".whisper-quantize"
	if out, err := exec.Command(tool, src, theirs, typ).CombinedOutput(); err != nil {
		t.Fatalf("whisper-quantize %s: %v\n%s", typ, err, out)
	}
	a, _ := os.ReadFile(ours)
	b, _ := os.ReadFile(theirs)
	if !bytes.Equal(a, b) {
		t.Errorf("%s: our file (%d bytes) differs from whisper-quantize's (%d bytes)", typ, len(a), len(b))
	}
}
