package pipeline

import (
	"context"
	"errors"
	"fmt"
	"github.com/callscribe/callscribe/classify"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// delivery is one message being worked on: the message, its metadata, and
// the heartbeat that keeps it ours until it is settled.
type delivery struct {
	msg     jetstream.Msg
	id      string // call ID from the subject
	seq     uint64 // stream sequence on CALLS
	attempt int    // 1 for the first delivery
	queued  time.Time
	log     zerolog.Logger

	stopOnce sync.Once
	stopHB   chan struct{}
	hbDone   chan struct{}
}

// startHeartbeat sends InProgress every interval until the delivery is
// settled, so a call that takes longer than AckWait is not given to a second
// worker while the first is still on it.
func (d *delivery) startHeartbeat(every time.Duration) {
	d.stopHB, d.hbDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(d.hbDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if err := d.msg.InProgress(); err != nil {
					// Not fatal: the next beat may get through. If none
					// does, the call is redelivered and results are
					// deduplicated, so nothing is lost or doubled.
					d.log.Warn().Err(err).Msg("heartbeat failed")
				}
			case <-d.stopHB:
				return
			}
		}
	}()
}

// stopHeartbeat must run before the message is settled: a beat after an ack
// is an error, and one after a NAK would delay the redelivery.
func (d *delivery) stopHeartbeat() {
	d.stopOnce.Do(func() {
		if d.stopHB != nil {
			close(d.stopHB)
			<-d.hbDone
		}
	})
}

// handle takes one call from delivery to a settled message: acknowledged
// (result, objection, dead letter) or given back to the queue (retry, shutdown).
func (w *worker) handle(runCtx, procCtx context.Context, msg jetstream.Msg) {
	began := time.Now()
	d := &delivery{msg: msg, id: strings.TrimPrefix(msg.Subject(), subjectRecorded)}
	md, err := msg.Metadata()
	if err != nil {
		// Only a message not from JetStream lacks metadata; without its
		// delivery count it cannot be handled safely, so hand it back.
		w.log.Error().Err(err).Str("subject", msg.Subject()).Msg("message without JetStream metadata; handed back")
		_ = msg.NakWithDelay(w.backOff(1))
		return
	}
	d.seq, d.attempt, d.queued = md.Sequence.Stream, int(md.NumDelivered), md.Timestamp
	d.log = w.log.With().Str("call_id", d.id).Int("attempt", d.attempt).Uint64("queue_seq", d.seq).Logger()
	d.startHeartbeat(w.Heartbeat)
	defer d.stopHeartbeat()

	meta, err := decodeCallMeta(msg.Data())
	if err == nil && meta.ID != d.id {
		err = fmt.Errorf("%w: metadata id %q does not match subject %s", ErrInvalidCall, truncate(meta.ID, 40), msg.Subject())
	}
	if err != nil {
		w.deadLetter(runCtx, d, nil, msg.Data(), KindInvalid, err.Error())
		return
	}

	// A call already settled is a redelivery whose acknowledgement was lost
	// (or a stale duplicate): acknowledge it without doing the work again.
	prev, done, err := w.settledAlready(runCtx, d)
	if err != nil {
		w.retry(runCtx, d, fmt.Errorf("check state: %w", err))
		return
	}
	if done && prev.State.Erased() {
		// An ingest that raced the objection may have stored audio after
		// the erase: remove it again.
		w.discard(runCtx, d, "call was erased before it was transcribed")
		return
	}
	if done {
		w.ack(runCtx, d)
		d.log.Info().Str("state", string(prev.State)).Msg("call already settled; acknowledged without processing")
		return
	}

	if d.attempt > w.MaxDeliver {
		reason := fmt.Sprintf("gave up after %d attempts", w.MaxDeliver)
		if prev.Reason != "" {
			reason += "; last: " + prev.Reason
		} else {
			reason += "; the last attempt did not finish (worker stopped, crashed or lost its heartbeat)"
		}
		w.deadLetter(runCtx, d, &meta, nil, KindExhausted, reason)
		return
	}

	if !meta.RecordingConsent {
		w.object(runCtx, d)
		return
	}
	if runCtx.Err() != nil {
		w.handBack(runCtx, d, "worker shutting down before the call started")
		return
	}

	w.work(runCtx, procCtx, d, meta, began)
}

