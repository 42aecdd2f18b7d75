package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestWorkerPublishesResult(t *testing.T) {
	env := newEnv(t)
	meta := call("ok-1")
	ingest(t, env, meta)
	p := &fakeProcessor{}
	runWorker(t, env.worker("w1", p))

	st := waitState(t, env, meta.ID, pipeline.StateTranscribed)
	if st.Label != classify.Clinical || st.Attempts != 1 || st.Worker != "w1" {
		t.Errorf("state %+v", st)
	}
	ctx := bg(t)
	r, err := env.c.Result(ctx, meta.ID)
	if err != nil {
		t.Fatalf("Result: %v", err)
	}
	if r.Schema != pipeline.SchemaResult || r.WorkerID != "w1" || r.Attempt != 1 ||
		r.Decision.Label != classify.Clinical || r.Call.ID != meta.ID || r.Call.NHSNumber != meta.NHSNumber ||
		r.Transcript == nil || r.Transcript.Text() != secretText || r.ProcessedAt.IsZero() || r.Timings.QueueWait <= 0 {
		t.Errorf("result %+v", r)
	}
	if got := p.sawAudio(meta.ID); !bytes.Equal(got, audioFor(meta.ID)) {
		t.Errorf("processor got audio %q", got)
	}
	// The queue is empty (work queue: acked calls are removed) and the
	// audio is still there for records management to act on.
	s, err := env.c.JetStream().Stream(ctx, pipeline.StreamCalls)
	if err != nil {
		t.Fatal(err)
	}
	if si, err := s.Info(ctx); err != nil || si.State.Msgs != 0 {
		t.Errorf("CALLS after ack: %+v, %v", si.State, err)
	}
	rc, err := env.c.Recording(ctx, meta.ID)
	if err != nil {
		t.Fatalf("recording after transcription: %v", err)
	}
	readAll(t, rc)

	// Health data never reaches the logs, at any level.
	logs := env.logs.String()
	for _, secret := range []string{secretText, "sertraline", meta.CallerNumber, meta.NHSNumber, string(audioFor(meta.ID))} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
	if !strings.Contains(logs, `"call transcribed"`) || !strings.Contains(logs, `"call_id":"ok-1"`) {
		t.Errorf("no transcribed event with call ID in logs:\n%s", logs)
	}
}

func TestDuplicateIngestProcessedOnce(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	meta := call("dup-1")
	ingest(t, env, meta)
	if res := ingest(t, env, meta); !res.Duplicate {
		t.Fatalf("second ingest while queued: %+v", res)
	}
	p := &fakeProcessor{}
	runWorker(t, env.worker("w1", p))
	waitState(t, env, meta.ID, pipeline.StateTranscribed)

	res, err := env.c.Ingest(ctx, meta, strings.NewReader("resubmitted"))
	if err != nil || !res.Duplicate || res.State != pipeline.StateTranscribed {
		t.Fatalf("ingest after transcription: %+v, %v", res, err)
	}
	// A later call goes through the same FIFO consumer, so once it is done
	// any duplicate queued before it would have been processed too.
	ingest(t, env, call("sentinel"))
	waitState(t, env, "sentinel", pipeline.StateTranscribed)
	if n := p.count(meta.ID); n != 1 {
		t.Errorf("processed %d times, want 1", n)
	}
}

