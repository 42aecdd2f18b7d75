package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/rs/zerolog"
)

// liveness bounds how long a test waits for something that should happen.
// It is a guard against hanging, not a speed assertion.
const liveness = 20 * time.Second

// testEnv is a real embedded nats-server on a random port with a temporary
// store, a client connected to it, and a record of every log line written.
type testEnv struct {
	srv  *pipeline.Embedded
	c    *pipeline.Client
	logs *logSink
	dir  string
}

// logSink keeps every log line (all levels) so tests can check what was and
// was not logged, and echoes them to t.Log while the test runs.
type logSink struct {
	mu    sync.Mutex
	t     testing.TB
	buf   bytes.Buffer
	ended bool
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	if !s.ended && testing.Verbose() {
		s.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *logSink) logger() zerolog.Logger {
	return zerolog.New(s).Level(zerolog.DebugLevel).With().Timestamp().Logger()
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	sink := &logSink{t: t}
	t.Cleanup(func() { sink.mu.Lock(); sink.ended = true; sink.mu.Unlock() })
	dir := t.TempDir()
	env := &testEnv{logs: sink, dir: dir}
	env.start(t)
	return env
}

// start (re)starts the server on env.dir and connects a client.
func (env *testEnv) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{
		DataDir: env.dir,
		Port:    pipeline.RandomPort,
		Log:     env.logs.logger(),
	})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	c, err := pipeline.Connect(ctx, srv.ClientURL(), pipeline.WithLogger(env.logs.logger()))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	env.srv, env.c = srv, c
}

// worker returns a Worker with settings small enough for tests.
func (env *testEnv) worker(id string, p pipeline.Processor) *pipeline.Worker {
	return &pipeline.Worker{
		Client:        env.c,
		Processor:     p,
		ID:            id,
		Concurrency:   1,
		AckWait:       time.Second,
		Heartbeat:     200 * time.Millisecond,
		MaxDeliver:    3,
		BackOff:       []time.Duration{50 * time.Millisecond},
		ShutdownGrace: 2 * time.Second,
		PollWait:      200 * time.Millisecond,
		Log:           env.logs.logger(),
	}
}

// runWorker starts w and returns a function that stops it and returns Run's
// error. The worker is stopped at cleanup if the test did not stop it.
func runWorker(t *testing.T, w *pipeline.Worker) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(liveness):
				runErr = errors.New("worker did not stop")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("worker %s: Run: %v", w.ID, err)
		}
	})
	return stop
}

// call is a valid call record for tests.
func call(id string) pipeline.CallMeta {
	return pipeline.CallMeta{
		ID:               id,
		StartedAt:        time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC),
		Line:             "spa-main",
		HandlerID:        "h-042",
		CallerNumber:     "07700900123",
		NHSNumber:        "9434765919",
		RecordingConsent: true,
		ChannelSpeakers:  []string{"handler", "caller"},
	}
}

// audioFor is distinct fake audio per call, so tests can check which bytes
// the processor was given. It is not a WAV file; the test double does not
// decode it.
func audioFor(id string) []byte { return []byte("RIFF-fake-audio-for-" + id) }

func ingest(t *testing.T, env *testEnv, meta pipeline.CallMeta) pipeline.IngestResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	res, err := env.c.Ingest(ctx, meta, bytes.NewReader(audioFor(meta.ID)))
	if err != nil {
		t.Fatalf("Ingest %s: %v", meta.ID, err)
	}
	return res
}

// waitState polls until the call reaches want, failing the test if it
// settles in a different state or nothing happens within liveness.
func waitState(t *testing.T, env *testEnv, id string, want pipeline.State) pipeline.CallState {
	t.Helper()
	deadline := time.Now().Add(liveness)
	var last pipeline.CallState
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := env.c.State(ctx, id)
		cancel()
		last, lastErr = st, err
		if err == nil && st.State == want {
			return st
		}
		if err == nil && st.State.Settled() {
			t.Fatalf("call %s settled as %s (reason %q), want %s", id, st.State, st.Reason, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("call %s: state %+v (err %v), want %s", id, last, lastErr, want)
	return last
}

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	t.Cleanup(cancel)
	return ctx
}

func readAll(t *testing.T, r io.ReadCloser) []byte {
	t.Helper()
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}
