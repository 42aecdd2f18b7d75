package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/pipeline"
)

// watchLiveness bounds how long a test waits for the watcher: a guard
// against hanging, not a speed assertion.
const watchLiveness = 2 * time.Minute

func TestWatchHelpExplainsEveryFlag(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	code, _, _ := runCLI(t, "watch", "-h")
	os.Stderr = saved
	w.Close()
	usage, _ := io.ReadAll(r)
	if code != 0 {
		t.Fatalf("watch -h: exit %d", code)
	}
	for _, f := range []string{"-after  [CALLSCRIBE_AFTER]", "-grace  [CALLSCRIBE_GRACE]", "-settle  [CALLSCRIBE_SETTLE]", "-field-map  [CALLSCRIBE_FIELD_MAP]",
		"-instance  [CALLSCRIBE_INSTANCE]", "-keep-for  [CALLSCRIBE_KEEP_FOR]", "-quarantine  [CALLSCRIBE_QUARANTINE]", "-rescan  [CALLSCRIBE_RESCAN]"} {
		if !strings.Contains(string(usage), f) {
			t.Errorf("watch -h lacks %q", f)
		}
	}
	if code, _, _ := runCLI(t, "watch", "-after", "keep", t.TempDir()); code != 2 {
		t.Errorf("watch -after keep: exit %d, want 2 (usage)", code)
	}
}

// killPipeline is an embedded NATS server with authentication on, as
// serve runs it, and the test's own connections: setup (streams) and
// recorder (intakes). The watch binary connects as the recorder with the
// seeds in the returned credentials folder.
func killPipeline(t *testing.T) (url, credDir string, setup, recorder *pipeline.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	credDir = t.TempDir()
	creds, err := pipeline.EmbeddedCredentials(credDir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: t.TempDir(), Port: pipeline.RandomPort,
		Log: zerolog.Nop(), Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	connect := func(id string) *pipeline.Client {
		c, err := pipeline.Connect(ctx, srv.ClientURL(), pipeline.WithIdentity(creds, id))
		if err != nil {
			t.Fatalf("connect as %s: %v", id, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	setup = connect(pipeline.IdentitySetup)
	if err := setup.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		t.Fatal(err)
	}
	return srv.ClientURL(), credDir, setup, connect(pipeline.IdentityRecorder)
}

// buildCallscribe builds this command (host build, no whisper) for tests
// that run it as a process.
func buildCallscribe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "callscribe")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// watchProc is a running 'callscribe watch' whose log events are counted.
type watchProc struct {
	cmd      *exec.Cmd
	ingested chan string // call IDs, as "watch: call ingested" events arrive
	done     chan struct{}
}

func startWatch(t *testing.T, bin string, args ...string) *watchProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"watch"}, args...)...)
	cmd.Env = append(os.Environ(), "CALLSCRIBE_LOG_LEVEL=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &watchProc{cmd: cmd, ingested: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var ev struct {
				Msg    string `json:"message"`
				CallID string `json:"call_id"`
			}
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Msg == "watch: call ingested" {
				p.ingested <- ev.CallID
			} else if strings.Contains(sc.Text(), `"level":"error"`) || strings.Contains(sc.Text(), `"level":"warn"`) {
				t.Logf("watch: %s", sc.Text())
			}
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.done; _ = cmd.Wait() })
	return p
}

