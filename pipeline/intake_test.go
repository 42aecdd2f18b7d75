package pipeline_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/callscribe/callscribe/pipeline"
)

// A recording replaced after it was submitted (what a stolen recorder key
// could do: the object store lets its writer overwrite a name) is not
// transcribed: its digest no longer matches the call's write-once intake,
// so the call is dead-lettered with that reason and the replacement is not
// played. Positive control: an untouched call beside it is transcribed and
// its recording plays.
func TestReplacedRecordingIsNotTranscribed(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	for _, id := range []string{"kept-1", "swapped-1"} {
		ingest(t, env, call(id))
	}
	obs, err := env.c.JetStream().ObjectStore(ctx, pipeline.BucketRecordings)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obs.Put(ctx, jetstream.ObjectMeta{Name: "swapped-1"}, bytes.NewReader([]byte("RIFF-the-attacker's-audio"))); err != nil {
		t.Fatal(err)
	}
	p := &fakeProcessor{}
	stop := runWorker(t, env.worker("w1", p))
	defer func() { _ = stop() }()
	if st := waitState(t, env, "kept-1", pipeline.StateTranscribed); st.ReceivedAt.IsZero() {
		t.Error("the worker's state lost the intake's received time")
	}
	st := waitState(t, env, "swapped-1", pipeline.StateFailed)
	if !strings.Contains(st.Reason, "replaced after it was submitted") {
		t.Errorf("swapped-1 failed with %q, want the replacement named", st.Reason)
	}
	if slices.Contains(p.seen(), "swapped-1") {
		t.Error("the replaced recording was handed to the processor")
	}
	if _, err := env.c.RecordingInfo(ctx, "swapped-1"); err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("RecordingInfo of the replaced recording: %v, want refused", err)
	}
	if _, err := env.c.RecordingInfo(ctx, "kept-1"); err != nil {
		t.Errorf("RecordingInfo of the untouched recording: %v", err)
	}
}

// The intake is write-once on the server itself: a second write to a
// call's key is refused whoever sends it, and the first stands.
func TestIntakeIsWriteOnce(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	ingest(t, env, call("once-1"))
	before, err := env.c.Intake(ctx, "once-1")
	if err != nil || before.RecordingDigest == "" {
		t.Fatalf("intake after ingest: %+v, %v", before, err)
	}
	if _, err := env.c.JetStream().Publish(ctx, "$KV.INTAKE.once-1", []byte(`{"recording_digest":"SHA-256=forged"}`)); err == nil {
		t.Error("a second write to the intake was accepted")
	}
	rollup := &nats.Msg{Subject: "$KV.INTAKE.once-1", Data: []byte(`{"recording_digest":"SHA-256=forged"}`), Header: nats.Header{"Nats-Rollup": []string{"sub"}}}
	if _, err := env.c.JetStream().PublishMsg(ctx, rollup); err == nil {
		t.Error("a rollup replaced the intake")
	}
	after, err := env.c.Intake(ctx, "once-1")
	if err != nil || after.RecordingDigest != before.RecordingDigest {
		t.Errorf("intake after the attempt: %+v, %v; want %+v", after, err, before)
	}
	if st, err := env.c.State(ctx, "once-1"); err != nil || st.State != pipeline.StateReceived {
		t.Errorf("state of a call no worker took: %+v, %v; want received (from its intake)", st, err)
	}
}