func TestPermanentErrorDeadLetters(t *testing.T) {
	env := newEnv(t)
	p := &fakeProcessor{fn: func(_ context.Context, meta pipeline.CallMeta, _ int) (*pipeline.Result, error) {
		if meta.ID == "corrupt-1" {
			return nil, pipeline.Permanent(errors.New("decode WAV: bad RIFF header"))
		}
		return cannedResult(), nil
	}}
	ingest(t, env, call("corrupt-1"))
	ingest(t, env, call("next-1"))
	runWorker(t, env.worker("w1", p))

	st := waitState(t, env, "corrupt-1", pipeline.StateFailed)
	if !strings.Contains(st.Reason, "bad RIFF header") {
		t.Errorf("state reason %q", st.Reason)
	}
	waitState(t, env, "next-1", pipeline.StateTranscribed) // the worker carried on

	ctx := bg(t)
	f, err := env.c.Failure(ctx, "corrupt-1")
	if err != nil {
		t.Fatalf("Failure: %v", err)
	}
	if f.Kind != pipeline.KindPermanent || f.Deliveries != 1 || f.Call == nil || f.Call.ID != "corrupt-1" ||
		!strings.Contains(f.Reason, "bad RIFF header") || f.WorkerID != "w1" || f.FailedAt.IsZero() {
		t.Errorf("dead letter %+v", f)
	}
	if n := p.count("corrupt-1"); n != 1 {
		t.Errorf("permanent failure attempted %d times, want 1", n)
	}
	rc, err := env.c.Recording(ctx, "corrupt-1")
	if err != nil {
		t.Fatalf("recording of dead-lettered call: %v", err)
	}
	if got := readAll(t, rc); !bytes.Equal(got, audioFor("corrupt-1")) {
		t.Errorf("recording changed: %q", got)
	}
}

func TestTransientErrorRetried(t *testing.T) {
	env := newEnv(t)
	p := &fakeProcessor{fn: func(_ context.Context, _ pipeline.CallMeta, n int) (*pipeline.Result, error) {
		if n < 3 {
			return nil, fmt.Errorf("whisper: out of memory (try %d)", n)
		}
		return cannedResult(), nil
	}}
	ingest(t, env, call("flaky-1"))
	runWorker(t, env.worker("w1", p))

	st := waitState(t, env, "flaky-1", pipeline.StateTranscribed)
	if st.Attempts != 3 {
		t.Errorf("state %+v, want 3 attempts", st)
	}
	ctx := bg(t)
	r, err := env.c.Result(ctx, "flaky-1")
	if err != nil || r.Attempt != 3 {
		t.Fatalf("result %+v, %v", r, err)
	}
	if _, err := env.c.Failure(ctx, "flaky-1"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("retried call dead-lettered: %v", err)
	}
	if n := p.count("flaky-1"); n != 3 {
		t.Errorf("processed %d times, want 3", n)
	}
}

func TestExhaustedAttemptsDeadLetter(t *testing.T) {
	env := newEnv(t)
	p := &fakeProcessor{fn: func(_ context.Context, _ pipeline.CallMeta, n int) (*pipeline.Result, error) {
		return nil, fmt.Errorf("model server unavailable (try %d)", n)
	}}
	ingest(t, env, call("doomed-1"))
	runWorker(t, env.worker("w1", p)) // MaxDeliver 3

	st := waitState(t, env, "doomed-1", pipeline.StateFailed)
	if st.Attempts != 3 {
		t.Errorf("state %+v", st)
	}
	f, err := env.c.Failure(bg(t), "doomed-1")
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != pipeline.KindExhausted || f.Deliveries != 3 || !strings.Contains(f.Reason, "attempt 3 of 3") ||
		!strings.Contains(f.Reason, "try 3") {
		t.Errorf("dead letter %+v", f)
	}
	if n := p.count("doomed-1"); n != 3 {
		t.Errorf("processed %d times, want 3", n)
	}
}