// visible lists the files left in dir and in its claim folders.
func visible(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".quarantine" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// The real binary over a batch, killed with SIGKILL mid-way and started
// again: every recording is ingested exactly once (one message on
// calls.recorded.<id>, one intake) and the folder ends empty.
func TestWatchKill9MidBatchIngestsEachRecordingOnce(t *testing.T) {
	url, credDir, setup, recorder := killPipeline(t)
	bin := buildCallscribe(t)
	dir := t.TempDir()
	wavs, err := filepath.Glob(filepath.Join(testenv.Shared(t, "calls/dev"), "call-*.wav"))
	if err != nil || len(wavs) < 10 {
		t.Fatalf("dev calls: %v (%d)", err, len(wavs))
	}
	sort.Strings(wavs)
	const n = 60
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("kill-%03d", i)
		audio, err := os.ReadFile(wavs[i%len(wavs)])
		if err != nil {
			t.Fatal(err)
		}
		meta := fmt.Sprintf(`{"id":%q,"started_at":"2026-11-30T10:00:00Z","line":"spa-main","recording_consent":true}`, ids[i])
		if err := os.WriteFile(filepath.Join(dir, ids[i]+".wav"), audio, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ids[i]+".json"), []byte(meta), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"-nats", url, "-credentials", credDir, "-instance", "kill-test", "-settle", "0s", "-rescan", "200ms", dir}

	// Three runs killed with SIGKILL, each after 12 more recordings: the
	// watcher ingests one recording at a time, so a kill usually lands
	// while one is claimed and part-uploaded (counted and logged; which
	// window the kill hits is up to the scheduler, and the crash windows
	// are each tested deterministically in package watch).
	ingestedBefore, midFile := 0, 0
	for round := 1; round <= 3; round++ {
		p := startWatch(t, bin, args...)
		for i := 0; i < 12; i++ {
			select {
			case <-p.ingested:
			case <-time.After(watchLiveness):
				t.Fatalf("run %d: %d of 12 ingested before the deadline", round, i)
			}
		}
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		_ = p.cmd.Wait()
		ingestedBefore += 12 + len(p.ingested)
		claimed := 0
		for _, f := range visible(t, dir) {
			if strings.HasPrefix(f, ".processing") {
				claimed++
			}
		}
		if claimed > 0 {
			midFile++
		}
		t.Logf("run %d killed: %d ingested so far, %d files left, %d of them claimed (mid-file) at the kill",
			round, ingestedBefore, len(visible(t, dir)), claimed)
	}
	if left := visible(t, dir); ingestedBefore >= n || len(left) == 0 {
		t.Fatalf("positive control: the kills did not land mid-batch (%d ingested, %d files left)", ingestedBefore, len(left))
	}
	t.Logf("%d of 3 kills landed with a recording claimed but not finished", midFile)

	began := time.Now()
	second := startWatch(t, bin, args...)
	deadline := time.Now().Add(watchLiveness)
	for len(visible(t, dir)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after restart, files still left: %v", visible(t, dir))
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(began)
	_ = second.cmd.Process.Signal(syscall.SIGTERM)
	<-second.done
	if err := second.cmd.Wait(); err != nil {
		t.Errorf("watch after SIGTERM: %v", err)
	}
	t.Logf("restart finished the remaining %d recordings in %s (including process start and connect)", n-ingestedBefore, took.Round(time.Millisecond))

	q := queuedPerCall(t, setup)
	for _, id := range ids {
		if q[id] != 1 {
			t.Errorf("%s queued %d times, want exactly 1", id, q[id])
		}
		if _, err := recorder.Intake(context.Background(), id); err != nil {
			t.Errorf("%s: no intake: %v", id, err)
		}
	}
	if len(q) != n {
		t.Errorf("%d calls queued, want %d", len(q), n)
	}
	if qd := filepath.Join(dir, ".quarantine"); len(visible(t, qd)) > 0 {
		t.Errorf("quarantined: %v", visible(t, qd))
	}
}

// queuedPerCall is pipeline.Client.QueuedPerCall, failing the test on error.
func queuedPerCall(t testing.TB, c *pipeline.Client) map[string]uint64 {
	t.Helper()
	q, err := c.QueuedPerCall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// serve -watch DIR runs the watcher as a role beside the others, as the
// recorder identity, with its counters on serve's /metrics.
func TestWatchServeRoleIngestsDroppedRecording(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port, mport := freePort(t), freePort(t)
	maddr := "127.0.0.1:" + strconv.Itoa(mport)
	creds, dir := filepath.Join(t.TempDir(), "nats"), t.TempDir()
	done := make(chan error, 1)
	go func() {
		done <- cmdServe(ctx, []string{"-roles", "objections", "-data", t.TempDir(), "-port", strconv.Itoa(port), "-metrics", maddr,
			"-audit-key", filepath.Join(t.TempDir(), "audit.key"), "-credentials", creds,
			"-watch", dir, "-watch-settle", "0s", "-watch-rescan", "100ms", "-watch-instance", "serve-test"}, &bytes.Buffer{})
	}()
	metricsText := func() string {
		resp, err := http.Get("http://" + maddr + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(watchLiveness)
		for !ok() {
			select {
			case err := <-done:
				t.Fatalf("serve stopped while waiting for %s: %v", what, err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s before the deadline", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("watch metrics", func() bool {
		return strings.Contains(metricsText(), `callscribe_watch_recordings_total{outcome="ingested"} 0`)
	})
	audio, err := os.ReadFile(filepath.Join(testenv.Shared(t, "calls/dev"), "call-0001.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "served-1.wav"), audio, 0o600); err != nil {
		t.Fatal(err)
	}
	meta := `{"id":"served-1","started_at":"2026-11-30T10:00:00Z","recording_consent":true}`
	if err := os.WriteFile(filepath.Join(dir, "served-1.json"), []byte(meta), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor("ingest", func() bool {
		return strings.Contains(metricsText(), `callscribe_watch_recordings_total{outcome="ingested"} 1`)
	})
	// A recording whose header declares 10 hours is quarantined by the
	// same check ingest makes, before a byte is uploaded.
	long, err := os.ReadFile(wavHeaderDeclaring(t, 10*3600))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "served-long.wav"), long, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "served-long.json"), []byte(strings.ReplaceAll(meta, "served-1", "served-long")), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor("quarantine", func() bool {
		return strings.Contains(metricsText(), `callscribe_watch_quarantined_total{reason="too-long"} 1`)
	})
	if left := visible(t, dir); len(left) > 0 {
		t.Errorf("files left: %v", left)
	}
	keys, err := pipeline.LoadCredentials(creds)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := pipeline.Connect(ctx, "nats://127.0.0.1:"+strconv.Itoa(port), pipeline.WithIdentity(keys, pipeline.IdentityRecorder))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if in, err := rec.Intake(ctx, "served-1"); err != nil || in.RecordingDigest == "" {
		t.Errorf("intake of served-1: %+v, %v", in, err)
	}
	if in, err := rec.Intake(ctx, "served-long"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("the 10-hour recording reached the pipeline: %+v, %v", in, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
