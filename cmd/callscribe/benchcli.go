package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/callscribe/callscribe/transcribe"
)

// cliRun is whisper-cli's result on the same recordings.
type cliRun struct {
	WallSeconds float64       `json:"wall_seconds"`
	ModelLoad   time.Duration `json:"model_load_ns"`
	RTF         float64       `json:"realtime_factor"`
	WER         *float64      `json:"wer,omitempty"`
	WERWords    int           `json:"wer_words,omitempty"`
}

// writePlainCopies writes callscribe's own 16 kHz mono decoding of each
// recording as 16-bit PCM, so whisper-cli transcribes exactly the samples
// callscribe's engine sees: the comparison then measures what callscribe
// costs on top of whisper.cpp, not two different resamplers.
func writePlainCopies(corpus []benchFile, dir string, maxDur time.Duration) (map[string]plainCopy, error) {
	out := map[string]plainCopy{}
	for i, f := range corpus {
		r, err := os.Open(f.Path)
		if err != nil {
			return nil, err
		}
		a, err := transcribe.Decode(r, transcribe.DecodeOptions{MaxDuration: maxDur})
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", f.Path, err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%04d.wav", i))
		if err := transcribe.WriteWAV16(p, a.Samples); err != nil {
			return nil, err
		}
		out[f.Path] = plainCopy{Path: p, Audio: a.Duration()}
	}
	return out, nil
}

// plainCopy is a 16 kHz PCM copy of a recording, for whisper-cli.
type plainCopy struct {
	Path  string
	Audio time.Duration
}

var cliLoadTime = regexp.MustCompile(`load time =\s+([0-9.]+) ms`)

// runWhisperCLI transcribes the corpus with whisper-cli: as many processes
// as callscribe has workers, each with the same threads and decoding
// settings, files shared round-robin. Its model load time is taken off the
// wall time, as callscribe's is.
func runWhisperCLI(ctx context.Context, cli, model string, ef *engineFlags, cfg benchConfig, corpus []benchFile, plain map[string]plainCopy, progress *progress) (*cliRun, error) {
	path, err := exec.LookPath(cli)
	if err != nil {
		return nil, errNoCLI
	}
	outDir, err := os.MkdirTemp("", "callscribe-bench-cli-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(outDir)
	base := []string{"-m", model, "-t", strconv.Itoa(cfg.Threads), "-l", ef.language,
		"-tp", fmt.Sprint(ef.temperature), "-tpi", fmt.Sprint(ef.temperatureInc),
		"-nth", fmt.Sprint(ef.noSpeech), "-sns", "-np", "-otxt"}
	if ef.beamSize > 1 {
		base = append(base, "-bs", strconv.Itoa(ef.beamSize))
	} else {
		base = append(base, "-bs", "1")
	}
	if ef.prompt != "" {
		base = append(base, "--prompt", ef.prompt)
	}
	if !ef.flashAttn {
		base = append(base, "-nfa")
	}
	if !ef.gpu {
		base = append(base, "-ng")
	}
	groups := make([][]string, cfg.Workers)
	for i, f := range corpus {
		g := i % cfg.Workers
		groups[g] = append(groups[g], "-f", plain[f.Path].Path, "-of", filepath.Join(outDir, fmt.Sprintf("%04d", i)))
	}
	progress.show(fmt.Sprintf("whisper-cli workers=%d threads=%d", cfg.Workers, cfg.Threads), 0, 1)
	var wg sync.WaitGroup
	loads := make([]time.Duration, cfg.Workers)
	errs := make([]error, cfg.Workers)
	start := time.Now()
	for g := range groups {
		if len(groups[g]) == 0 {
			continue
		}
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, path, append(append([]string{}, base...), groups[g]...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				errs[g] = fmt.Errorf("%v: %s", err, lastLines(stderr.String(), 5))
				return
			}
			if m := cliLoadTime.FindStringSubmatch(stderr.String()); m != nil {
				ms, _ := strconv.ParseFloat(m[1], 64)
				loads[g] = time.Duration(ms * float64(time.Millisecond))
			}
		}(g)
	}
	wg.Wait()
	wall := time.Since(start)
	progress.done()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	r := &cliRun{}
	for _, l := range loads {
		r.ModelLoad = max(r.ModelLoad, l)
	}
	r.WallSeconds = (wall - r.ModelLoad).Seconds()
	if err := r.score(corpus, plain, outDir, "whisper-cli"); err != nil {
		return nil, err
	}
	return r, nil
}

// score sets a peer's realtime factor from its wall time, and its word
// error rate from the NNNN.txt files it left in outDir (NNNN the corpus
// index), through the same normaliser as callscribe's own: one scale for
// every engine.
func (r *cliRun) score(corpus []benchFile, plain map[string]plainCopy, outDir, peer string) error {
	var audioSec float64
	var errsN, words int
	for i, f := range corpus {
		audioSec += plain[f.Path].Audio.Seconds()
		if f.Reference == "" {
			continue
		}
		txt, err := os.ReadFile(filepath.Join(outDir, fmt.Sprintf("%04d.txt", i)))
		if err != nil {
			return fmt.Errorf("%s output for %s: %w", peer, f.Path, err)
		}
		e, w := transcribe.WordErrors(f.Reference, string(txt))
		errsN, words = errsN+e, words+w
	}
	if r.WallSeconds > 0 {
		r.RTF = audioSec / r.WallSeconds
	}
	if words > 0 {
		wer := float64(errsN) / float64(words)
		r.WER, r.WERWords = &wer, words
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}
