package review_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/transcribe"
)

// The attacks of issue 12 ("Wrong patient"), played against a real
// embedded nats-server: an attacker who can publish on calls.transcribed.*
// forges results. The real patient is nhsReal; the forger names nhsForged.
const (
	nhsReal     = "9434765919"
	nhsForged   = "4010232137"
	realWords   = "REAL-WORDS my sertraline dose was changed"
	forgedWords = "FORGED-WORDS nothing of the sort was said"
	parkedLine  = "result refused and parked"
	liveness    = 20 * time.Second
)

// clinicalDouble is a TEST DOUBLE for pipeline.Processor: it does not
// transcribe; every call is clinical and says realWords.
type clinicalDouble struct{}

func (clinicalDouble) Process(_ context.Context, _ pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	if _, err := io.Copy(io.Discard, audio); err != nil {
		return nil, err
	}
	return &pipeline.Result{
		Transcript: &transcribe.Transcript{Duration: 9 * time.Second, Segments: []transcribe.Segment{{End: 9 * time.Second, Text: realWords}}},
		Decision:   classify.Decision{Label: classify.Clinical, Reasons: []string{"test double"}},
	}, nil
}

type attackEnv struct {
	c    *pipeline.Client
	s    *review.Store
	logs *testenv.LogBuffer
}

// startFollowing opens a store whose log the test reads, and follows RESULTS.
func startFollowing(t *testing.T) *attackEnv {
	t.Helper()
	logs := &testenv.LogBuffer{}
	log := zerolog.New(logs)
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	s, err := review.Open(context.Background(), c, review.Config{Log: log, IDs: testIDs})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Follow(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &attackEnv{c: c, s: s, logs: logs}
}

func (e *attackEnv) ingest(t *testing.T, id string) pipeline.CallMeta {
	t.Helper()
	meta := pipeline.CallMeta{ID: id, StartedAt: time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC), Line: "spa-main",
		CallerNumber: "07700900011", NHSNumber: nhsReal, RecordingConsent: true}
	if _, err := e.c.Ingest(context.Background(), meta, strings.NewReader("RIFF-audio-"+id)); err != nil {
		t.Fatal(err)
	}
	return meta
}

