package pipeline_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

// stagedProcessor reports the stages a real processor goes through and
// waits at transcribing until released, so the test can look at the call
// while it is there.
func stagedProcessor(atTranscribing chan<- string, release <-chan struct{}) *fakeProcessor {
	return &fakeProcessor{fn: func(ctx context.Context, meta pipeline.CallMeta, _ int) (*pipeline.Result, error) {
		pipeline.ReportStage(ctx, pipeline.StageDecoding)
		pipeline.ReportStage(ctx, pipeline.StageTranscribing)
		atTranscribing <- meta.ID
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		pipeline.ReportStage(ctx, pipeline.StageClassifying)
		return cannedResult(), nil
	}}
}

// waitStage polls the call's state until the worker has recorded stage.
func waitStage(t *testing.T, env *testEnv, id string, stage pipeline.Stage) pipeline.CallState {
	t.Helper()
	deadline := time.Now().Add(liveness)
	for {
		st, err := env.c.State(bg(t), id)
		if err == nil && st.Stage == stage {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s: state %+v (%v), want stage %s", id, st, err, stage)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The worker records each stage the processor reports in CALL_STATE, with
// when the attempt started and when the call was received, and logs one
// start event and one end event carrying every stage's duration with its
// unit in the field name.
func TestWorkerRecordsStagesAndTimesThem(t *testing.T) {
	env := newEnv(t)
	var mu sync.Mutex
	observed := map[pipeline.Stage]int{}
	env.c.OnStageDone(func(s pipeline.Stage, _ time.Duration) { mu.Lock(); observed[s]++; mu.Unlock() })
	at, release := make(chan string, 1), make(chan struct{})
	before := time.Now().UTC()
	ingest(t, env, call("staged-1"))
	runWorker(t, env.worker("w1", stagedProcessor(at, release)))

	<-at
	st := waitStage(t, env, "staged-1", pipeline.StageTranscribing)
	if st.State != pipeline.StateTranscribing || st.Attempts != 1 || st.Worker != "w1" ||
		st.StartedAt.Before(before) || st.ReceivedAt.Before(before) || st.StartedAt.Before(st.ReceivedAt) {
		t.Errorf("in flight: %+v", st)
	}
	if load := env.c.WorkerLoad(); load.Busy != 1 || load.Slots != 1 {
		t.Errorf("worker load while transcribing: %+v", load)
	}
	close(release)
	done := waitState(t, env, "staged-1", pipeline.StateTranscribed)
	if !done.ReceivedAt.Equal(st.ReceivedAt) || done.Stage != "" {
		t.Errorf("settled: %+v (received at %s in flight)", done, st.ReceivedAt)
	}

	started, ended := logEvent(t, env, "call started", "staged-1"), logEvent(t, env, "call transcribed", "staged-1")
	for _, f := range []string{"attempt", "queue_wait_ms", "recording_bytes"} {
		if _, ok := started[f]; !ok {
			t.Errorf("call started: no %s in %v", f, started)
		}
	}
	for _, f := range []string{"read_ms", "decode_ms", "transcribe_ms", "classify_ms", "publish_ms", "processing_ms", "queue_wait_ms", "took_ms", "audio_s"} {
		if _, ok := ended[f].(float64); !ok {
			t.Errorf("call transcribed: no number %s in %v", f, ended)
		}
	}
	if _, ok := ended["processing"]; ok {
		t.Errorf("call transcribed: a duration without its unit: %v", ended)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range []pipeline.Stage{pipeline.StageReading, pipeline.StageDecoding, pipeline.StageTranscribing, pipeline.StageClassifying, pipeline.StagePublishing} {
		if observed[s] != 1 {
			t.Errorf("stage %s observed %d times, want 1 (all: %v)", s, observed[s], observed)
		}
	}
}

// logEvent finds the one event with message msg about call id.
func logEvent(t *testing.T, env *testEnv, msg, id string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, line := range strings.Split(env.logs.String(), "\n") {
		var ev map[string]any
		if json.Unmarshal([]byte(line), &ev) == nil && ev["message"] == msg && ev["call_id"] == id {
			found = append(found, ev)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %q events for %s, want 1:\n%s", len(found), msg, id, env.logs.String())
	}
	return found[0]
}
