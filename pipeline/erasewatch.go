package pipeline

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// subjectErased carries no payload: it tells workers that a call was erased
// (see Client.Erase) so one still transcribing it stops and publishes
// nothing. It is a core NATS subject, not a stream: a worker that misses the
// notice still finds the tombstone before publishing.
const subjectErased = "calls.erased."

// SubjectErased is where Erase announces an erased call.
func SubjectErased(id string) string { return subjectErased + id }

// announceErased tells every worker that id was erased.
func (c *Client) announceErased(id string) error {
	if err := c.nc.Publish(SubjectErased(id), nil); err != nil {
		return fmt.Errorf("announce erase of %s: %w", id, err)
	}
	return nil
}

// watchErase returns a context cancelled with cause ErrErased when the call
// in d is erased while this worker holds it, and a func that stops watching.
func (w *worker) watchErase(ctx context.Context, d *delivery) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	sub, err := w.c.nc.Subscribe(SubjectErased(d.id), func(*nats.Msg) { cancel(ErrErased) })
	if err != nil {
		// The tombstone check before publishing still catches the erase;
		// only the early stop is lost.
		d.log.Warn().Err(err).Msg("cannot watch for objections during transcription")
		return ctx, func() { cancel(nil) }
	}
	return ctx, func() {
		_ = sub.Unsubscribe()
		cancel(nil)
	}
}

// discard settles a call that was erased while this worker held it. Its
// audio and any result already published are removed again (an ingest or a
// publish may have raced the erase) and the message is acknowledged, so
// nothing the caller said outlives the objection.
func (w *worker) discard(ctx context.Context, d *delivery, why string) {
	op, cancel := w.opCtx(ctx)
	defer cancel()
	purged, err := w.c.purgeRecording(op, d.id)
	if err == nil {
		var n uint64
		n, err = w.c.EraseSubject(op, StreamResults, SubjectTranscribed(d.id), 0)
		purged = purged || n > 0
	}
	if err != nil {
		// Leave it queued: the next delivery tries again.
		w.nak(d, w.backOff(d.attempt))
		d.log.Error().Err(err).Msg("erased call: could not remove its content; handed back to try again")
		return
	}
	w.ack(ctx, d)
	w.objected.Add(1)
	d.log.Info().Str("why", why).Bool("content_removed", purged).Msg("erased call discarded")
}
