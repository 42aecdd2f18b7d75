//go:build whisper

package main

import (
	"bytes"
	"context"
	"encoding/json"
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