// settledAlready reports whether the call needs no more work, looking at
// CALL_STATE and, on redeliveries, RESULTS and FAILED too: a worker may have
// published and then died before recording the state.
func (w *worker) settledAlready(ctx context.Context, d *delivery) (CallState, bool, error) {
	op, cancel := w.opCtx(ctx)
	defer cancel()
	st, err := w.c.State(op, d.id)
	switch {
	case err == nil && st.State.Settled():
		return st, true, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return st, false, err
	}
	if d.attempt == 1 {
		return st, false, nil
	}
	if r, seq, err := w.c.result(op, d.id); err == nil {
		if err := w.c.putState(op, d.id, CallState{State: StateTranscribed, Label: r.Decision.Label, Attempts: r.Attempt, Worker: r.WorkerID, ResultSeq: seq}); err != nil {
			return st, false, err
		}
		return CallState{State: StateTranscribed}, true, nil
	} else if !errors.Is(err, ErrNotFound) {
		return st, false, err
	}
	if f, err := w.c.Failure(op, d.id); err == nil {
		if err := w.c.putState(op, d.id, CallState{State: StateFailed, Reason: f.Reason, Attempts: f.Deliveries, Worker: f.WorkerID}); err != nil {
			return st, false, err
		}
		return CallState{State: StateFailed}, true, nil
	} else if !errors.Is(err, ErrNotFound) {
		return st, false, err
	}
	return st, false, nil
}

// outcome is what came of running the Processor.
type outcome struct {
	res       *Result
	err       error
	panicked  bool
	stack     []byte
	handBack  bool // cancelled by shutdown: give the call back, it did not fail
	abandoned bool // the processor ignored cancellation and is still running
}

// process runs the Processor, turning a panic into an error so one bad call
// cannot take the worker (and every call in hand) down with it.
func (w *worker) process(ctx context.Context, meta CallMeta, audio io.Reader) outcome {
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{err: fmt.Errorf("processor panicked: %v", p), panicked: true, stack: debug.Stack()}
			}
		}()
		res, err := w.Processor.Process(ctx, meta, audio)
		done <- outcome{res: res, err: err}
	}()
	var out outcome
	select {
	case out = <-done:
	case <-ctx.Done():
		select {
		case out = <-done: // finished just in time: keep the result
		default:
			return outcome{handBack: true, abandoned: true}
		}
	}
	if ctx.Err() != nil && (out.err != nil || out.res == nil) && !out.panicked {
		// Failed because we cancelled it, not because of the call.
		return outcome{handBack: true}
	}
	return out
}

