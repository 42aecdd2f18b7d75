package models

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func placeModel(t *testing.T, src, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, FileNameFor(name))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolveOrder(t *testing.T) {
	model, _, err := importSynth(t, synthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	cwdModels, exeModels, cache := filepath.Join(root, "cwd", "models"), filepath.Join(root, "exe", "models"), filepath.Join(root, "cache")
	env := Env{Default: "base.en", Dirs: []string{cwdModels, exeModels}, Cache: cache}

	// Nothing anywhere: the error names every place and the fixes.
	_, err = Resolve("", env)
	var nf *ModelNotFoundError
	if !errors.As(err, &nf) || nf.Name != "base.en" {
		t.Fatalf("err = %v, want not found for the default", err)
	}
	for _, want := range []string{filepath.Join(cwdModels, "ggml-base.en.bin"), filepath.Join(exeModels, "ggml-base.en.bin"),
		filepath.Join(cache, "ggml-base.en.bin"), "callscribe models download base.en", "callscribe models import"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("not-found error lacks %q:\n%v", want, err)
		}
	}

	inCache := placeModel(t, model, cache, "base.en")
	if p, err := Resolve("", env); err != nil || p != inCache {
		t.Errorf("cache only: %q, %v", p, err)
	}
	inExe := placeModel(t, model, exeModels, "base.en")
	if p, err := Resolve("", env); err != nil || p != inExe {
		t.Errorf("executable's models/ beats the cache: %q, %v", p, err)
	}
	inCwd := placeModel(t, model, cwdModels, "base.en")
	if p, err := Resolve("", env); err != nil || p != inCwd {
		t.Errorf("./models beats the executable's: %q, %v", p, err)
	}

	// CALLSCRIBE_MODEL beats the default; an explicit value beats both.
	tiny := placeModel(t, model, cache, "tiny.en")
	env.Model = "tiny.en"
	if p, err := Resolve("", env); err != nil || p != tiny {
		t.Errorf("env model: %q, %v", p, err)
	}
	explicit := placeModel(t, model, filepath.Join(root, "elsewhere"), "custom")
	if p, err := Resolve(explicit, env); err != nil || p != explicit {
		t.Errorf("explicit path: %q, %v", p, err)
	}
	if p, err := Resolve("base.en", env); err != nil || p != inCwd {
		t.Errorf("explicit name: %q, %v", p, err)
	}
	if _, err := Resolve(filepath.Join(root, "nope.bin"), env); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing explicit path: err = %v", err)
	}

	// A broken file is reported, not skipped in favour of another copy.
	if err := os.WriteFile(inCwd, []byte("<html>not a model</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptModelError
	if _, err := Resolve("base.en", env); !errors.As(err, &ce) {
		t.Errorf("corrupt model: err = %v, want CorruptModelError", err)
	}
}

func TestIsPath(t *testing.T) {
	for s, want := range map[string]bool{"base.en": false, "large-v3-turbo": false, "ggml-base.en.bin": true, "./x": true, "/m/a": true} {
		if IsPath(s) != want {
			t.Errorf("IsPath(%q) = %v", s, !want)
		}
	}
}

// NameFor undoes FileNameFor, from a bare file name or a path.
func TestNameFor(t *testing.T) {
	for in, want := range map[string]string{
		FileNameFor("base-q4_k"):  "base-q4_k",
		"/cache/ggml-tiny.en.bin": "tiny.en",
		"base.en":                 "base.en",
		"/models/mine.bin":        "mine",
	} {
		if got := NameFor(in); got != want {
			t.Errorf("NameFor(%q) = %q, want %q", in, got, want)
		}
	}
}
