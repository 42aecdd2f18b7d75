package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/callscribe/callscribe/call"
	"github.com/callscribe/callscribe/pipeline"
)

// process ingests one claimed group (a recording and its sidecar, or a
// lone sidecar). A failure of the recording or its metadata quarantines
// the group; a failure to reach the pipeline leaves it claimed, to be
// retried by the next scan.
func (w *Watcher) process(ctx context.Context, g *group) error {
	began := time.Now() // durations are measured, not judged: the real clock
	if len(g.sidecars) == 0 {
		r, why := reasonFor(g)
		return w.quarantine(g, r, why)
	}
	meta, err := readSidecar(filepath.Join(w.proc, g.sidecars[0]), g.key, w.cfg.Mapping)
	if err != nil {
		r := ReasonSidecarInvalid
		if errors.Is(err, call.ErrInvalid) {
			r = ReasonMetadataInvalid
		}
		return w.quarantineBad(g, r, err)
	}
	if !meta.RecordingConsent {
		return w.objection(ctx, g, meta, began)
	}
	if len(g.audio) == 0 {
		r, why := reasonFor(g)
		return w.quarantine(g, r, why)
	}
	audio := filepath.Join(w.proc, g.audio[0])
	probe := time.Duration(0)
	if w.cfg.Prober != nil {
		t := time.Now()
		if r, why := w.probe(audio); r != ReasonNone {
			return w.quarantine(g, r, why)
		}
		probe = time.Since(t)
	}
	res, err := w.ingestFile(ctx, meta, audio)
	if r, ok := permanent(err); ok {
		return w.quarantine(g, r, err.Error())
	}
	if err != nil {
		return fmt.Errorf("watch: %s: %w (left claimed; retried at the next scan)", g.key, err)
	}
	if res.Duplicate && (res.State == pipeline.StateObjected || res.State == pipeline.StateDeleted) {
		// Erased before this copy arrived (an objection): keep nothing.
		if err := w.purge(g); err != nil {
			return err
		}
	} else if err := w.finish(g, meta.ID); err != nil {
		return err
	}
	o := OutcomeIngested
	if res.Duplicate {
		o = OutcomeDuplicate
	}
	w.count(o, ReasonNone)
	w.cfg.Log.Info().Str("call_id", meta.ID).Str("outcome", string(o)).Str("state", string(res.State)).
		Uint64("recording_bytes", res.RecordingBytes).Bool("recording_stored", res.RecordingStored).
		Float64("probe_ms", ms(probe)).Float64("took_ms", ms(time.Since(began))).
		Str("after", w.cfg.afterName()).Msg("watch: call ingested")
	return nil
}

// quarantineBad quarantines a group whose sidecar cannot be used. If the
// sidecar nonetheless plainly records an objection, the recording is
// deleted first: an objected-to recording is kept nowhere, not even in
// quarantine; the sidecar waits there for someone to record the objection.
func (w *Watcher) quarantineBad(g *group, r Reason, err error) error {
	why := err.Error()
	if len(g.audio) > 0 && objects(filepath.Join(w.proc, g.sidecars[0]), w.cfg.Mapping) {
		for _, n := range g.audio {
			if err := os.Remove(filepath.Join(w.proc, n)); err != nil {
				return fmt.Errorf("watch: delete objected-to recording %s: %w", n, err)
			}
		}
		why += "; the recording was deleted because the sidecar records an objection to recording"
		g = &group{key: g.key, sidecars: g.sidecars, other: g.other}
	}
	return w.quarantine(g, r, why)
}

// objection records a caller's objection as ingest does (queued without
// audio, so a worker records state "objected") and purges the group: the
// recording is never read, uploaded or kept.
func (w *Watcher) objection(ctx context.Context, g *group, meta call.Meta, began time.Time) error {
	res, err := w.pl.Ingest(ctx, meta, nil)
	if errors.Is(err, call.ErrInvalid) {
		return w.quarantine(g, ReasonMetadataInvalid, err.Error())
	}
	if err != nil {
		return fmt.Errorf("watch: %s: record objection: %w (left claimed; retried at the next scan)", g.key, err)
	}
	if err := w.purge(g); err != nil {
		return err
	}
	w.count(OutcomeObjection, ReasonNone)
	w.cfg.Log.Info().Str("call_id", meta.ID).Bool("duplicate", res.Duplicate).Bool("recording_purged", len(g.audio) > 0).
		Float64("took_ms", ms(time.Since(began))).Msg("watch: objection to recording recorded; recording deleted, never uploaded")
	return nil
}

// probe checks the recording's header before it is uploaded.
func (w *Watcher) probe(path string) (Reason, string) {
	d, err := w.cfg.Prober.Probe(path)
	switch {
	case errors.Is(err, ErrTooLong):
		return ReasonTooLong, err.Error()
	case err != nil:
		return ReasonAudioUnreadable, err.Error()
	case w.cfg.MaxDuration > 0 && d > w.cfg.MaxDuration:
		return ReasonTooLong, fmt.Sprintf("%s of audio, limit %s", d.Round(time.Second), w.cfg.MaxDuration)
	}
	return ReasonNone, ""
}

func (w *Watcher) ingestFile(ctx context.Context, meta call.Meta, path string) (pipeline.IngestResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return pipeline.IngestResult{}, fmt.Errorf("open recording: %w", err)
	}
	defer f.Close()
	return w.pl.Ingest(ctx, meta, f)
}

// permanent says whether an ingest error is the recording's fault (it will
// never succeed: quarantine it) rather than the pipeline's (retry).
func permanent(err error) (Reason, bool) {
	switch {
	case err == nil:
		return ReasonNone, false
	case errors.Is(err, call.ErrInvalid):
		return ReasonMetadataInvalid, true
	case errors.Is(err, pipeline.ErrEmptyRecording):
		return ReasonEmpty, true
	case errors.Is(err, pipeline.ErrRecordingTooLarge):
		return ReasonTooLarge, true
	}
	return ReasonNone, false
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
