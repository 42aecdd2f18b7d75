package retention_test

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

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/record"
	"github.com/callscribe/callscribe/retention"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/transcribe"
)

const liveness = 20 * time.Second

// labelDouble is a TEST DOUBLE for pipeline.Processor: it does not
// transcribe. It returns a transcript made of the call's marker text and
// the label the test chose for that call, so the test can look for the
// marker anywhere on the server afterwards.
type labelDouble struct{ labels map[string]classify.Label }

func (d labelDouble) Process(_ context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	if _, err := io.Copy(io.Discard, audio); err != nil {
		return nil, err
	}
	return &pipeline.Result{
		Transcript: &transcribe.Transcript{Duration: 5 * time.Second, Segments: []transcribe.Segment{
			{Start: 0, End: 5 * time.Second, Text: marker(meta.ID, "said")},
		}},
		Decision: classify.Decision{Label: d.labels[meta.ID], Reasons: []string{"test double"}},
	}, nil
}

// marker is content unique to one call: if it is found anywhere on the
// server, something of the call remains.
func marker(id, what string) string { return "MARKER-" + what + "-" + id + "-END" }

type env struct {
	dir string
	p   *pipeline.Client
	rv  *review.Store
}

func start(t *testing.T) *env {
	t.Helper()
	c, dir := natstest.Pipeline(t, zerolog.Nop())
	rv, err := review.Open(context.Background(), c, review.Config{IDs: record.NamespaceUnder("https://review.example.nhs.uk")})
	if err != nil {
		t.Fatal(err)
	}
	return &env{dir: dir, p: c, rv: rv}
}

func (e *env) ingest(t *testing.T, id string, at time.Time) {
	t.Helper()
	meta := pipeline.CallMeta{ID: id, StartedAt: at, Line: "spa-main", CallerNumber: "0770090" + id[len(id)-4:],
		HandlerID: marker(id, "handler"), NHSNumber: "9434765919", RecordingConsent: true}
	if _, err := e.p.Ingest(context.Background(), meta, bytes.NewReader([]byte("RIFF"+marker(id, "audio")))); err != nil {
		t.Fatal(err)
	}
}

