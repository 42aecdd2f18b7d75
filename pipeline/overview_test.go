package pipeline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

// With one call failed, one being transcribed and two waiting behind it,
// the overview (CALL_STATE), the backlog (the queue's counters) and the
// queue positions all say so; once the work is done, they are empty.
func TestOverviewBacklogAndQueuePosition(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	before := time.Now().UTC()
	at, release := make(chan string, 3), make(chan struct{}) // room for every call that reaches transcribing
	staged := stagedProcessor(at, release)
	p := &fakeProcessor{fn: func(ctx context.Context, meta pipeline.CallMeta, n int) (*pipeline.Result, error) {
		if meta.ID == "bad-1" {
			return nil, pipeline.Permanent(errors.New("not a WAV file"))
		}
		return staged.fn(ctx, meta, n)
	}}
	for _, id := range []string{"bad-1", "busy-1", "wait-1", "wait-2"} {
		ingest(t, env, call(id))
	}
	if b, err := env.c.Backlog(ctx); err != nil || b.Waiting != 4 || b.Oldest.Before(before) {
		t.Errorf("backlog before any worker: %+v, %v", b, err)
	}
	runWorker(t, env.worker("w1", p))
	waitState(t, env, "bad-1", pipeline.StateFailed)
	<-at
	waitStage(t, env, "busy-1", pipeline.StageTranscribing)

	ov, err := env.c.Overview(ctx, before)
	if err != nil {
		t.Fatalf("Overview: %v", err)
	}
	if len(ov.InFlight) != 1 || ov.InFlight[0].ID != "busy-1" || ov.InFlight[0].Stage != pipeline.StageTranscribing ||
		ov.InFlight[0].Attempts != 1 || ov.InFlight[0].Worker != "w1" || ov.InFlight[0].Since.Before(before) {
		t.Errorf("in flight: %+v", ov.InFlight)
	}
	if ov.Queued != 2 || ov.Retrying != 0 || ov.OldestQueuedID != "wait-1" || ov.OldestQueued.Before(before) ||
		ov.Failed != 1 || ov.Calls != 4 {
		t.Errorf("overview: %+v", ov)
	}
	if later, err := env.c.Overview(ctx, time.Now().Add(time.Hour)); err != nil || later.Failed != 0 {
		t.Errorf("failures since an hour from now: %+v, %v", later, err)
	}
	if b, err := env.c.Backlog(ctx); err != nil || b.Waiting != 2 || b.InFlight != 1 || b.Oldest.Before(before) {
		t.Errorf("backlog: %+v, %v", b, err)
	}
	checkPosition(t, env, "wait-1", 0, true)
	checkPosition(t, env, "wait-2", 1, true)
	checkPosition(t, env, "busy-1", 0, false)

	close(release)
	waitState(t, env, "wait-2", pipeline.StateTranscribed)
	// The state is written before the call is acknowledged and its slot
	// freed: wait for the worker to let go of it before looking.
	waitFor(t, func() bool { return env.c.WorkerLoad().Busy == 0 })
	waitFor(t, func() bool { b, err := env.c.Backlog(ctx); return err == nil && b.InFlight == 0 })
	ov, err = env.c.Overview(ctx, before)
	if err != nil || len(ov.InFlight) != 0 || ov.Queued != 0 || !ov.OldestQueued.IsZero() || ov.Failed != 1 {
		t.Errorf("overview when done: %+v, %v", ov, err)
	}
	if b, err := env.c.Backlog(ctx); err != nil || b.Waiting != 0 || b.InFlight != 0 || !b.Oldest.IsZero() {
		t.Errorf("backlog when done: %+v, %v", b, err)
	}
	if load := env.c.WorkerLoad(); load.Busy != 0 || load.Slots != 1 {
		t.Errorf("worker load when done: %+v", load)
	}
}

func checkPosition(t *testing.T, env *testEnv, id string, wantAhead int, wantWaiting bool) {
	t.Helper()
	ahead, waiting, err := env.c.QueuePosition(bg(t), id)
	if err != nil || ahead != wantAhead || waiting != wantWaiting {
		t.Errorf("QueuePosition(%s) = %d, %v, %v; want %d, %v", id, ahead, waiting, err, wantAhead, wantWaiting)
	}
}

// An empty bucket gives an empty overview rather than waiting for entries.
func TestOverviewOfNothing(t *testing.T) {
	env := newEnv(t)
	ov, err := env.c.Overview(bg(t), time.Now())
	if err != nil || ov.Calls != 0 || len(ov.InFlight) != 0 || ov.Queued != 0 {
		t.Errorf("empty overview: %+v, %v", ov, err)
	}
}
