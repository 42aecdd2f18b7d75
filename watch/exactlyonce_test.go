package watch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

// Two watchers scanning one folder at once, as two hosts on shared
// storage would: every recording is ingested by exactly one of them.
func TestWatchTwoWatchersIngestEachRecordingOnce(t *testing.T) {
	r := newRig(t)
	const n = 30
	for i := range n {
		r.drop(fmt.Sprintf("two-%02d", i), i+1, true)
	}
	var wg sync.WaitGroup
	for _, inst := range []string{"host-a", "host-b"} {
		cfg := r.config()
		cfg.Instance = inst
		w := r.watcher(cfg)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			for len(files(t, r.dir)) > 0 && ctx.Err() == nil {
				if _, err := w.Scan(ctx); err != nil {
					t.Errorf("%s: %v", inst, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	q := queued(t, r.c)
	for i := range n {
		id := fmt.Sprintf("two-%02d", i)
		if q[id] != 1 {
			t.Errorf("%s queued %d times, want 1", id, q[id])
		}
	}
	if got := r.m.get("ingested") + r.m.get("duplicate"); got != n || r.m.get("duplicate") != 0 {
		t.Errorf("ingested %d, duplicates %d; want %d and 0", r.m.get("ingested"), r.m.get("duplicate"), n)
	}
	for _, inst := range []string{"host-a", "host-b"} {
		if left := files(t, filepath.Join(r.dir, ".processing", inst)); len(left) > 0 {
			t.Errorf("%s left claimed files: %v", inst, left)
		}
	}
}

// What a watcher claimed and did not finish (killed after the rename, or
// after the ingest but before deleting) is finished on its next scan: once.
func TestWatchFinishesClaimedFilesAfterCrash(t *testing.T) {
	r := newRig(t)
	proc := filepath.Join(r.dir, ".processing", "test")
	if err := os.MkdirAll(proc, 0o700); err != nil {
		t.Fatal(err)
	}
	// Claimed, never ingested.
	write(t, filepath.Join(proc, "claimed.wav"), devWAV(t, 1))
	write(t, filepath.Join(proc, "claimed.json"), jsonSidecar("claimed", true))
	// Killed between the recording's rename and its sidecar's.
	write(t, filepath.Join(proc, "split.wav"), devWAV(t, 3))
	write(t, filepath.Join(r.dir, "split.json"), jsonSidecar("split", true))
	// Ingested, killed before the originals were deleted.
	write(t, filepath.Join(proc, "done.wav"), devWAV(t, 2))
	write(t, filepath.Join(proc, "done.json"), jsonSidecar("done", true))
	f, _ := os.Open(filepath.Join(proc, "done.wav"))
	m := pipeline.CallMeta{ID: "done", StartedAt: time.Now().UTC(), RecordingConsent: true}
	if _, err := r.c.Ingest(context.Background(), m, f); err != nil {
		t.Fatal(err)
	}
	f.Close()

	r.scan(r.watcher(r.config())) // the restart
	if left := append(files(t, proc), files(t, r.dir)...); len(left) > 0 {
		t.Fatalf("files left: %v (quarantined: %v)", left, files(t, filepath.Join(r.dir, ".quarantine")))
	}
	q := queued(t, r.c)
	if q["claimed"] != 1 || q["done"] != 1 || q["split"] != 1 {
		t.Errorf("queued %v, want claimed, split and done once each", q)
	}
	if r.m.get("ingested") != 2 || r.m.get("duplicate") != 1 {
		t.Errorf("counts %v, want 2 ingested, 1 duplicate", r.m.counts)
	}
}

// Kept originals and quarantined files are patient data under the same
// rules as the pipeline's copy: a kept copy goes when its call is erased
// (objection, retention), and anything goes after 4 weeks.
func TestWatchSweepDeletesKeptCopiesOfErasedOrOldCalls(t *testing.T) {
	r := newRig(t)
	cfg := r.config()
	cfg.KeepDir = filepath.Join(t.TempDir(), "kept")
	w := r.watcher(cfg)
	r.drop("keep-a", 1, true)
	r.drop("keep-b", 2, true)
	write(t, filepath.Join(r.dir, "orphan.wav"), devWAV(t, 3))
	r.scan(w)
	r.clock.Add(cfg.Grace)
	r.scan(w) // orphan.wav quarantined
	write(t, filepath.Join(cfg.KeepDir, "keep-c.wav.part"), []byte("interrupted copy"))
	if err := w.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := files(t, cfg.KeepDir); len(got) != 4 { // positive control: held calls stay
		t.Fatalf("kept after the first sweep: %v", got)
	}
	if _, err := r.c.Erase(context.Background(), "keep-a", pipeline.CallState{State: pipeline.StateObjected}); err != nil {
		t.Fatal(err)
	}
	if err := w.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := files(t, cfg.KeepDir); fmt.Sprint(got) != "[keep-b.json keep-b.wav]" {
		t.Fatalf("after keep-a was erased, kept: %v", got)
	}
	if got := files(t, filepath.Join(r.dir, ".quarantine")); len(got) != 2 {
		t.Fatalf("quarantine before 4 weeks: %v", got)
	}
	r.clock.Add(28*24*time.Hour + time.Hour)
	if err := w.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := files(t, cfg.KeepDir); len(got) != 0 {
		t.Errorf("kept after 4 weeks: %v", got)
	}
	if got := files(t, filepath.Join(r.dir, ".quarantine")); len(got) != 0 {
		t.Errorf("quarantined after 4 weeks: %v", got)
	}
}