// A call whose attempts all ended without an answer (the worker died each
// time) is dead-lettered on its next delivery, not parked silently.
func TestCrashedAttemptsDeadLetter(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	ingest(t, env, call("crashy-1"))

	// Play a worker that takes the call and dies, twice, using the same
	// durable consumer the real workers use.
	cons, err := env.c.JetStream().CreateOrUpdateConsumer(ctx, pipeline.StreamCalls, jetstream.ConsumerConfig{
		Durable: pipeline.ConsumerTranscribers, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: time.Second, MaxDeliver: -1, FilterSubject: "calls.recorded.*",
	})
	if err != nil {
		t.Fatal(err)
	}
	for want := uint64(1); want <= 2; want++ {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := false
		for m := range batch.Messages() {
			md, _ := m.Metadata()
			if md.NumDelivered != want {
				t.Fatalf("delivery %d, want %d", md.NumDelivered, want)
			}
			got = true // and never acknowledged: the "worker" crashed
		}
		if !got {
			t.Fatalf("delivery %d did not arrive", want)
		}
	}

	p := &fakeProcessor{}
	w := env.worker("w1", p)
	w.MaxDeliver = 2
	runWorker(t, w)
	waitState(t, env, "crashy-1", pipeline.StateFailed)
	f, err := env.c.Failure(ctx, "crashy-1")
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != pipeline.KindExhausted || f.Deliveries != 3 || !strings.Contains(f.Reason, "did not finish") {
		t.Errorf("dead letter %+v", f)
	}
	if n := p.count("crashy-1"); n != 0 {
		t.Errorf("processed %d times after exhausting attempts", n)
	}
}

func TestPanicRecovered(t *testing.T) {
	env := newEnv(t)
	p := &fakeProcessor{fn: func(_ context.Context, meta pipeline.CallMeta, _ int) (*pipeline.Result, error) {
		if meta.ID == "boom-1" {
			var segs []int
			_ = segs[3] // index out of range, as a buggy processor might
		}
		return cannedResult(), nil
	}}
	ingest(t, env, call("boom-1"))
	ingest(t, env, call("after-boom"))
	stop := runWorker(t, env.worker("w1", p))

	waitState(t, env, "boom-1", pipeline.StateFailed)
	waitState(t, env, "after-boom", pipeline.StateTranscribed)
	f, err := env.c.Failure(bg(t), "boom-1")
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != pipeline.KindPanic || !strings.Contains(f.Reason, "index out of range") {
		t.Errorf("dead letter %+v", f)
	}
	if n := p.count("boom-1"); n != 1 {
		t.Errorf("panicking call run %d times, want 1", n)
	}
	if err := stop(); err != nil {
		t.Errorf("Run after a panic: %v", err)
	}
}