// run processes the queued calls with the double and builds review items.
func (e *env) run(t *testing.T, labels map[string]classify.Label) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	w := &pipeline.Worker{Client: e.p, Processor: labelDouble{labels}, ID: "w1", PollWait: 100 * time.Millisecond, Log: zerolog.Nop()}
	wg.Add(2)
	go func() { defer wg.Done(); _ = w.Run(ctx) }()
	go func() { defer wg.Done(); _ = e.rv.Follow(ctx) }()
	deadline := time.Now().Add(liveness)
	for id, l := range labels {
		for {
			st, err := e.p.State(context.Background(), id)
			_, itemErr := e.rv.Get(context.Background(), id)
			if err == nil && st.State == pipeline.StateTranscribed && (l == classify.Administrative || itemErr == nil) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not processed: %+v %v / item %v", id, st, err, itemErr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancel()
	wg.Wait()
}

// everything returns every message of every stream on the server (object
// store chunks, key/value revisions and purge markers included), as
// subject + headers + data, so a test can search all of it.
func (e *env) everything(t *testing.T) map[string][]string {
	t.Helper()
	ctx := context.Background()
	js := e.p.JetStream()
	out := map[string][]string{}
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue
			}
			if err != nil {
				t.Fatalf("%s seq %d: %v", name, seq, err)
			}
			out[name] = append(out[name], fmt.Sprintf("%s %v %s", m.Subject, m.Header, m.Data))
		}
	}
	if err := names.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRetentionDeletesAdministrativeCallsOnly(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	callAt := time.Now().UTC().Add(-time.Minute)
	labels := map[string]classify.Label{
		"adm-0001": classify.Administrative, // classifier: administrative
		"unc-0002": classify.Uncertain,      // triaged administrative below
		"cli-0003": classify.Clinical,       // rejected as not clinical below
		"cli-0004": classify.Clinical,       // confirmed below
		"cli-0005": classify.Clinical,       // left pending
		"unc-0006": classify.Uncertain,      // left in triage
	}
	for id := range labels {
		e.ingest(t, id, callAt)
	}
	e.run(t, labels)

	clin := review.Actor{ID: "dr-1", Role: review.RoleClinician}
	act := func(id string, f func(rev uint64) error) {
		it, err := e.rv.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := f(it.Revision); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	act("unc-0002", func(rev uint64) error {
		_, err := e.rv.Triage(ctx, "unc-0002", rev, clin, classify.Administrative, "appointment only")
		return err
	})
	act("cli-0003", func(rev uint64) error {
		_, err := e.rv.Reject(ctx, "cli-0003", rev, clin, "no clinical content", true)
		return err
	})
	act("cli-0004", func(rev uint64) error {
		_, err := e.rv.Confirm(ctx, "cli-0004", rev, clin, review.ConfirmInput{Clarified: true})
		return err
	})

	var audited []string
	sw := &retention.Sweeper{
		Eraser: retention.Eraser{Pipeline: e.p, Review: e.rv},
		Policy: retention.Policy{Administrative: time.Hour, Confirmed: -1},
		OnErase: func(_ context.Context, id, why string, _ retention.Erasure) {
			audited = append(audited, id)
		},
		Log: zerolog.Nop(),
	}
	// Not yet due: nothing is deleted.
	r, err := sw.Sweep(ctx)
	if err != nil || r.Deleted != 0 || r.Waiting != 3 {
		t.Fatalf("sweep before due: %+v, %v; want 3 waiting, none deleted", r, err)
	}
	// An hour and a minute later (the clock, not a sleep).
	sw.Now = func() time.Time { return time.Now().Add(time.Hour) }
	r, err = sw.Sweep(ctx)
	if err != nil || r.Deleted != 3 || r.Kept != 3 {
		t.Fatalf("sweep when due: %+v, %v; want 3 deleted, 3 kept", r, err)
	}
	if len(audited) != 3 {
		t.Errorf("audited deletions %v, want 3", audited)
	}
	// A restart of the sweeper finds nothing more to do.
	if r, err := sw.Sweep(ctx); err != nil || r.Deleted != 0 {
		t.Errorf("second sweep: %+v, %v", r, err)
	}

	all := e.everything(t)
	deleted := []string{"adm-0001", "unc-0002", "cli-0003"}
	for _, id := range deleted {
		for stream, msgs := range all {
			for _, m := range msgs {
				if strings.Contains(m, "MARKER-") && strings.Contains(m, id) {
					t.Errorf("%s: content left in %s: %.120s", id, stream, m)
				}
				if strings.Contains(m, id) && stream != "KV_"+pipeline.BucketState {
					t.Errorf("%s: trace left in %s: %.120s", id, stream, m)
				}
			}
		}
		st, err := e.p.State(ctx, id)
		if err != nil || st.State != pipeline.StateDeleted || st.Label != "" {
			t.Errorf("%s: tombstone %+v, %v", id, st, err)
		}
	}
	for _, id := range []string{"cli-0004", "cli-0005", "unc-0006"} {
		if _, err := e.p.Result(ctx, id); err != nil {
			t.Errorf("%s kept: result: %v", id, err)
		}
		rc, err := e.p.Recording(ctx, id)
		if err != nil {
			t.Errorf("%s kept: recording: %v", id, err)
		} else {
			rc.Close()
		}
		if _, err := e.rv.Get(ctx, id); err != nil {
			t.Errorf("%s kept: review item: %v", id, err)
		}
	}

	// And on disk: the server's files hold no marker of a deleted call.
	secrets := map[string][]byte{}
	for _, id := range deleted {
		secrets[id+" said"] = []byte(marker(id, "said"))
		secrets[id+" audio"] = []byte(marker(id, "audio"))
		secrets[id+" handler"] = []byte(marker(id, "handler"))
		secrets[id+" caller"] = []byte("0770090" + id[len(id)-4:]) // unique per call (see ingest)
	}
	for what, files := range e.search(t, secrets) {
		t.Errorf("%s: content still on disk in %v", what, files)
	}
}

func TestRetentionDeletesConfirmedCopyAfterItsPeriod(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	labels := map[string]classify.Label{"cli-0010": classify.Clinical}
	e.ingest(t, "cli-0010", time.Now().UTC())
	e.run(t, labels)
	it, err := e.rv.Get(ctx, "cli-0010")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.rv.Confirm(ctx, "cli-0010", it.Revision, review.Actor{ID: "dr-1", Role: review.RoleClinician}, review.ConfirmInput{Clarified: true}); err != nil {
		t.Fatal(err)
	}
	sw := &retention.Sweeper{Eraser: retention.Eraser{Pipeline: e.p, Review: e.rv},
		Policy: retention.Policy{Administrative: time.Hour, Confirmed: 24 * time.Hour}, Log: zerolog.Nop()}
	sw.Now = func() time.Time { return time.Now().Add(23 * time.Hour) }
	if r, _ := sw.Sweep(ctx); r.Deleted != 0 {
		t.Fatalf("deleted before the confirmed period ended: %+v", r)
	}
	sw.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	if r, err := sw.Sweep(ctx); err != nil || r.Deleted != 1 {
		t.Fatalf("after the confirmed period: %+v, %v", r, err)
	}
	if _, err := e.rv.Get(ctx, "cli-0010"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("review item left: %v", err)
	}
}
