package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/internal/testenv"
)

func wer(v float64) *float64 { return &v }

// The best run is the fastest whose WER is within a point of the f16
// model's: a quicker format that hears worse does not win.
func TestBestIndexAtEqualWER(t *testing.T) {
	runs := []benchRun{
		{Weights: "f16", RTF: 8, WER: wer(0.480)},
		{Weights: "q8_0", RTF: 11, WER: wer(0.486)},
		{Weights: "q5_1", RTF: 13, WER: wer(0.530)}, // fastest, 5 points worse
		{Weights: "q8_0", RTF: 14, WER: wer(0.47), Failed: 1},
	}
	if got := bestIndex(runs); got != 1 {
		t.Errorf("best %d, want 1 (q8_0 at 11x)", got)
	}
	runs[2].WER = wer(0.489) // within a point: now it wins
	if got := bestIndex(runs); got != 2 {
		t.Errorf("best %d, want 2", got)
	}
	// Without word error rates: the fastest that did not fail.
	if got := bestIndex([]benchRun{{RTF: 3}, {RTF: 5}, {RTF: 9, Failed: 2}}); got != 1 {
		t.Errorf("best %d, want 1", got)
	}
}

func TestParseWeights(t *testing.T) {
	if w, err := parseWeights("", true); err != nil || strings.Join(w, ",") != "f16,q8_0,q6_k,q5_k,q4_k" {
		t.Errorf("sweep default %v %v", w, err)
	}
	if w, err := parseWeights("", false); err != nil || w != nil {
		t.Errorf("no sweep: %v %v", w, err)
	}
	if _, err := parseWeights("f16,q4_0", false); err == nil || !strings.Contains(err.Error(), "q4_0") {
		t.Errorf("unknown form: %v", err)
	}
	if w, err := parseWeights("q5_1, q4_k", false); err != nil || strings.Join(w, ",") != "q5_1,q4_k" {
		t.Errorf("named forms: %v %v", w, err)
	}
}

// serve follows a sweep's choice of form only for the model that was
// swept, on this host, and only while the file is there.
func TestChooseModelFollowsTheSweep(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CALLSCRIBE_MODEL_CACHE", t.TempDir())
	save := func(b savedBest) {
		data, _ := json.Marshal(b)
		if err := os.WriteFile(filepath.Join(dir, "bench-best.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := savedBest{Model: "ggml-base-q8_0.bin", Source: "base", Weights: "q8_0", Cores: 2, Config: benchConfig{1, 2}, RTF: 11, Date: time.Now()}
	save(b)
	if m, _ := chooseModel(dir, "base", 2, false); m != "base" {
		t.Errorf("file missing: chose %s", m)
	}
	if m, _ := chooseModel(dir, "tiny.en", 2, false); m != "tiny.en" {
		t.Errorf("another model: chose %s", m)
	}
	if m, _ := chooseModel(dir, "base", 16, false); m != "base" {
		t.Errorf("another host: chose %s", m)
	}
}

// -sweep's default forms skip the K-quants for a model whose rows they do
// not fit (tiny.en: 384 weights), and make the others in the model cache;
// named with -weights, a form that does not fit is an error.
func TestWeightVariantsSkipWhatDoesNotFit(t *testing.T) {
	model := testenv.Model(t) // tiny.en, before the cache moves
	t.Setenv("CALLSCRIBE_MODEL_CACHE", t.TempDir())
	weights, err := parseWeights("", true)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := weightVariants(model, weights, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Weights)
		if _, err := os.Stat(v.Model); err != nil {
			t.Errorf("%s: %v", v.Weights, err)
		}
	}
	if strings.Join(got, ",") != "f16,q8_0" {
		t.Errorf("forms %v, want f16,q8_0", got)
	}
	if _, err := weightVariants(model, []string{"q6_k"}, true); err == nil || !strings.Contains(err.Error(), "256-weight blocks") {
		t.Errorf("q6_k named for tiny.en: %v", err)
	}
}