func TestObjectedRecordingPurgedNotProcessed(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)

	// Objected at ingest: audio never stored.
	objected := call("objected-1")
	objected.RecordingConsent = false
	if _, err := env.c.Ingest(ctx, objected, unreadable{t}); err != nil {
		t.Fatal(err)
	}
	// Objected, but a copy of the audio exists (put there by another route):
	// the worker must purge it.
	copied := call("objected-2")
	copied.RecordingConsent = false
	obs, err := env.c.JetStream().ObjectStore(ctx, pipeline.BucketRecordings)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obs.PutBytes(ctx, copied.ID, audioFor(copied.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := env.c.Ingest(ctx, copied, unreadable{t}); err != nil {
		t.Fatal(err)
	}

	p := &fakeProcessor{}
	runWorker(t, env.worker("w1", p))
	for _, id := range []string{objected.ID, copied.ID} {
		st := waitState(t, env, id, pipeline.StateObjected)
		if st.Label != "" {
			t.Errorf("%s labelled %q without transcription", id, st.Label)
		}
		if _, err := env.c.Recording(ctx, id); !errors.Is(err, pipeline.ErrNotFound) {
			t.Errorf("%s: recording still there: %v", id, err)
		}
		if _, err := env.c.Result(ctx, id); !errors.Is(err, pipeline.ErrNotFound) {
			t.Errorf("%s: result published: %v", id, err)
		}
		if n := p.count(id); n != 0 {
			t.Errorf("%s processed %d times", id, n)
		}
	}
	// Re-submitting an objected call does not bring the audio back.
	res, err := env.c.Ingest(ctx, call(copied.ID), bytes.NewReader(audioFor(copied.ID)))
	if err != nil || !res.Duplicate || res.State != pipeline.StateObjected || res.RecordingStored {
		t.Errorf("re-submission after objection: %+v, %v", res, err)
	}
}

func TestBadMessagesDeadLettered(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	js := env.c.JetStream()
	garbage := []byte("this is not JSON")
	if _, err := js.Publish(ctx, pipeline.SubjectRecorded("garbled-1"), garbage); err != nil {
		t.Fatal(err)
	}
	// Valid metadata, but nobody stored the audio.
	noAudio, _ := jsonMeta(call("noaudio-1"))
	if _, err := js.Publish(ctx, pipeline.SubjectRecorded("noaudio-1"), noAudio); err != nil {
		t.Fatal(err)
	}
	// Metadata for one call on another call's subject.
	other, _ := jsonMeta(call("someone-else"))
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: pipeline.SubjectRecorded("mismatch-1"), Data: other}); err != nil {
		t.Fatal(err)
	}
	ingest(t, env, call("good-1"))

	p := &fakeProcessor{}
	runWorker(t, env.worker("w1", p))
	waitState(t, env, "good-1", pipeline.StateTranscribed)

	for id, want := range map[string]string{"garbled-1": "decode JSON", "noaudio-1": "recording not found", "mismatch-1": "does not match"} {
		st := waitState(t, env, id, pipeline.StateFailed)
		f, err := env.c.Failure(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if f.Kind != pipeline.KindInvalid || !strings.Contains(f.Reason, want) || !strings.Contains(st.Reason, want) {
			t.Errorf("%s: dead letter %+v", id, f)
		}
		if id == "garbled-1" && (!bytes.Equal(f.Raw, garbage) || f.Call != nil) {
			t.Errorf("garbled message not preserved: raw %q call %+v", f.Raw, f.Call)
		}
	}
	if len(p.seen()) != 1 {
		t.Errorf("processor saw %v, want only good-1", p.seen())
	}
}