// finish publishes the result, records the state and acknowledges the call,
// in that order: if the worker dies in between, the redelivery finds the
// result (see settledAlready) and does not process the call again.
func (w *worker) finish(ctx context.Context, d *delivery, meta CallMeta, res *Result, attempt CallState, t callTiming) {
	published := time.Now()
	w.recordStage(ctx, d, attempt, StagePublishing)
	rm := &ResultMessage{
		Call:       meta,
		Transcript: res.Transcript,
		Decision:   res.Decision,
		WorkerID:   w.ID,
		Attempt:    d.attempt,
		Timings: ResultTimings{
			QueueWait:  t.began.Sub(d.queued),
			Processing: t.processing,
		},
		ProcessedAt: time.Now().UTC(),
	}
	op, cancel := w.opCtx(ctx)
	defer cancel()
	if st, err := w.c.State(op, d.id); err == nil && st.State.Erased() {
		w.discard(ctx, d, "call was erased during transcription; its result was discarded")
		return
	}
	var ttl time.Duration
	if w.AdministrativeTTL > 0 && res.Decision.Label == classify.Administrative {
		// Never under a second (the server's minimum), so a late call is
		// still published and then promptly expires.
		ttl = max(time.Until(meta.StartedAt.Add(w.AdministrativeTTL)), time.Second)
	}
	ack, err := w.c.publishResult(op, rm, ttl)
	if err != nil {
		if IsPermanent(err) {
			w.deadLetter(ctx, d, &meta, nil, KindPermanent, err.Error())
		} else {
			w.retry(ctx, d, err)
		}
		return
	}
	st := CallState{State: StateTranscribed, Label: res.Decision.Label, Attempts: d.attempt, Worker: w.ID, CallAt: meta.StartedAt, ResultSeq: ack.Sequence}
	if err := w.c.putState(op, d.id, st); errors.Is(err, ErrErased) {
		// Erased between the check above and the publish: take it back.
		w.discard(ctx, d, "call was erased while its result was published; the result was removed")
		return
	} else if err != nil {
		w.retry(ctx, d, err) // the result is published; the redelivery only fixes the state
		return
	}
	w.ack(ctx, d)
	w.transcribed.Add(1)
	t.stages = append(t.stages, stageTime{StagePublishing, time.Since(published)})
	w.c.activity.stagesDone(t.stages)
	t.fields(d.log.Info(), d.queued).
		Str("label", string(res.Decision.Label)).
		Float64("audio_s", res.Transcript.Duration.Seconds()).
		Uint64("result_seq", ack.Sequence).
		Bool("result_duplicate", ack.Duplicate).
		Bool("tokens_dropped", rm.TokensDropped).
		Msg("call transcribed")
}

// object honours a caller's objection: the audio is purged (if any copy was
// stored) and the call is settled as objected without being transcribed.
func (w *worker) object(ctx context.Context, d *delivery) {
	op, cancel := w.opCtx(ctx)
	defer cancel()
	existed, err := w.c.purgeRecording(op, d.id)
	if err != nil {
		w.retry(ctx, d, err)
		return
	}
	st := CallState{State: StateObjected, Attempts: d.attempt, Worker: w.ID,
		Reason: "caller objected to recording; recording purged, not transcribed"}
	if err := w.c.putState(op, d.id, st); err != nil {
		w.retry(ctx, d, err)
		return
	}
	w.ack(ctx, d)
	w.objected.Add(1)
	d.log.Info().Bool("recording_purged", existed).Msg("call objected to: not transcribed")
}

// deadLetter publishes the call to FAILED, marks it failed and terminates the
// message so it is not redelivered. The audio stays in RECORDINGS. If the
// dead letter cannot be written, the message goes back to the queue instead:
// it must never just disappear.
func (w *worker) deadLetter(ctx context.Context, d *delivery, meta *CallMeta, raw []byte, kind ErrorKind, reason string) {
	op, cancel := w.opCtx(ctx)
	defer cancel()
	f := &FailedMessage{
		CallID:     d.id,
		Call:       meta,
		Raw:        raw,
		Reason:     reason,
		Kind:       kind,
		Deliveries: d.attempt,
		WorkerID:   w.ID,
		QueueSeq:   d.seq,
		FailedAt:   time.Now().UTC(),
	}
	if err := w.c.publishFailed(op, f); err != nil {
		d.log.Error().Err(err).Str("kind", string(kind)).Msg("dead-lettering failed; call handed back to retry later")
		w.nak(d, w.backOff(d.attempt))
		return
	}
	if ValidID(d.id) {
		st := CallState{State: StateFailed, Attempts: d.attempt, Worker: w.ID, Reason: reason}
		if err := w.c.putState(op, d.id, st); err != nil {
			// The dead letter is written; the redelivery finds it and
			// sets the state (settledAlready).
			d.log.Error().Err(err).Msg("dead letter written but state not set; call handed back")
			w.nak(d, w.backOff(d.attempt))
			return
		}
	}
	if err := w.c.eraseQueued(op, d.seq); err != nil {
		d.log.Warn().Err(err).Msg("dead letter written but the queued copy not overwritten; handed back")
		w.nak(d, w.backOff(d.attempt))
		return
	}
	d.stopHeartbeat()
	if err := d.msg.TermWithReason(string(kind)); err != nil {
		d.log.Warn().Err(err).Msg("terminate after dead letter failed; a redelivery will find it settled")
	}
	w.failed.Add(1)
	if w.OnDeadLetter != nil {
		w.OnDeadLetter(kind)
	}
	d.log.Error().Str("kind", string(kind)).Str("reason", reason).Msg("call dead-lettered")
}

