package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

// assertErased checks that nothing of call id remains on the server except
// its tombstone, which must be in state want and hold no label.
func assertErased(t *testing.T, env *testEnv, id string, want pipeline.State) pipeline.CallState {
	t.Helper()
	ctx := bg(t)
	if _, err := env.c.Recording(ctx, id); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("%s: recording still held: %v", id, err)
	}
	if _, err := env.c.Result(ctx, id); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("%s: result still held: %v", id, err)
	}
	if _, err := env.c.Failure(ctx, id); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("%s: dead letter still held: %v", id, err)
	}
	kv, err := env.c.JetStream().KeyValue(ctx, pipeline.BucketState)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := kv.History(ctx, id)
	if err != nil {
		t.Fatalf("%s: state history: %v", id, err)
	}
	if len(hist) != 1 {
		t.Errorf("%s: %d state revisions left, want only the tombstone", id, len(hist))
	}
	st, err := env.c.State(ctx, id)
	if err != nil {
		t.Fatalf("%s: state: %v", id, err)
	}
	if st.State != want || st.Label != "" {
		t.Errorf("%s: tombstone %+v, want state %s without label", id, st, want)
	}
	calls, err := env.c.JetStream().Stream(ctx, pipeline.StreamCalls)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := calls.GetLastMsgForSubject(ctx, pipeline.SubjectRecorded(id)); err == nil {
		t.Errorf("%s: still queued on %s", id, pipeline.StreamCalls)
	}
	return st
}

func TestEraseRemovesEverythingAndRefusesResubmission(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	p := &fakeProcessor{}
	stop := runWorker(t, env.worker("w1", p))
	meta := call("erase-1")
	ingest(t, env, meta)
	waitState(t, env, meta.ID, pipeline.StateTranscribed)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	e, err := env.c.Erase(ctx, meta.ID, pipeline.CallState{State: pipeline.StateDeleted, Reason: "retention test"})
	if err != nil {
		t.Fatalf("Erase: %v", err)
	}
	if !e.Recording || e.Results != 1 || e.StateRevisions < 2 {
		t.Errorf("Erase reported %+v, want the recording, 1 result and the state history", e)
	}
	assertErased(t, env, meta.ID, pipeline.StateDeleted)

	again, err := env.c.Erase(ctx, meta.ID, pipeline.CallState{State: pipeline.StateDeleted})
	if err != nil || again.Recording || again.Results != 0 {
		t.Errorf("second Erase: %+v, %v; want nothing left to remove", again, err)
	}
	res, err := env.c.Ingest(ctx, meta, bytes.NewReader(audioFor(meta.ID)))
	if err != nil || !res.Duplicate || res.RecordingStored || res.State != pipeline.StateDeleted {
		t.Errorf("re-submission after erase: %+v, %v; want refused as %s", res, err, pipeline.StateDeleted)
	}
	if _, err := env.c.Erase(ctx, meta.ID, pipeline.CallState{State: pipeline.StateTranscribed}); err == nil {
		t.Error("Erase accepted a tombstone that is not objected or deleted")
	}
}

func TestObjectionDuringTranscriptionDiscardsResult(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	started := make(chan struct{})
	stopped := make(chan error, 1)
	p := &fakeProcessor{fn: func(ctx context.Context, meta pipeline.CallMeta, n int) (*pipeline.Result, error) {
		close(started)
		select { // a long transcription, stopped by the objection
		case <-ctx.Done():
			stopped <- ctx.Err()
			return nil, ctx.Err()
		case <-time.After(liveness):
			stopped <- nil
			return cannedResult(), nil
		}
	}}
	runWorker(t, env.worker("w1", p))
	meta := call("object-mid")
	ingest(t, env, meta)
	<-started

	// The recording may be removed by Erase or by the worker it stopped,
	// whichever comes first; assertErased checks that it is gone.
	if _, err := env.c.Object(ctx, pipeline.Objection{CallID: meta.ID, By: "h-042", Reason: "caller asked on the call back"}); err != nil {
		t.Fatalf("Object: %v", err)
	}
	select {
	case err := <-stopped:
		if err == nil {
			t.Fatal("transcription was not stopped by the objection")
		}
	case <-time.After(liveness):
		t.Fatal("processor still running")
	}
	// Give the worker time to (wrongly) publish, then check nothing is there.
	waitFor(t, func() bool { return p.count(meta.ID) == 1 })
	time.Sleep(300 * time.Millisecond)
	st := assertErased(t, env, meta.ID, pipeline.StateObjected)
	if st.By != "h-042" || st.Reason == "" {
		t.Errorf("tombstone %+v does not keep who objected and why", st)
	}
	if n := p.count(meta.ID); n != 1 {
		t.Errorf("processed %d times after the objection, want 1", n)
	}
}

// A processor that ignores cancellation and returns a result after the
// objection: the worker must still publish nothing.
func TestObjectionRacingThePublishLeavesNothing(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	meta := call("object-race")
	p := &fakeProcessor{fn: func(_ context.Context, m pipeline.CallMeta, n int) (*pipeline.Result, error) {
		if _, err := env.c.Object(ctx, pipeline.Objection{CallID: m.ID, By: "h-007"}); err != nil {
			t.Errorf("Object: %v", err)
		}
		return cannedResult(), nil // as if whisper had finished anyway
	}}
	runWorker(t, env.worker("w1", p))
	ingest(t, env, meta)
	waitFor(t, func() bool { return p.count(meta.ID) == 1 })
	time.Sleep(500 * time.Millisecond)
	assertErased(t, env, meta.ID, pipeline.StateObjected)
}

func TestObjectionOverNATSBeforeTheCallArrives(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	handled := make(chan pipeline.Objection, 4)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go pipeline.ServeObjections(sctx, env.c, env.c.Object, func(o pipeline.Objection, _ pipeline.Erased, err error) {
		if err == nil {
			handled <- o
		}
	})
	waitFor(t, func() bool { // the subscription is asynchronous
		_, err := env.c.SendObjection(ctx, pipeline.Objection{CallID: "warm-up", By: "test"})
		return err == nil
	})
	<-handled

	if _, err := env.c.SendObjection(ctx, pipeline.Objection{CallID: "early-1", By: ""}); err == nil {
		t.Error("objection without 'by' accepted")
	}
	e, err := env.c.SendObjection(ctx, pipeline.Objection{CallID: "early-1", By: "telephony", Reason: "IVR opt-out"})
	if err != nil {
		t.Fatalf("SendObjection: %v", err)
	}
	if e.Recording || e.Results != 0 {
		t.Errorf("erased %+v for a call that had not arrived", e)
	}
	if o := <-handled; o.CallID != "early-1" || o.By != "telephony" {
		t.Errorf("handled %+v", o)
	}
	// The recorder delivers the call afterwards: it is refused, audio unread.
	res, err := env.c.Ingest(ctx, call("early-1"), unreadable{t})
	if err != nil || !res.Duplicate || res.State != pipeline.StateObjected || res.RecordingStored {
		t.Errorf("late submission: %+v, %v; want refused as objected", res, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(liveness)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
