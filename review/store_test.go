package review_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/record"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/transcribe"
)

// newStore starts a real embedded nats-server with the pipeline's streams
// and opens a review store on it.
func newStore(t *testing.T) (*pipeline.Client, *review.Store) {
	t.Helper()
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	s, err := review.Open(context.Background(), c, review.Config{IDs: testIDs})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// publishResult ingests the call (once) and puts a result for it on
// RESULTS as a worker would (the worker's own publish is unexported; the
// subject and JSON are the public contract), with the metadata the pipeline
// queued, so the result agrees with the call received. The transcript is a
// TEST DOUBLE: two hand-written segments.
func publishResult(t *testing.T, c *pipeline.Client, id string, label classify.Label) *pipeline.ResultMessage {
	t.Helper()
	ctx := context.Background()
	meta, err := c.Queued(ctx, id)
	if errors.Is(err, pipeline.ErrNotFound) {
		meta = pipeline.CallMeta{ID: id, StartedAt: time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC), Line: "spa-main",
			NHSNumber: "9434765919", RecordingConsent: true}
		if _, err := c.Ingest(ctx, meta, strings.NewReader("RIFF-test-audio-"+id)); err != nil {
			t.Fatal(err)
		}
		meta, err = c.Queued(ctx, id)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := &pipeline.ResultMessage{
		Schema: pipeline.SchemaResult,
		Call:   meta,
		Transcript: &transcribe.Transcript{Duration: 30 * time.Second, Segments: []transcribe.Segment{
			{Start: 0, End: 4 * time.Second, Speaker: "handler", Text: "Single Point of Access."},
			{Start: 4 * time.Second, End: 9 * time.Second, Speaker: "caller", Text: "My sertraline dose was changed and I feel worse."},
		}},
		Decision: classify.Decision{Label: label, Reasons: []string{"test"}},
	}
	data, _ := json.Marshal(r)
	if _, err := c.JetStream().Publish(context.Background(), pipeline.SubjectTranscribed(id), data); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFollowCreatesItemsOnce(t *testing.T) {
	c, s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Follow(ctx) }()
	publishResult(t, c, "clin-1", classify.Clinical)
	publishResult(t, c, "unc-1", classify.Uncertain)
	publishResult(t, c, "adm-1", classify.Administrative)

	deadline := time.Now().Add(10 * time.Second)
	for {
		items, err := s.List(ctx, review.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 2 {
			if items[0].State == items[1].State {
				t.Fatalf("states %s %s", items[0].State, items[1].State)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d items", len(items))
		}
		time.Sleep(20 * time.Millisecond)
	}
	it, err := s.Get(ctx, "unc-1")
	if err != nil || it.State != review.StateTriage || it.Kind != review.KindTriage {
		t.Fatalf("%+v %v", it, err)
	}
	if _, err := s.Get(ctx, "adm-1"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("administrative call became an item: %v", err)
	}
	// The same result again does not reset the item.
	if _, err := s.Triage(ctx, "unc-1", 0, clinician, classify.Administrative, "appointment booking"); err != nil {
		t.Fatal(err)
	}
	r := publishResult(t, c, "unc-1", classify.Uncertain)
	if created, err := s.FromResult(ctx, r); err != nil || created {
		t.Fatalf("second FromResult: created %v err %v", created, err)
	}
	it, _ = s.Get(ctx, "unc-1")
	if it.State != review.StateAdministrative || it.Retention != review.RetentionAdministrative {
		t.Fatalf("%s %s", it.State, it.Retention)
	}
	cancel()
	<-done
}

func TestConfirmPublishesOnceAndDetectsConflict(t *testing.T) {
	c, s := newStore(t)
	ctx := context.Background()
	r := publishResult(t, c, "clin-2", classify.Clinical)
	if _, err := s.FromResult(ctx, r); err != nil {
		t.Fatal(err)
	}
	it, _ := s.Get(ctx, "clin-2")
	// A stale revision is a conflict, not a silent overwrite.
	if _, err := s.Reject(ctx, "clin-2", it.Revision+7, clinician, "x", false); !errors.Is(err, review.ErrConflict) {
		t.Fatalf("stale reject: %v", err)
	}
	got, err := s.Confirm(ctx, "clin-2", it.Revision, clinician, review.ConfirmInput{Clarified: true, AmendedText: "Caller reports worse mood after a sertraline dose change."})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != review.StateAmended || !got.Record.Published {
		t.Fatalf("%+v", got)
	}
	if _, err := s.Confirm(ctx, "clin-2", 0, clinician, review.ConfirmInput{Clarified: true}); !errors.Is(err, review.ErrWrongState) {
		t.Fatalf("double confirm: %v", err)
	}
	// Republishing is deduplicated: still one record.
	if err := s.PublishPending(ctx); err != nil {
		t.Fatal(err)
	}
	st, _ := c.JetStream().Stream(ctx, review.StreamRecords)
	m, err := st.GetLastMsgForSubject(ctx, review.SubjectConfirmed("clin-2"))
	if err != nil {
		t.Fatal(err)
	}
	if err := record.Validate(m.Data); err != nil {
		t.Fatal(err)
	}
	if m.Header.Get(review.SchemaHeader) != review.SchemaRecord || m.Header.Get(nats.MsgIdHdr) != "clin-2" {
		t.Fatalf("headers %v", m.Header)
	}
	info, _ := st.Info(ctx)
	if info.State.Msgs != 1 {
		t.Fatalf("%d records", info.State.Msgs)
	}
}
