package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// callTiming is where one attempt's time went, for its log event and the
// metrics.
type callTiming struct {
	began      time.Time     // the delivery arrived
	processing time.Duration // the Processor's run
	stages     []stageTime   // each stage, in the order first entered
}

// fields adds the timings to a log event, each with its unit in its name.
func (t callTiming) fields(e *zerolog.Event, queued time.Time) *zerolog.Event {
	for _, s := range t.stages {
		e = e.Float64(s.stage.Field(), msec(s.d))
	}
	return e.Float64("queue_wait_ms", msec(t.began.Sub(queued))).
		Float64("processing_ms", msec(t.processing)).
		Float64("took_ms", msec(time.Since(t.began)))
}

// work runs a call this worker has taken: it records the attempt in
// CALL_STATE (and each stage as the processor reports it), runs the
// Processor on the recording, and settles the call by the outcome.
func (w *worker) work(runCtx, procCtx context.Context, d *delivery, meta CallMeta, began time.Time) {
	attempt := CallState{State: StateTranscribing, Stage: StageReading, Attempts: d.attempt, Worker: w.ID,
		CallAt: meta.StartedAt, StartedAt: time.Now().UTC()}
	op, cancel := w.opCtx(runCtx)
	err := w.c.putState(op, d.id, attempt)
	cancel()
	if err != nil {
		w.retry(runCtx, d, err)
		return
	}
	// An erase (objection) while the call is in hand cancels the work.
	procCtx, stopWatch := w.watchErase(procCtx, d)
	defer stopWatch()
	stages := startStages(StageReading, func(s Stage) { w.recordStage(runCtx, d, attempt, s) })
	defer stages.stop()

	audio, err := w.recording(procCtx, d.id)
	if errors.Is(err, ErrNotFound) {
		if in, ierr := w.c.Intake(procCtx, d.id); ierr == nil && in.RecordingDigest != "" && d.attempt < w.MaxDeliver {
			// The recorder stored it: on a cluster a replica that has not
			// caught up yet can answer the read (the attack suite saw 3 in
			// 20 runs on 3 nodes). Try again rather than dead-letter.
			w.retry(runCtx, d, fmt.Errorf("recording %s not visible yet: %w", d.id, err))
			return
		}
		w.deadLetter(runCtx, d, &meta, nil, KindInvalid, "recording not found in "+BucketRecordings+" (deleted, or never stored)")
		return
	}
	if err != nil {
		w.retry(runCtx, d, err)
		return
	}
	if err := w.c.checkRecording(procCtx, d.id); err != nil {
		_ = audio.Close()
		if errors.Is(err, ErrUntrusted) {
			w.deadLetter(runCtx, d, &meta, nil, KindPermanent, err.Error())
			return
		}
		w.retry(runCtx, d, err)
		return
	}
	ev := d.log.Info().Float64("queue_wait_ms", msec(began.Sub(d.queued)))
	if size, ok := recordingSize(audio); ok {
		ev = ev.Uint64("recording_bytes", size)
	}
	ev.Msg("call started")

	start := time.Now()
	out := w.process(context.WithValue(procCtx, stageKey{}, stages), meta, audio)
	t := callTiming{began: began, processing: time.Since(start)}
	_ = audio.Close() // read-only; nothing to flush
	t.stages = stages.stop()
	w.settle(runCtx, procCtx, d, meta, attempt, out, t)
}

// settle ends the call by the processor's outcome: result, retry, dead
// letter, hand-back or discard.
func (w *worker) settle(runCtx, procCtx context.Context, d *delivery, meta CallMeta, attempt CallState, out outcome, t callTiming) {
	switch {
	case errors.Is(context.Cause(procCtx), ErrErased):
		w.discard(runCtx, d, "call was erased during transcription; its result was discarded")
	case out.handBack:
		w.handBack(runCtx, d, "shutdown grace period ran out during processing")
		if out.abandoned {
			d.log.Warn().Msg("processor did not return after cancellation; left running")
		}
	case out.panicked:
		d.log.Error().Str("panic", out.err.Error()).Bytes("stack", out.stack).Msg("processor panicked")
		w.deadLetter(runCtx, d, &meta, nil, KindPanic, out.err.Error())
	case out.err != nil && IsPermanent(out.err):
		w.deadLetter(runCtx, d, &meta, nil, KindPermanent, out.err.Error())
	case out.err != nil && d.attempt >= w.MaxDeliver:
		w.deadLetter(runCtx, d, &meta, nil, KindExhausted,
			fmt.Sprintf("attempt %d of %d failed: %v", d.attempt, w.MaxDeliver, out.err))
	case out.err != nil:
		w.retry(runCtx, d, out.err)
	case out.res == nil || out.res.Transcript == nil:
		// A processor bug, and it will do the same next time.
		w.deadLetter(runCtx, d, &meta, nil, KindPermanent, "processor returned no transcript and no error")
	default:
		w.finish(runCtx, d, meta, out.res, attempt, t)
	}
}

// recordStage writes the call's new stage to CALL_STATE. A failure only
// leaves the stage shown out of date, so it is logged, not acted on; an
// erase is acted on by watchErase.
func (w *worker) recordStage(ctx context.Context, d *delivery, attempt CallState, s Stage) {
	op, cancel := w.opCtx(ctx)
	defer cancel()
	attempt.Stage = s
	if err := w.c.putState(op, d.id, attempt); err != nil && !errors.Is(err, ErrErased) {
		d.log.Warn().Err(err).Str("stage", string(s)).Msg("stage not recorded in state")
	}
}

// recordingSize is the stored size of a recording opened by Recording.
func recordingSize(r io.Reader) (uint64, bool) {
	or, ok := r.(jetstream.ObjectResult)
	if !ok {
		return 0, false
	}
	info, err := or.Info()
	if err != nil {
		return 0, false
	}
	return info.Size, true
}

// recording reads the call's audio. On a cluster a read can reach a
// replica that has not caught up with the recorder's write (milliseconds
// behind), and both the recording and its intake then look absent: the
// attack suite's 3-node run saw a valid call dead-lettered so. "Not found"
// is therefore asked again a few times, a quarter second apart, before it
// is believed; a recording that is really missing costs under a second.
func (w *worker) recording(ctx context.Context, id string) (io.ReadCloser, error) {
	audio, err := w.c.Recording(ctx, id)
	for i := 0; i < 3 && errors.Is(err, ErrNotFound); i++ {
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(250 * time.Millisecond):
		}
		audio, err = w.c.Recording(ctx, id)
	}
	return audio, err
}
