package watch_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/watch"
)

// rig is a drop folder, a real embedded NATS pipeline and a settable clock.
type rig struct {
	t     testing.TB
	dir   string
	c     *pipeline.Client
	clock *testenv.Clock
	log   *testenv.LogBuffer
	m     *countingMetrics
}

func newRig(t testing.TB) *rig {
	t.Helper()
	log := &testenv.LogBuffer{}
	c, _ := natstest.Pipeline(t, zerolog.New(log))
	return &rig{t: t, dir: t.TempDir(), c: c, clock: testenv.NewClock(time.Now()),
		log: log, m: &countingMetrics{counts: map[string]int{}}}
}

// config is the rig's default: settled at first sight, a minute's grace.
func (r *rig) config() watch.Config {
	return watch.Config{Dir: r.dir, Instance: "test", Grace: time.Minute, Now: r.clock.Now,
		Metrics: r.m, Log: zerolog.New(r.log)}
}

func (r *rig) watcher(cfg watch.Config) *watch.Watcher {
	r.t.Helper()
	w, err := watch.New(cfg, r.c)
	if err != nil {
		r.t.Fatal(err)
	}
	return w
}

func (r *rig) scan(w *watch.Watcher) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := w.Scan(ctx); err != nil {
		r.t.Fatalf("scan: %v", err)
	}
}

// devWAV is the n-th (from 1, wrapping) of the dev calls in ../shared
// (8 kHz PCM WAV; their numbers have gaps).
func devWAV(t testing.TB, n int) []byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(testenv.Shared(t, "calls/dev"), "call-*.wav"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no dev calls in ../shared/calls/dev: %v", err)
	}
	sort.Strings(paths)
	b, err := os.ReadFile(paths[(n-1)%len(paths)])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// jsonSidecar is callscribe's own metadata form.
func jsonSidecar(id string, consent bool) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "started_at": "2026-11-30T10:15:00Z", "line": "spa-main",
		"handler_id": "h-17", "recording_consent": consent})
	return b
}

// drop puts a dev recording and its JSON sidecar in the folder.
func (r *rig) drop(name string, n int, consent bool) {
	write(r.t, filepath.Join(r.dir, name+".wav"), devWAV(r.t, n))
	write(r.t, filepath.Join(r.dir, name+".json"), jsonSidecar(name, consent))
}

// files lists the folder's visible files (not the hidden claim and
// quarantine folders).
func files(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// held reports whether the pipeline has an intake for id, and its digest.
func (r *rig) held(id string) (bool, string) {
	r.t.Helper()
	in, err := r.c.Intake(context.Background(), id)
	if errors.Is(err, pipeline.ErrNotFound) {
		return false, ""
	}
	if err != nil {
		r.t.Fatal(err)
	}
	return true, in.RecordingDigest
}

// queued is pipeline.Client.QueuedPerCall, failing the test on error.
func queued(t testing.TB, c *pipeline.Client) map[string]uint64 {
	t.Helper()
	q, err := c.QueuedPerCall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// storedAudio reads back the recording stored under id ("" if none).
func (r *rig) storedAudio(id string) []byte {
	r.t.Helper()
	rc, err := r.c.Recording(context.Background(), id)
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// countingMetrics is a test double of watch.Metrics: it counts outcomes.
type countingMetrics struct {
	mu      sync.Mutex
	counts  map[string]int
	waiting int
	scans   int // Waiting is called once at the end of each scan
}

func (m *countingMetrics) Counted(o watch.Outcome, r watch.Reason) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(o)
	if r != watch.ReasonNone {
		k += ":" + string(r)
	}
	m.counts[k]++
}

func (m *countingMetrics) Waiting(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.waiting = n
	m.scans++
}

func (m *countingMetrics) scansDone() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.scans
}

func (m *countingMetrics) get(k string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[k]
}

func (m *countingMetrics) waitingNow() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.waiting
}

// reasonFile reads the reason note beside a quarantined file.
func reasonFile(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ".quarantine", name+".reason.txt"))
	if err != nil {
		t.Fatalf("no reason file for %s: %v", name, err)
	}
	return string(b)
}
