package watch_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/watch"
)

func TestWatchIngestsRecordingWithJSONSidecarAndDeletesIt(t *testing.T) {
	r := newRig(t)
	w := r.watcher(r.config())
	r.drop("call-a1", 1, true)
	r.scan(w)
	if got := files(t, r.dir); len(got) != 0 {
		t.Errorf("folder after ingest: %v, want empty (default -after delete)", got)
	}
	if ok, digest := r.held("call-a1"); !ok || digest == "" {
		t.Fatalf("intake of call-a1: held %v digest %q", ok, digest)
	}
	if !bytes.Equal(r.storedAudio("call-a1"), devWAV(t, 1)) {
		t.Error("stored recording differs from the file dropped")
	}
	if n := r.m.get("ingested"); n != 1 {
		t.Errorf("ingested count %d, want 1", n)
	}
	if log := r.log.String(); !strings.Contains(log, `"call_id":"call-a1"`) || !strings.Contains(log, "took_ms") {
		t.Errorf("no ingest event with call ID and took_ms in the log:\n%s", log)
	}
}

func TestWatchReadsXMLSidecarThroughMapping(t *testing.T) {
	r := newRig(t)
	mp := filepath.Join(t.TempDir(), "puzzel.json")
	write(t, mp, []byte(`{"fields": {"CallId": "id", "StartTime": "started_at", "QueueName": "line",
		"AgentId": "handler_id", "RecordingConsent": "recording_consent", "Channel": "channel_speakers"},
		"time_layout": "2006-01-02 15:04:05", "time_zone": "Europe/London"}`))
	m, err := watch.LoadMapping(mp)
	if err != nil {
		t.Fatal(err)
	}
	cfg := r.config()
	cfg.Mapping = m
	w := r.watcher(cfg)
	write(t, filepath.Join(r.dir, "rec-77.wav"), devWAV(t, 2))
	// Puzzel-style: the sidecar is named after the whole recording file name.
	write(t, filepath.Join(r.dir, "rec-77.wav.xml"), []byte(`<?xml version="1.0"?>
<Recording><Call><CallId>puz-77</CallId><StartTime>2026-07-01 10:00:00</StartTime>
<QueueName>spa-main</QueueName><AgentId>a9</AgentId><Vendor>ignored</Vendor></Call>
<RecordingConsent>Yes</RecordingConsent><Channels><Channel>handler</Channel><Channel>caller</Channel></Channels></Recording>`))
	r.scan(w)
	if got := files(t, r.dir); len(got) != 0 {
		t.Fatalf("folder after ingest: %v", got)
	}
	in, err := r.c.Intake(t.Context(), "puz-77")
	if err != nil {
		t.Fatal(err)
	}
	// 10:00 British Summer Time is 09:00 UTC.
	if want := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC); !in.CallAt.Equal(want) {
		t.Errorf("call time %s, want %s", in.CallAt, want)
	}
	st, err := r.c.JetStream().Stream(t.Context(), "CALLS")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := st.GetLastMsgForSubject(t.Context(), "calls.recorded.puz-77")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"line":"spa-main"`, `"handler_id":"a9"`, `"channel_speakers":["handler","caller"]`} {
		if !strings.Contains(string(msg.Data), want) {
			t.Errorf("queued metadata %s lacks %s", msg.Data, want)
		}
	}
}

func TestWatchReadsCSVSidecar(t *testing.T) {
	r := newRig(t)
	w := r.watcher(r.config())
	write(t, filepath.Join(r.dir, "c-5.wav"), devWAV(t, 3))
	write(t, filepath.Join(r.dir, "c-5.csv"), []byte("\xef\xbb\xbfid,started_at,line,recording_consent,channel_speakers\n"+
		"csv-5,2026-11-30T10:00:00Z,spa-main,true,\"handler,caller\"\n"))
	r.scan(w)
	if ok, _ := r.held("csv-5"); !ok {
		t.Fatalf("csv-5 not ingested; folder %v; log:\n%s", files(t, r.dir), r.log.String())
	}
}

// A recorder that writes to NAME.part (or a hidden temporary) and renames
// when done: nothing is taken before the rename, everything after it.
func TestWatchWaitsForRenameOfPartFile(t *testing.T) {
	r := newRig(t)
	w := r.watcher(r.config())
	part := filepath.Join(r.dir, "call-p.wav.part")
	write(t, part, devWAV(t, 4)[:1000]) // half-written
	write(t, filepath.Join(r.dir, "call-p.json"), jsonSidecar("call-p", true))
	r.scan(w)
	if ok, _ := r.held("call-p"); ok {
		t.Fatal("a .part file was ingested")
	}
	write(t, part, devWAV(t, 4)) // finished
	if err := os.Rename(part, filepath.Join(r.dir, "call-p.wav")); err != nil {
		t.Fatal(err)
	}
	r.scan(w)
	if ok, _ := r.held("call-p"); !ok { // positive control: once renamed it is taken
		t.Fatalf("renamed recording not ingested; folder %v", files(t, r.dir))
	}
	if !bytes.Equal(r.storedAudio("call-p"), devWAV(t, 4)) {
		t.Error("stored recording is not the finished file")
	}
}

// A recorder that writes in place: a file still growing is not taken; once
// it has kept its size for the settle time it is, whole.
func TestWatchWaitsForFileBeingWrittenInPlace(t *testing.T) {
	r := newRig(t)
	cfg := r.config()
	cfg.Settle = 5 * time.Second
	w := r.watcher(cfg)
	full := devWAV(t, 5)
	path := filepath.Join(r.dir, "call-g.wav")
	write(t, filepath.Join(r.dir, "call-g.json"), jsonSidecar("call-g", true))
	for _, n := range []int{4096, len(full) / 2} { // growing between scans
		write(t, path, full[:n])
		r.scan(w)
		r.clock.Add(cfg.Settle)
	}
	write(t, path, full) // complete: seen changed once more
	r.scan(w)
	if ok, _ := r.held("call-g"); ok {
		t.Fatal("a file still changing was ingested")
	}
	if r.m.waitingNow() != 1 {
		t.Errorf("waiting gauge %d, want 1", r.m.waitingNow())
	}
	r.clock.Add(cfg.Settle)
	r.scan(w)
	if ok, _ := r.held("call-g"); !ok { // positive control
		t.Fatal("a settled file was not ingested")
	}
	if !bytes.Equal(r.storedAudio("call-g"), full) {
		t.Error("stored recording is not the whole file")
	}
}

func TestWatchWaitsForSidecarArrivingAfterRecording(t *testing.T) {
	r := newRig(t)
	w := r.watcher(r.config())
	write(t, filepath.Join(r.dir, "call-s.wav"), devWAV(t, 6))
	r.scan(w)
	r.clock.Add(30 * time.Second) // within the grace
	r.scan(w)
	if ok, _ := r.held("call-s"); ok {
		t.Fatal("ingested without its sidecar")
	}
	if got := files(t, r.dir); len(got) != 1 {
		t.Fatalf("recording did not wait in the folder: %v", got)
	}
	write(t, filepath.Join(r.dir, "call-s.json"), jsonSidecar("call-s", true))
	r.scan(w)
	if ok, _ := r.held("call-s"); !ok {
		t.Fatal("not ingested once the sidecar arrived")
	}
}

func TestWatchQuarantinesRecordingWhoseSidecarNeverArrives(t *testing.T) {
	r := newRig(t)
	w := r.watcher(r.config())
	write(t, filepath.Join(r.dir, "call-n.wav"), devWAV(t, 7))
	r.scan(w)
	r.clock.Add(time.Minute - time.Second)
	r.scan(w)
	if got := files(t, r.dir); len(got) != 1 {
		t.Fatalf("quarantined before the grace ended: folder %v", got)
	}
	r.clock.Add(time.Second)
	r.scan(w)
	if got := files(t, r.dir); len(got) != 0 {
		t.Fatalf("still in the folder after the grace: %v", got)
	}
	q, _ := os.ReadFile(filepath.Join(r.dir, ".quarantine", "call-n.wav"))
	if !bytes.Equal(q, devWAV(t, 7)) {
		t.Error("quarantined recording missing or altered")
	}
	if why := reasonFile(t, r.dir, "call-n.wav"); !strings.Contains(why, "sidecar-missing") {
		t.Errorf("reason file: %s", why)
	}
	if ok, _ := r.held("call-n"); ok {
		t.Error("a recording without metadata was ingested")
	}
	if r.m.get("quarantined:sidecar-missing") != 1 {
		t.Errorf("counts %v", r.m.counts)
	}
}

func TestWatchQuarantinesBadMetadataWithReason(t *testing.T) {
	r := newRig(t)
	w := r.watcher(r.config())
	cases := map[string]struct {
		sidecar, ext string
		reason       string
	}{
		"bad-nhs":  {`{"id":"bad-nhs","started_at":"2026-11-30T10:00:00Z","nhs_number":"1234567890","recording_consent":true}`, ".json", "metadata-invalid"},
		"no-cons":  {`{"id":"no-cons","started_at":"2026-11-30T10:00:00Z"}`, ".json", "metadata-invalid"},
		"typo":     {`{"id":"typo","started_at":"2026-11-30T10:00:00Z","recording_concent":false}`, ".json", "metadata-invalid"},
		"bad-xml":  {`<Recording><id>bad-xml</id>`, ".xml", "sidecar-invalid"},
		"cons-odd": {`<r><id>cons-odd</id><started_at>2026-11-30T10:00:00Z</started_at><recording_consent>maybe</recording_consent></r>`, ".xml", "metadata-invalid"},
	}
	for name, c := range cases {
		write(t, filepath.Join(r.dir, name+".wav"), devWAV(t, 8))
		write(t, filepath.Join(r.dir, name+c.ext), []byte(c.sidecar))
	}
	r.drop("good", 9, true) // positive control in the same scan
	// Invalid, but plainly an objection: the recording is kept nowhere.
	write(t, filepath.Join(r.dir, "obj-bad.wav"), devWAV(t, 10))
	write(t, filepath.Join(r.dir, "obj-bad.json"), []byte(`{"id":"obj-bad","started_at":"2026-11-30T10:00:00Z","nhs_number":"1234567890","recording_consent":false}`))
	r.scan(w)
	if _, err := os.Stat(filepath.Join(r.dir, ".quarantine", "obj-bad.wav")); err == nil {
		t.Error("an objected-to recording was kept in quarantine")
	}
	if why := reasonFile(t, r.dir, "obj-bad.json"); !strings.Contains(why, "recording was deleted") {
		t.Errorf("objection with bad metadata: reason %q", why)
	}
	if got := files(t, r.dir); len(got) != 0 {
		t.Fatalf("left in the folder: %v", got)
	}
	for name, c := range cases {
		if why := reasonFile(t, r.dir, name+".wav"); !strings.Contains(why, "reason: "+c.reason) {
			t.Errorf("%s: reason file %q, want %s", name, why, c.reason)
		}
		if _, err := os.Stat(filepath.Join(r.dir, ".quarantine", name+c.ext)); err != nil {
			t.Errorf("%s: sidecar not quarantined beside it: %v", name, err)
		}
		if ok, _ := r.held(name); ok {
			t.Errorf("%s ingested", name)
		}
	}
	if ok, _ := r.held("good"); !ok {
		t.Error("positive control not ingested")
	}
}

func TestWatchObjectionIsRecordedAndRecordingDeletedNeverUploaded(t *testing.T) {
	r := newRig(t)
	cfg := r.config()
	cfg.KeepDir = filepath.Join(t.TempDir(), "kept") // even with originals kept
	w := r.watcher(cfg)
	r.drop("objected", 10, false)
	r.drop("consented", 11, true) // positive control
	r.scan(w)
	if got := files(t, r.dir); len(got) != 0 {
		t.Fatalf("left in the folder: %v", got)
	}
	ok, digest := r.held("objected")
	if !ok || digest != "" {
		t.Fatalf("objection: intake held %v, digest %q (want held, no recording)", ok, digest)
	}
	if r.storedAudio("objected") != nil {
		t.Error("an objected-to recording was uploaded")
	}
	if r.storedAudio("consented") == nil {
		t.Error("positive control: consented recording not uploaded")
	}
	if n := queued(t, r.c)["objected"]; n != 1 {
		t.Errorf("objection queued %d times, want 1 (a worker records it as objected)", n)
	}
	kept := files(t, cfg.KeepDir)
	if strings.Join(kept, ",") != "consented.json,consented.wav" {
		t.Errorf("kept folder %v: the objected-to recording must not be kept", kept)
	}
	if r.m.get("objection") != 1 || r.m.get("ingested") != 1 {
		t.Errorf("counts %v", r.m.counts)
	}
}

// A lone sidecar recording an objection (the recorder kept no audio) is
// the objection, after the grace.
func TestWatchLoneObjectionSidecarAfterGrace(t *testing.T) {
	r := newRig(t)
	w := r.watcher(r.config())
	write(t, filepath.Join(r.dir, "lone.json"), jsonSidecar("lone", false))
	write(t, filepath.Join(r.dir, "lone2.json"), jsonSidecar("lone2", true))
	r.scan(w)
	if ok, _ := r.held("lone"); ok {
		t.Fatal("taken before the grace: its recording may still come")
	}
	r.clock.Add(time.Minute)
	r.scan(w)
	if ok, digest := r.held("lone"); !ok || digest != "" {
		t.Errorf("lone objection: held %v digest %q", ok, digest)
	}
	if why := reasonFile(t, r.dir, "lone2.json"); !strings.Contains(why, "recording-missing") {
		t.Errorf("lone consenting sidecar: %s", why)
	}
}

// proberDouble is a test double of watch.Prober that reports a fixed result.
type proberDouble struct {
	d   time.Duration
	err error
}

func (p proberDouble) Probe(string) (time.Duration, error) { return p.d, p.err }

func TestWatchQuarantinesRecordingOverMaxDurationBeforeUpload(t *testing.T) {
	r := newRig(t)
	cfg := r.config()
	cfg.MaxDuration = time.Hour
	cfg.Prober = proberDouble{d: 2 * time.Hour}
	r.drop("long", 12, true)
	r.scan(r.watcher(cfg))
	if ok, _ := r.held("long"); ok {
		t.Fatal("an over-long recording was ingested")
	}
	if why := reasonFile(t, r.dir, "long.wav"); !strings.Contains(why, "too-long") {
		t.Errorf("reason: %s", why)
	}
	cfg.Prober = proberDouble{d: 59 * time.Minute} // positive control
	r.drop("short", 13, true)
	r.scan(r.watcher(cfg))
	if ok, _ := r.held("short"); !ok {
		t.Error("a recording under the limit was not ingested")
	}
}

// A file that is neither a recording nor a sidecar (a recorder's checksum)
// does not hold up the recording beside it, and is quarantined after the
// grace rather than silently left.
func TestWatchQuarantinesUnknownFileWithoutHoldingUpItsNeighbour(t *testing.T) {
	r := newRig(t)
	w := r.watcher(r.config())
	r.drop("call-m", 1, true)
	write(t, filepath.Join(r.dir, "call-m.wav.md5"), []byte("d41d8cd98f00b204e9800998ecf8427e\n"))
	r.scan(w)
	if ok, _ := r.held("call-m"); !ok {
		t.Fatal("the recording waited for an unrelated file")
	}
	if got := files(t, r.dir); len(got) != 1 {
		t.Fatalf("folder %v, want the .md5 waiting", got)
	}
	r.clock.Add(time.Minute)
	r.scan(w)
	if why := reasonFile(t, r.dir, "call-m.wav.md5"); !strings.Contains(why, "unknown-file") {
		t.Errorf("reason: %s", why)
	}
}

// Run takes a file as soon as the folder reports it changed: the rescan
// here is an hour, so only the change notification can have prompted it.
func TestWatchRunTakesNewFilesOnChangeNotification(t *testing.T) {
	r := newRig(t)
	cfg := r.config()
	cfg.Now, cfg.Rescan = nil, time.Hour // the real clock
	w := r.watcher(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for r.m.scansDone() == 0 { // Run's first scan, at start, is over
		if time.Now().After(deadline) {
			t.Fatal("Run made no first scan")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.drop("notified", 1, true)
	for ok, _ := r.held("notified"); !ok; ok, _ = r.held("notified") {
		if time.Now().After(deadline) {
			t.Fatalf("not taken within 30 s (rescan is 1 h); folder %v", files(t, r.dir))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A copy of a call already erased (an objection recorded before this copy
// arrived) is a duplicate and is not kept, whatever -after says. The kept
// folder is on another file system (tmpfs) where one is available, so the
// copy-then-remove move is used.
func TestWatchKeepsNoCopyOfErasedCallAndMovesAcrossFileSystems(t *testing.T) {
	r := newRig(t)
	cfg := r.config()
	cfg.KeepDir = filepath.Join(t.TempDir(), "kept")
	if shm, err := os.MkdirTemp("/dev/shm", "watch-kept-"); err == nil {
		t.Cleanup(func() { os.RemoveAll(shm) })
		cfg.KeepDir = shm
	}
	w := r.watcher(cfg)
	if _, err := r.c.Erase(context.Background(), "erased-1", pipeline.CallState{State: pipeline.StateObjected}); err != nil {
		t.Fatal(err)
	}
	r.drop("erased-1", 1, true)
	r.drop("kept-1", 2, true) // positive control
	r.scan(w)
	if got := files(t, cfg.KeepDir); strings.Join(got, ",") != "kept-1.json,kept-1.wav" {
		t.Errorf("kept %v, want only kept-1's files", got)
	}
	if b, _ := os.ReadFile(filepath.Join(cfg.KeepDir, "kept-1.wav")); !bytes.Equal(b, devWAV(t, 2)) {
		t.Error("kept copy differs from the original")
	}
	if got := files(t, r.dir); len(got) != 0 {
		t.Errorf("folder %v", got)
	}
	if r.m.get("duplicate") != 1 || r.m.get("ingested") != 1 {
		t.Errorf("counts %v", r.m.counts)
	}
}
