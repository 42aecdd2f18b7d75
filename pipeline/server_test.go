package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/nats-io/nats.go/jetstream"
)

func TestEmbeddedRefusesNetworkWithoutCredentials(t *testing.T) {
	_, err := pipeline.StartEmbedded(context.Background(), pipeline.EmbeddedConfig{
		DataDir: t.TempDir(), Host: "0.0.0.0", Port: pipeline.RandomPort,
	})
	if err == nil || !strings.Contains(err.Error(), "without authentication") {
		t.Fatalf("got %v, want refusal without credentials", err)
	}
	if _, err := pipeline.StartEmbedded(context.Background(), pipeline.EmbeddedConfig{Port: pipeline.RandomPort}); err == nil {
		t.Fatal("started without a data dir")
	}
}

func TestEmbeddedListensOnLoopbackByDefault(t *testing.T) {
	env := newEnv(t)
	if url := env.srv.ClientURL(); !strings.Contains(url, "127.0.0.1") {
		t.Errorf("ClientURL %s, want loopback", url)
	}
}

func TestEnsureStreamsIsIdempotent(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	// newEnv ran it once; a second serve start must converge, not fail.
	if err := env.c.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		t.Fatalf("second EnsureStreams: %v", err)
	}
	s, err := env.c.JetStream().Stream(ctx, pipeline.StreamCalls)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.Retention != jetstream.WorkQueuePolicy || cfg.Duplicates != pipeline.DefaultDuplicateWindow {
		t.Errorf("CALLS retention %v, duplicates %s", cfg.Retention, cfg.Duplicates)
	}
	if err := env.c.EnsureStreams(ctx, pipeline.Config{Replicas: -1}); err == nil {
		t.Error("negative replicas accepted")
	}
}

// A restart on the same data dir keeps queued calls, their audio and their
// state, and the duplicate check still holds.
func TestRestartKeepsCalls(t *testing.T) {
	env := newEnv(t)
	meta := call("restart-1")
	ingest(t, env, meta)

	_ = env.c.Close()
	env.srv.Shutdown()
	env.start(t)

	ctx := bg(t)
	st, err := env.c.State(ctx, meta.ID)
	if err != nil || st.State != pipeline.StateReceived {
		t.Fatalf("state after restart: %+v, %v", st, err)
	}
	rc, err := env.c.Recording(ctx, meta.ID)
	if err != nil {
		t.Fatalf("recording after restart: %v", err)
	}
	if got := string(readAll(t, rc)); got != string(audioFor(meta.ID)) {
		t.Errorf("recording after restart %q", got)
	}
	again := ingest(t, env, meta)
	if !again.Duplicate {
		t.Errorf("re-ingest after restart: %+v, want duplicate", again)
	}

	p := &fakeProcessor{}
	stop := runWorker(t, env.worker("w1", p))
	waitState(t, env, meta.ID, pipeline.StateTranscribed)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// After another restart the server has forgotten the acknowledged
	// message's Nats-Msg-Id; the CALL_STATE claim still stops a
	// re-submission from being transcribed again.
	_ = env.c.Close()
	env.srv.Shutdown()
	env.start(t)
	res, err := env.c.Ingest(bg(t), meta, strings.NewReader("resubmitted after restart"))
	if err != nil || !res.Duplicate || res.State != pipeline.StateTranscribed {
		t.Fatalf("re-ingest of a transcribed call after restart: %+v, %v", res, err)
	}
	ingest(t, env, call("sentinel"))
	runWorker(t, env.worker("w2", p))
	waitState(t, env, "sentinel", pipeline.StateTranscribed)
	if n := p.count(meta.ID); n != 1 {
		t.Errorf("processed %d times", n)
	}
}

func TestStateAndResultNotFound(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	if _, err := env.c.State(ctx, "never-seen"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("State: %v, want ErrNotFound", err)
	}
	if _, err := env.c.Result(ctx, "never-seen"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Result: %v, want ErrNotFound", err)
	}
	if _, err := env.c.Failure(ctx, "never-seen"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Failure: %v, want ErrNotFound", err)
	}
	if _, err := env.c.State(ctx, "calls.>"); !errors.Is(err, pipeline.ErrInvalidCall) {
		t.Errorf("State with wildcard ID: %v, want ErrInvalidCall", err)
	}
}