func TestShutdownHandsBackCallInHand(t *testing.T) {
	env := newEnv(t)
	started := make(chan struct{})
	var once sync.Once
	blocking := &fakeProcessor{fn: func(ctx context.Context, _ pipeline.CallMeta, _ int) (*pipeline.Result, error) {
		once.Do(func() { close(started) })
		<-ctx.Done() // a long transcription, cut short by shutdown
		return nil, ctx.Err()
	}}
	ingest(t, env, call("long-1"))
	w1 := env.worker("w1", blocking)
	w1.ShutdownGrace = 100 * time.Millisecond
	stop := runWorker(t, w1)
	select {
	case <-started:
	case <-time.After(liveness):
		t.Fatal("processing did not start")
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	st, err := env.c.State(bg(t), "long-1")
	if err != nil || st.State != pipeline.StateReceived || !strings.Contains(st.Reason, "handed back") {
		t.Fatalf("state after shutdown %+v, %v", st, err)
	}

	// w2 sets the consumer's AckWait far beyond the test's patience, so the
	// call can only reach w2 in time if w1 really handed it back (NAK)
	// rather than leaving it to time out.
	p2 := &fakeProcessor{}
	w2 := env.worker("w2", p2)
	w2.AckWait, w2.Heartbeat = 10*liveness, 0
	runWorker(t, w2)
	waitState(t, env, "long-1", pipeline.StateTranscribed)
	r, err := env.c.Result(bg(t), "long-1")
	if err != nil || r.WorkerID != "w2" {
		t.Fatalf("result %+v, %v", r, err)
	}
	if _, err := env.c.Failure(bg(t), "long-1"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("handed-back call dead-lettered: %v", err)
	}
}

func TestShutdownFinishesCallWithinGrace(t *testing.T) {
	env := newEnv(t)
	started, release := make(chan struct{}), make(chan struct{})
	p := &fakeProcessor{fn: func(ctx context.Context, _ pipeline.CallMeta, _ int) (*pipeline.Result, error) {
		close(started)
		select {
		case <-release:
			return cannedResult(), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	ingest(t, env, call("nearly-1"))
	w := env.worker("w1", p)
	w.ShutdownGrace = liveness
	stop := runWorker(t, w)
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	close(release) // the call finishes during the grace period
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	st, err := env.c.State(bg(t), "nearly-1")
	if err != nil || st.State != pipeline.StateTranscribed || st.Worker != "w1" {
		t.Errorf("state %+v, %v", st, err)
	}
}

// Heartbeats keep a call that runs past AckWait with its worker: a second
// free slot would pick up any redelivery, and none happens.
func TestHeartbeatPreventsRedelivery(t *testing.T) {
	env := newEnv(t)
	p := &fakeProcessor{fn: func(ctx context.Context, _ pipeline.CallMeta, _ int) (*pipeline.Result, error) {
		select {
		case <-time.After(3 * time.Second): // three times AckWait
			return cannedResult(), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	ingest(t, env, call("slow-1"))
	w := env.worker("w1", p)
	w.Concurrency = 2
	runWorker(t, w)
	st := waitState(t, env, "slow-1", pipeline.StateTranscribed)
	if n := p.count("slow-1"); n != 1 || st.Attempts != 1 {
		t.Errorf("processed %d times, state %+v; want once, attempt 1", n, st)
	}
}

// Two workers on the shared durable consumer split the calls between them,
// and no call is processed twice.
func TestTwoWorkersShareCalls(t *testing.T) {
	env := newEnv(t)
	callIDs := ids("shared", 6)
	for _, id := range callIDs {
		ingest(t, env, call(id))
	}
	// Each worker holds its first call until the other worker also holds
	// one. With Concurrency 1, that can only happen if the server gives the
	// second call to the second worker.
	var mu sync.Mutex
	holding := 0
	both := make(chan struct{})
	first := func() func(context.Context) error {
		var once sync.Once
		return func(ctx context.Context) error {
			var err error
			once.Do(func() {
				mu.Lock()
				holding++
				if holding == 2 {
					close(both)
				}
				mu.Unlock()
				select {
				case <-both:
				case <-ctx.Done():
					err = ctx.Err()
				}
			})
			return err
		}
	}
	mk := func() *fakeProcessor {
		wait := first()
		return &fakeProcessor{fn: func(ctx context.Context, _ pipeline.CallMeta, _ int) (*pipeline.Result, error) {
			if err := wait(ctx); err != nil {
				return nil, err
			}
			return cannedResult(), nil
		}}
	}
	pa, pb := mk(), mk()
	runWorker(t, env.worker("wa", pa))
	runWorker(t, env.worker("wb", pb))
	for _, id := range callIDs {
		waitState(t, env, id, pipeline.StateTranscribed)
	}
	a, b := pa.seen(), pb.seen()
	if len(a) == 0 || len(b) == 0 {
		t.Errorf("work not shared: wa %v, wb %v", a, b)
	}
	count := map[string]int{}
	for _, id := range append(a, b...) {
		count[id]++
	}
	for _, id := range callIDs {
		if count[id] != 1 {
			t.Errorf("%s processed %d times", id, count[id])
		}
	}
}

func TestWorkerRejectsBadSettings(t *testing.T) {
	env := newEnv(t)
	for name, w := range map[string]*pipeline.Worker{
		"no processor":       {Client: env.c},
		"heartbeat too slow": {Client: env.c, Processor: &fakeProcessor{}, AckWait: time.Second, Heartbeat: 2 * time.Second},
		"ack wait too short": {Client: env.c, Processor: &fakeProcessor{}, AckWait: time.Millisecond},
	} {
		if err := w.Run(bg(t)); err == nil {
			t.Errorf("%s: Run accepted it", name)
		}
	}
}

func jsonMeta(m pipeline.CallMeta) ([]byte, error) { return json.Marshal(m) }