// retry gives the call back to be delivered again after the back-off for
// this attempt, recording why in its state.
func (w *worker) retry(ctx context.Context, d *delivery, cause error) {
	if errors.Is(cause, ErrErased) {
		w.discard(ctx, d, "call was erased")
		return
	}
	delay := w.backOff(d.attempt)
	reason := fmt.Sprintf("attempt %d failed: %v", d.attempt, cause)
	if ValidID(d.id) {
		op, cancel := w.opCtx(ctx)
		st := CallState{State: StateReceived, Attempts: d.attempt, Worker: w.ID, Reason: reason}
		if err := w.c.putState(op, d.id, st); err != nil {
			d.log.Warn().Err(err).Msg("could not record retry in state")
		}
		cancel()
	}
	w.nak(d, delay)
	w.retried.Add(1)
	d.log.Warn().Err(cause).Float64("retry_in_ms", msec(delay)).Msg("call failed; will retry")
}

// handBack returns an unfinished call to the queue for immediate delivery to
// another worker; it did not fail, the worker is leaving.
func (w *worker) handBack(ctx context.Context, d *delivery, why string) {
	op, cancel := w.opCtx(ctx)
	st := CallState{State: StateReceived, Attempts: d.attempt, Worker: w.ID, Reason: "handed back: " + why}
	if err := w.c.putState(op, d.id, st); err != nil {
		d.log.Warn().Err(err).Msg("could not record hand-back in state")
	}
	cancel()
	w.nak(d, 0)
	w.handedBack.Add(1)
	d.log.Info().Str("why", why).Msg("call handed back")
}

// handBackUnstarted returns a message that arrived after shutdown began.
func (w *worker) handBackUnstarted(msg jetstream.Msg) {
	if err := msg.Nak(); err != nil {
		w.log.Warn().Err(err).Str("subject", msg.Subject()).Msg("hand back failed; the server redelivers after ack wait")
		return
	}
	w.handedBack.Add(1)
	w.log.Info().Str("call_id", strings.TrimPrefix(msg.Subject(), subjectRecorded)).Msg("call handed back unstarted: worker shutting down")
}

func (w *worker) nak(d *delivery, delay time.Duration) {
	d.stopHeartbeat()
	var err error
	if delay > 0 {
		err = d.msg.NakWithDelay(delay)
	} else {
		err = d.msg.Nak()
	}
	if err != nil {
		d.log.Warn().Err(err).Msg("NAK failed; the server redelivers after ack wait")
	}
}

// ack overwrites the settled call's queued message (see eraseQueued), then
// acknowledges and waits for the server to confirm, so a logged
// "transcribed" really is off the queue. If the overwrite fails the call is
// handed back: its redelivery finds it settled and tries again.
func (w *worker) ack(ctx context.Context, d *delivery) {
	d.stopHeartbeat()
	op, cancel := w.opCtx(ctx)
	defer cancel()
	if err := w.c.eraseQueued(op, d.seq); err != nil {
		d.log.Warn().Err(err).Msg("settled, but the queued copy not overwritten; handed back to try again")
		w.nak(d, w.backOff(d.attempt))
		return
	}
	if err := d.msg.DoubleAck(op); err != nil {
		d.log.Warn().Err(err).Msg("ack not confirmed; a redelivery will find the call settled")
	}
}