// forge publishes a clinical result on subject whose body names call id
// with nhs and says forgedWords; it returns the message's RESULTS sequence.
// opts are the publisher's (a forger may set Nats-Msg-Id too).
func (e *attackEnv) forge(t *testing.T, subject, id, nhs string, opts ...jetstream.PublishOpt) uint64 {
	t.Helper()
	r := pipeline.ResultMessage{Schema: pipeline.SchemaResult,
		Call: pipeline.CallMeta{ID: id, StartedAt: time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC), Line: "spa-main",
			CallerNumber: "07700900011", NHSNumber: nhs, RecordingConsent: true},
		Transcript: &transcribe.Transcript{Segments: []transcribe.Segment{{End: time.Second, Text: forgedWords}}},
		Decision:   classify.Decision{Label: classify.Clinical}}
	data, _ := json.Marshal(r)
	ack, err := e.c.JetStream().Publish(context.Background(), subject, data, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// settled waits until the review consumer has settled every message up to
// seq on RESULTS and nothing is waiting for redelivery, and returns its
// info. A result NAKed forever never settles: the test fails at liveness.
func (e *attackEnv) settled(t *testing.T, seq uint64) *jetstream.ConsumerInfo {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(liveness)
	for {
		cons, err := e.c.JetStream().Consumer(ctx, pipeline.StreamResults, review.ConsumerReview)
		if err == nil {
			info, err := cons.Info(ctx)
			if err == nil && info.AckFloor.Stream >= seq && info.NumAckPending == 0 && info.NumRedelivered == 0 {
				return info
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("review consumer never settled RESULTS up to seq %d (redelivered forever?)", seq)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// transcribe runs a worker with the double until id is transcribed.
func (e *attackEnv) transcribe(t *testing.T, id string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &pipeline.Worker{Client: e.c, Processor: clinicalDouble{}, ID: "w1", PollWait: 100 * time.Millisecond, Log: zerolog.Nop()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = w.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	e.item(t, id)
}

// item waits for id's review item.
func (e *attackEnv) item(t *testing.T, id string) review.Item {
	t.Helper()
	deadline := time.Now().Add(liveness)
	for {
		it, err := e.s.Get(context.Background(), id)
		if err == nil {
			return it
		}
		if !errors.Is(err, pipeline.ErrNotFound) || time.Now().After(deadline) {
			t.Fatalf("review item %s: %v", id, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *attackEnv) noItem(t *testing.T, id, why string) {
	t.Helper()
	if it, err := e.s.Get(context.Background(), id); !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("%s: review item %s exists (NHS %s) or error %v", why, id, it.Call.NHSNumber, err)
	}
}

// parked counts the log lines that parked a result naming subjectPart.
func (e *attackEnv) parked(subjectPart string) int {
	n := 0
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, parkedLine) && strings.Contains(l, subjectPart) {
			n++
		}
	}
	return n
}

// forgeParkedOnce publishes a forged result (another NHS number) for bodyID
// on subjectID's subject, waits until the follower has settled it, and
// checks it was parked exactly once, with its reason.
func (e *attackEnv) forgeParkedOnce(t *testing.T, subjectID, bodyID string) {
	t.Helper()
	seq := e.forge(t, pipeline.SubjectTranscribed(subjectID), bodyID, nhsForged)
	e.settled(t, seq)
	if n := e.parked(subjectID); n != 1 {
		t.Fatalf("forged result on %s parked %d times, want once with its reason; log:\n%s", subjectID, n, e.logs.String())
	}
}

// The attack: a result on calls.transcribed.innocuous-11 whose body
// names call-0011 with another NHS number became call-0011's proposal, and
// the confirm sent call-0011's transcript under the other NHS number.
func TestForgedResultOnAnotherSubjectIsParkedNotReviewed(t *testing.T) {
	e := startFollowing(t)
	e.ingest(t, "call-0011")
	e.forgeParkedOnce(t, "innocuous-11", "call-0011")
	e.noItem(t, "call-0011", "forged result on another subject")
	// Positive control: the real result becomes the proposal, for the
	// patient ingested.
	e.transcribe(t, "call-0011")
	it := e.item(t, "call-0011")
	if it.Call.NHSNumber != nhsReal {
		t.Fatalf("proposal names NHS %s, want the ingested %s", it.Call.NHSNumber, nhsReal)
	}
}

// What the attacker does next: forge on the real call's own subject, after
// the real result, with another NHS number and other words. The item keeps
// its patient, the forgery is parked, and the confirmed record carries the
// real words under the real NHS number.
func TestForgedResultForATranscribedCallChangesNothing(t *testing.T) {
	e := startFollowing(t)
	e.ingest(t, "call-0012")
	e.transcribe(t, "call-0012")
	e.forgeParkedOnce(t, "call-0012", "call-0012")
	ctx := context.Background()
	res, err := e.c.Result(ctx, "call-0012")
	if err != nil || res.Call.NHSNumber != nhsReal || !strings.Contains(review.TranscriptText(res.Transcript), realWords) {
		t.Fatalf("the call's result is the forged one: %v", err)
	}
	it := e.item(t, "call-0012")
	if _, err := e.s.Confirm(ctx, "call-0012", it.Revision, clinician, review.ConfirmInput{Clarified: true}); err != nil {
		t.Fatal(err)
	}
	rec, err := e.s.RecordCopy(ctx, "call-0012")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rec), nhsForged) || !strings.Contains(string(rec), nhsReal) {
		t.Error("record names the forged NHS number, or not the real one")
	}
	if b := recordText(t, rec); strings.Contains(b, "FORGED-WORDS") || !strings.Contains(b, "REAL-WORDS") {
		t.Error("record carries the forged transcript, or not the real one")
	}
}

// A forged body on a real, still queued call's subject, naming the call's
// ID with another NHS number, is refused; the real result then is not.
func TestForgedBodyForAQueuedCallIsRefused(t *testing.T) {
	e := startFollowing(t)
	e.ingest(t, "call-0021")
	e.forgeParkedOnce(t, "call-0021", "call-0021")
	e.noItem(t, "call-0021", "forged body for a queued call")
	e.transcribe(t, "call-0021")
	if it := e.item(t, "call-0021"); it.Call.NHSNumber != nhsReal {
		t.Fatalf("proposal names NHS %s, want %s", it.Call.NHSNumber, nhsReal)
	}
}

// The forger also takes the call's ID as Nats-Msg-Id before the worker
// publishes, so the server would drop the real result as a duplicate and
// the forgery would stand as the call's result. The real result is still
// stored and is the one the call is reviewed and shown by.
func TestForgedResultSquattingTheDeduplicationIDIsNotTheCallsResult(t *testing.T) {
	e := startFollowing(t)
	e.ingest(t, "call-0031")
	seq := e.forge(t, pipeline.SubjectTranscribed("call-0031"), "call-0031", nhsForged, jetstream.WithMsgID("call-0031"))
	e.settled(t, seq)
	e.transcribe(t, "call-0031")
	if it := e.item(t, "call-0031"); it.Call.NHSNumber != nhsReal {
		t.Fatalf("proposal names NHS %s, want %s", it.Call.NHSNumber, nhsReal)
	}
	res, err := e.c.Result(context.Background(), "call-0031")
	if err != nil || res.Call.NHSNumber != nhsReal || !strings.Contains(review.TranscriptText(res.Transcript), realWords) {
		t.Fatalf("the call's result is not the pipeline's: %v", err)
	}
}

// Results with invalid call IDs were NAKed forever (854 log lines in 15
// minutes). Each is now delivered once, parked once, and the queue moves on.
func TestInvalidIDResultsAreParkedOnceNotRedelivered(t *testing.T) {
	e := startFollowing(t)
	e.forge(t, pipeline.SubjectTranscribed("valid-1"), "not a valid/../id", nhsForged)
	e.forge(t, pipeline.SubjectTranscribed("-leading-dash"), "-leading-dash", nhsForged)
	if _, err := e.c.JetStream().Publish(context.Background(), pipeline.SubjectTranscribed("junk-1"), []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	publishResult(t, e.c, "ok-1", classify.Clinical) // positive control, after them
	info := e.settled(t, 4)
	e.item(t, "ok-1")
	if info.Delivered.Consumer != 4 {
		t.Errorf("%d deliveries for 4 results, want each delivered once", info.Delivered.Consumer)
	}
	for _, s := range []string{"valid-1", "-leading-dash", "junk-1"} {
		if n := e.parked(s); n != 1 {
			t.Errorf("%s parked %d times, want once; log:\n%s", s, n, e.logs.String())
		}
	}
}

// recordText is the record's DocumentReference attachment text (base64 in
// the Bundle), so the test reads words, not encodings.
func recordText(t *testing.T, bundle []byte) string {
	t.Helper()
	var b struct {
		Entry []struct {
			Resource struct {
				Content []struct {
					Attachment struct {
						Data []byte `json:"data"`
					} `json:"attachment"`
				} `json:"content"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, e := range b.Entry {
		for _, c := range e.Resource.Content {
			out.Write(c.Attachment.Data)
		}
	}
	return out.String()
}
