package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/pipeline"
)

// queuedMsgs is how many messages CALLS holds now.
func queuedMsgs(t *testing.T, env *testEnv) uint64 {
	t.Helper()
	s, err := env.c.JetStream().Stream(context.Background(), pipeline.StreamCalls)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// A work queue removes a settled message with a plain delete, which left
// the call's metadata in CALLS's block file while other calls kept the
// block alive (issue 12). Calls settled every way (transcribed,
// dead-lettered, objected at ingest) leave no byte of their metadata in
// CALLS's files; a call still in hand keeps its own there (positive control),
// and no acknowledgement went unconfirmed.
func TestSettledCallsLeaveNoQueuedCopyOnDisk(t *testing.T) {
	env := newEnv(t)
	release := make(chan struct{})
	p := &fakeProcessor{fn: func(ctx context.Context, meta pipeline.CallMeta, n int) (*pipeline.Result, error) {
		switch meta.ID {
		case "held-1":
			select { // held until the test ends, so its message stays queued
			case <-release:
			case <-ctx.Done():
			}
			return nil, ctx.Err()
		case "dl-1":
			return nil, pipeline.Permanent(errors.New("test double: unusable audio"))
		}
		return cannedResult(), nil
	}}
	callers := map[string]string{"held-1": "07700900300", "tx-1": "07700900301", "dl-1": "07700900302", "ob-1": "07700900303"}
	for _, id := range []string{"held-1", "tx-1", "dl-1", "ob-1"} {
		m := call(id)
		m.CallerNumber = callers[id]
		if id == "ob-1" {
			m.RecordingConsent = false
		}
		ingest(t, env, m)
	}
	w := env.worker("w1", p)
	w.Concurrency = 2
	stop := runWorker(t, w)
	defer close(release)
	waitState(t, env, "tx-1", pipeline.StateTranscribed)
	waitState(t, env, "dl-1", pipeline.StateFailed)
	waitState(t, env, "ob-1", pipeline.StateObjected)
	// The state is written before the queued copy is overwritten and
	// acknowledged (a crash in between must redeliver, not lose the call),
	// so wait until only the call in hand is left on CALLS.
	waitFor(t, func() bool { return queuedMsgs(t, env) == 1 })

	dir := filepath.Join(env.dir, "jetstream", "$G", "streams", pipeline.StreamCalls)
	found := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		for id, caller := range callers {
			found[id] = found[id] || bytes.Contains(b, []byte(caller))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"tx-1", "dl-1", "ob-1"} {
		if found[id] {
			t.Errorf("%s settled, but its metadata is still in CALLS's files", id)
		}
	}
	if !found["held-1"] {
		t.Error("positive control: the call in hand's metadata not found in CALLS's files; the search sees nothing")
	}
	_ = stop()
	if logs := env.logs.String(); strings.Contains(logs, "ack not confirmed") || strings.Contains(logs, "not overwritten") {
		t.Errorf("settling logged a failure:\n%s", logs)
	}
}
