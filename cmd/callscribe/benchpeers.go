package main

import (
	"context"
	"fmt"
	"os"
)

// benchPeers runs the other engines of `bench --compare` on the recordings
// callscribe has just transcribed: whisper-cli always, faster-whisper where
// a venv has it and a checkpoint for the model is found.
type benchPeers struct {
	cli       string
	fwPython  string // "": faster-whisper not run
	fwCompute string
	fwFolder  string // -faster-whisper-model
	fwModel   string // the model whose checkpoint faster-whisper runs
	// fwRuns are faster-whisper's results by configuration: the same for
	// every weight form whisper.cpp runs, so measured once.
	fwRuns map[benchConfig]*fwRun
	// fwSkipped says why faster-whisper was not run, for the report.
	fwSkipped string

	dir          string // the plain copies and a written checkpoint
	plain        map[string]plainCopy
	fwCheckpoint string
}

// prepare writes what every configuration's comparison shares, once.
func (p *benchPeers) prepare(ef *engineFlags, corpus []benchFile) error {
	dir, err := os.MkdirTemp("", "callscribe-bench-")
	if err != nil {
		return err
	}
	p.dir = dir
	if p.plain, err = writePlainCopies(corpus, dir, ef.maxDuration); err != nil {
		return err
	}
	if p.fwPython == "" {
		p.fwSkipped = "no faster-whisper venv (scripts/fasterwhisper.sh makes one; or give -faster-whisper PYTHON)"
		return nil
	}
	p.fwCheckpoint, p.fwSkipped, err = fwCheckpoint(p.fwModel, p.fwFolder, dir)
	return err
}

// compare runs the peers with run's configuration and records their figures
// and ratios in run.
func (p *benchPeers) compare(ctx context.Context, run *benchRun, ef *engineFlags, cfg benchConfig, corpus []benchFile, progress *progress) error {
	if p.plain == nil {
		if err := p.prepare(ef, corpus); err != nil {
			return err
		}
	}
	cr, err := runWhisperCLI(ctx, p.cli, run.ModelPath, ef, cfg, corpus, p.plain, progress)
	if err != nil {
		return fmt.Errorf("whisper-cli: %w", err)
	}
	run.WhisperCLI = cr
	if cr.RTF > 0 {
		run.RatioToCLI = run.RTF / cr.RTF
	}
	if p.fwCheckpoint == "" {
		return nil
	}
	fr := p.fwRuns[cfg]
	if fr == nil {
		dir, err := os.MkdirTemp(p.dir, "fw-")
		if err != nil {
			return err
		}
		if fr, err = runFasterWhisper(ctx, p.fwPython, p.fwCheckpoint, p.fwCompute, ef, cfg, corpus, p.plain, dir, progress); err != nil {
			return fmt.Errorf("faster-whisper: %w", err)
		}
		if p.fwRuns == nil {
			p.fwRuns = map[benchConfig]*fwRun{}
		}
		p.fwRuns[cfg] = fr
	}
	run.FW = fr
	if fr.RTF > 0 {
		run.RatioToFW = run.RTF / fr.RTF
	}
	return nil
}

// close removes the temporary files.
func (p *benchPeers) close() {
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}
