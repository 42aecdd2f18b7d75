// Package watch takes call recordings from a drop folder that a call
// recorder (Puzzel, a workforce-optimisation recorder) delivers to over
// FTP or SFTP, with a metadata file beside each recording, and submits
// each one to the pipeline exactly once.
//
// A recording is taken only when it and its sidecar have both stopped
// changing (Config.Settle) and neither is named as a file still being
// written (Config.Ignore: .part, .tmp, hidden). It is claimed by renaming
// it into .processing/<instance>/ (one rename wins between watchers
// sharing the folder), ingested, and then deleted or moved (Config.After).
// A watcher that dies part-way finds its claimed files on its next start
// and ingests them again: the pipeline's intake is write-once per call ID,
// so the second attempt completes or is a duplicate, never a second call.
//
// Only package pipeline speaks NATS: the watcher reaches it through the
// Pipeline interface, which *pipeline.Client satisfies.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/callscribe/callscribe/call"
	"github.com/callscribe/callscribe/pipeline"
)

// Pipeline is what the watcher needs of the pipeline: to submit a call,
// and to ask whether the pipeline still holds one (Intake's error wraps
// pipeline.ErrNotFound once a call is erased), for the kept-folder sweep.
type Pipeline interface {
	Ingest(ctx context.Context, meta call.Meta, audio io.Reader) (pipeline.IngestResult, error)
	Intake(ctx context.Context, id string) (pipeline.Intake, error)
}

// Prober reads a recording's header: its duration, or why the worker
// could not transcribe it. A zero duration with a nil error means the
// prober could not tell the duration (it may have checked a limit itself).
type Prober interface {
	Probe(path string) (time.Duration, error)
}

// ErrTooLong is wrapped by a Prober's error for a recording over its limit,
// so the watcher quarantines it as too long rather than unreadable.
var ErrTooLong = errors.New("recording too long")

// Metrics receives what the watcher did, for Prometheus.
type Metrics interface {
	// Counted is one recording's outcome; reason is set for OutcomeQuarantined.
	Counted(o Outcome, r Reason)
	// Waiting is how many recordings (or lone sidecars) are in the folder
	// but not yet taken: still being written, or waiting for their pair.
	Waiting(n int)
}

// Outcome is what happened to one recording.
type Outcome string

const (
	OutcomeIngested    Outcome = "ingested"
	OutcomeDuplicate   Outcome = "duplicate"
	OutcomeObjection   Outcome = "objection"
	OutcomeQuarantined Outcome = "quarantined"
)

// Reason says why a recording was quarantined; one Prometheus label value each.
type Reason string

const (
	ReasonNone             Reason = ""
	ReasonSidecarMissing   Reason = "sidecar-missing"
	ReasonRecordingMissing Reason = "recording-missing"
	ReasonSidecarInvalid   Reason = "sidecar-invalid"
	ReasonMetadataInvalid  Reason = "metadata-invalid"
	ReasonAudioUnreadable  Reason = "audio-unreadable"
	ReasonTooLong          Reason = "too-long"
	ReasonEmpty            Reason = "empty"
	ReasonTooLarge         Reason = "too-large"
	ReasonAmbiguous        Reason = "ambiguous"
	ReasonUnknownFile      Reason = "unknown-file"
)

// Reasons lists every Reason, so metrics can show each at zero.
var Reasons = []Reason{ReasonSidecarMissing, ReasonRecordingMissing, ReasonSidecarInvalid, ReasonMetadataInvalid,
	ReasonAudioUnreadable, ReasonTooLong, ReasonEmpty, ReasonTooLarge, ReasonAmbiguous, ReasonUnknownFile}

// Watcher watches one drop folder. Scan and Sweep are safe to call only
// from one goroutine at a time (Run does).
type Watcher struct {
	cfg  Config
	pl   Pipeline
	seen map[string]observation // file name in Dir → what the last scan saw
	proc string                 // this instance's claim folder
}

// New checks cfg and makes the watcher's folders.
func New(cfg Config, pl Pipeline) (*Watcher, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	w := &Watcher{cfg: cfg, pl: pl, seen: map[string]observation{},
		proc: filepath.Join(cfg.Dir, processingDir, cfg.Instance)}
	for _, d := range []string{w.proc, cfg.Quarantine, cfg.KeepDir} {
		if d == "" {
			continue
		}
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("watch: %w", err)
		}
	}
	return w, nil
}

// Run scans at start, whenever the folder changes (fsnotify, where the
// file system reports changes) and every Rescan (network shares report
// none), and sweeps the kept and quarantine folders, until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	events, stop, err := notify(w.cfg.Dir, w.cfg.Log)
	if err != nil {
		// Not fatal: the periodic rescan finds every file, only later.
		w.cfg.Log.Warn().Err(err).Dur("rescan", w.cfg.Rescan).Msg("no change notification for the drop folder; relying on the rescan")
	} else {
		defer stop()
	}
	w.cfg.Log.Info().Str("dir", w.cfg.Dir).Str("instance", w.cfg.Instance).Str("after", w.cfg.afterName()).
		Dur("settle", w.cfg.Settle).Dur("grace", w.cfg.Grace).Dur("rescan", w.cfg.Rescan).Msg("watching drop folder")
	w.warnOtherClaims()
	rescan := time.NewTicker(w.cfg.Rescan)
	defer rescan.Stop()
	soon := time.NewTimer(0) // the first scan, at once
	defer soon.Stop()
	var lastSweep time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-events:
			// Nothing is taken before it has settled: scan when it may have.
			soon.Reset(w.cfg.Settle + 50*time.Millisecond)
			continue
		case <-rescan.C:
		case <-soon.C:
		}
		next, err := w.Scan(ctx)
		if err != nil && ctx.Err() == nil {
			w.cfg.Log.Warn().Err(err).Msg("drop folder scan failed; retrying at the next scan")
		}
		if next > 0 {
			soon.Reset(next)
		}
		if now := w.cfg.Now(); now.Sub(lastSweep) >= w.cfg.SweepEvery {
			lastSweep = now
			if err := w.Sweep(ctx); err != nil && ctx.Err() == nil {
				w.cfg.Log.Warn().Err(err).Msg("sweep of kept and quarantined recordings failed; retrying later")
			}
		}
	}
}

// warnOtherClaims names other instances' claim folders that hold files:
// a live watcher's work in hand, or a dead one's (a container whose host
// name changed) that only a watcher started under its name will finish.
func (w *Watcher) warnOtherClaims() {
	dirs, _ := os.ReadDir(filepath.Join(w.cfg.Dir, processingDir))
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == w.cfg.Instance {
			continue
		}
		if files, _ := os.ReadDir(filepath.Join(w.cfg.Dir, processingDir, d.Name())); len(files) > 0 {
			w.cfg.Log.Warn().Str("instance", d.Name()).Int("files", len(files)).
				Msg("another watcher's claimed files: finished only by a watcher running with -instance of that name")
		}
	}
}

func (w *Watcher) count(o Outcome, r Reason) {
	if w.cfg.Metrics != nil {
		w.cfg.Metrics.Counted(o, r)
	}
}

// isSidecar reports whether name is a metadata file, and which form.
func isSidecar(name string) (ext string, ok bool) {
	ext = strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".json", ".xml", ".csv":
		return ext, true
	}
	return "", false
}
