//go:build whisper

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
)

// The bench runs the real path over real recordings and, with --compare,
// whisper-cli on the same samples, and reports both engines' figures.
func TestBenchComparesWithWhisperCLI(t *testing.T) {
	model := testenv.Model(t)
	speech := testenv.Shared(t, "speech")
	var out bytes.Buffer
	err := cmdBench(context.Background(), []string{"-model", model, "-threads", "2", "-files", speech, "-limit", "2",
		"-compare", "-json", "-data", t.TempDir()}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bench -json: %v\n%s", err, out.String())
	}
	if rep.Files != 2 || len(rep.Runs) != 1 || len(rep.Devices) == 0 {
		t.Fatalf("report: %d files, %d runs, %d devices; want 2, 1, at least the CPU", rep.Files, len(rep.Runs), len(rep.Devices))
	}
	r := rep.Runs[0]
	if r.Calls != 2 || r.Failed != 0 || r.RTF <= 0 || r.AudioSeconds <= 0 || r.LatencyP50 <= 0 || r.PeakRSS == 0 || !r.Best {
		t.Errorf("run: %+v", r)
	}
	if r.WER == nil || r.WERWords == 0 {
		t.Errorf("no word error rate although refs.tsv gives references")
	}
	if c := r.WhisperCLI; c == nil || c.RTF <= 0 || c.WER == nil || r.RatioToCLI <= 0 {
		t.Errorf("whisper-cli comparison missing: %+v", c)
	}
	if r.Stages["decode+resample"] <= 0 || r.Stages["whisper total"] <= 0 {
		t.Errorf("stage times missing: %v", r.Stages)
	}
}

// -weights runs the model in each form, quantising into the model cache
// what is missing; the sweep's choice is saved with the model it came
// from, and serve's chooseModel follows it for that model only.
func TestBenchWeightsAndServesChoice(t *testing.T) {
	model := testenv.Model(t)
	speech := testenv.Shared(t, "speech")
	t.Setenv("CALLSCRIBE_MODEL_CACHE", t.TempDir())
	data := t.TempDir()
	var out bytes.Buffer
	err := cmdBench(context.Background(), []string{"-model", model, "-threads", "2", "-files", speech, "-limit", "2",
		"-weights", "f16,q8_0", "-sweep", "-json", "-data", data}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bench -json: %v\n%s", err, out.String())
	}
	forms := map[string]int{}
	var best *benchRun
	for i, r := range rep.Runs {
		forms[r.Weights]++
		if r.Best {
			best = &rep.Runs[i]
		}
		if r.Weights == "q8_0" && !strings.HasSuffix(r.ModelPath, "ggml-tiny.en-q8_0.bin") {
			t.Errorf("q8_0 run used %s", r.ModelPath)
		}
	}
	if forms["f16"] == 0 || forms["f16"] != forms["q8_0"] || best == nil {
		t.Fatalf("runs by form %v, best %v", forms, best)
	}
	if m, _ := chooseModel(data, model, rep.Cores, false); best.Weights == "f16" && m != model || best.Weights != "f16" && m != "tiny.en-"+best.Weights {
		t.Errorf("serve chose %q after a sweep whose best was %s", m, best.Weights)
	}
	// Whatever this noisy host measured: a saved q8_0 choice is followed
	// while its file (made above in the model cache) is there.
	saved, _ := json.Marshal(savedBest{Model: "ggml-tiny.en-q8_0.bin", Source: model, Weights: "q8_0", Cores: rep.Cores, Config: benchConfig{1, 2}, RTF: 9})
	if err := os.WriteFile(filepath.Join(data, "bench-best.json"), saved, 0o644); err != nil {
		t.Fatal(err)
	}
	if m, why := chooseModel(data, model, rep.Cores, false); m != "tiny.en-q8_0" || !strings.Contains(why, "q8_0") {
		t.Errorf("serve chose %q (%s), want tiny.en-q8_0", m, why)
	}
}
