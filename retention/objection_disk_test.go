package retention_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/retention"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/transcribe"
)

// holdDouble is a TEST DOUBLE for pipeline.Processor: it does not
// transcribe. Calls whose ID starts with "held-" fail transiently, so they
// stay queued on CALLS beside the call under test (a work queue block
// emptied by acknowledgements is removed whole, which would hide what an
// acknowledgement leaves behind); every other call is clinical and says
// its marker.
type holdDouble struct{}

func (holdDouble) Process(_ context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	if _, err := io.Copy(io.Discard, audio); err != nil {
		return nil, err
	}
	if strings.HasPrefix(meta.ID, "held-") {
		return nil, errors.New("test double: not now")
	}
	return &pipeline.Result{
		Transcript: &transcribe.Transcript{Duration: 5 * time.Second, Segments: []transcribe.Segment{
			{End: 5 * time.Second, Text: marker(meta.ID, "said")},
		}},
		Decision: classify.Decision{Label: classify.Clinical, Reasons: []string{"test double"}},
	}, nil
}

// Issue 12: after an objection to an already-transcribed call, its NHS
// number and caller number were still in plaintext in CALLS/msgs/1.blk.
// After the objection no file of the store holds the call's NHS number,
// caller number, handler, transcript words or audio; the call still queued
// beside it keeps its own (the positive control that the search can see).
func TestObjectionToATranscribedCallLeavesNoBytesOnDisk(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	at := time.Now().UTC().Add(-time.Minute)
	objected := pipeline.CallMeta{ID: "obj-0001", StartedAt: at, Line: "spa-main", CallerNumber: "07700900777",
		HandlerID: marker("obj-0001", "handler"), NHSNumber: "4857773457", RecordingConsent: true}
	held := pipeline.CallMeta{ID: "held-0002", StartedAt: at, Line: "spa-main", CallerNumber: "07700900888",
		HandlerID: marker("held-0002", "handler"), NHSNumber: "9731376984", RecordingConsent: true}
	for _, m := range []pipeline.CallMeta{held, objected} {
		if _, err := e.p.Ingest(ctx, m, bytes.NewReader([]byte("RIFF"+marker(m.ID, "audio")))); err != nil {
			t.Fatal(err)
		}
	}
	e.transcribeOne(t, "obj-0001")
	// Confirmed first, so a local copy of the FHIR record (NHS number,
	// transcript) is on RECORDS too.
	clin := review.Actor{ID: "dr-1", Role: review.RoleClinician}
	if _, err := e.rv.Confirm(ctx, "obj-0001", 0, clin, review.ConfirmInput{Clarified: true}); err != nil {
		t.Fatal(err)
	}

	er := retention.Eraser{Pipeline: e.p, Review: e.rv}
	got, err := er.Object(ctx, pipeline.Objection{CallID: "obj-0001", By: "staff-1", Reason: "caller objected"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Results == 0 || !got.Recording || got.Review.ItemRevisions == 0 || got.Review.Records == 0 {
		t.Fatalf("objection erased %+v: want the result, the recording, the review item and the record copy", got)
	}

	secret := func(m pipeline.CallMeta) map[string][]byte {
		return map[string][]byte{"NHS number": []byte(m.NHSNumber), "caller number": []byte(m.CallerNumber),
			"handler": []byte(m.HandlerID), "transcript": []byte(marker(m.ID, "said")), "audio": []byte(marker(m.ID, "audio"))}
	}
	found := e.search(t, secret(objected))
	for what, files := range found {
		t.Errorf("objected call's %s still on disk in %v", what, files)
	}
	// Positive control: the held call is queued, so its metadata is on disk.
	control := e.search(t, secret(held))
	for _, what := range []string{"NHS number", "caller number", "audio"} {
		if len(control[what]) == 0 {
			t.Errorf("positive control: the queued call's %s not found on disk; the search sees nothing", what)
		}
	}
}

// transcribeOne runs a worker with holdDouble until id is transcribed and
// has its review item.
func (e *env) transcribeOne(t *testing.T, id string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	w := &pipeline.Worker{Client: e.p, Processor: holdDouble{}, ID: "w1", PollWait: 100 * time.Millisecond, Log: zerolog.Nop()}
	wg.Add(2)
	go func() { defer wg.Done(); _ = w.Run(ctx) }()
	go func() { defer wg.Done(); _ = e.rv.Follow(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	deadline := time.Now().Add(liveness)
	for {
		st, err := e.p.State(context.Background(), id)
		_, itemErr := e.rv.Get(context.Background(), id)
		if err == nil && st.State == pipeline.StateTranscribed && itemErr == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not processed: %+v %v / item %v", id, st, err, itemErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// search reads every file of the store and says in which each secret is.
func (e *env) search(t *testing.T, secrets map[string][]byte) map[string][]string {
	t.Helper()
	found := map[string][]string{}
	err := filepath.WalkDir(e.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for what, s := range secrets {
			if bytes.Contains(b, s) {
				found[what] = append(found[what], strings.TrimPrefix(path, e.dir))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
