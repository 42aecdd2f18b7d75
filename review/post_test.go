package review_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/record"
	"github.com/callscribe/callscribe/review"
)

var testIDs = record.NamespaceUnder("https://review.example.nhs.uk")

// counter is a TEST DOUBLE for serve's delivery metrics.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) CountDelivery(outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[outcome]++
}

func (c *counter) get(outcome string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[outcome]
}

// fakeFHIR is a TEST DOUBLE FHIR server: `patients` Patients match any NHS
// number, and a transaction gets `status` (with an OperationOutcome) or,
// when status is 200, a transaction-response. The real server's behaviour
// is tested against HAPI in hapi_test.go.
type fakeFHIR struct {
	patients, status atomic.Int32
	posts            atomic.Int32
}

func (f *fakeFHIR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","total":` + string(rune('0'+f.patients.Load())) + `}`))
		return
	}
	f.posts.Add(1)
	if s := int(f.status.Load()); s != 200 {
		w.WriteHeader(s)
		_, _ = w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":"HAPI-9999: refused for 9434765919"}]}`))
		return
	}
	_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created","location":"DocumentReference/7/_history/1"}}]}`))
}

// deliveryStore opens a store that delivers to fake, on an injected clock,
// and confirms one clinical call on it.
func deliveryStore(t *testing.T, fake *fakeFHIR, logs *testenv.LogBuffer) (*review.Store, *testenv.Clock, *counter, error) {
	t.Helper()
	fhir := httptest.NewServer(fake)
	t.Cleanup(fhir.Close)
	c, _ := newStore(t)
	clk := testenv.NewClock(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))
	n := &counter{n: map[string]int{}}
	s, err := review.Open(context.Background(), c, review.Config{IDs: testIDs, FHIRServer: &record.Poster{BaseURL: fhir.URL},
		Now: clk.Now, Deliveries: n, Log: zerolog.New(logs), EscalateAfter: 3 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.FromResult(context.Background(), publishResult(t, c, "clin-3", classify.Clinical)); err != nil {
		t.Fatal(err)
	}
	_, err = s.Confirm(context.Background(), "clin-3", 0, clinician, review.ConfirmInput{Clarified: true})
	return s, clk, n, err
}

func TestUnavailableServerIsRetriedWithBackoff(t *testing.T) {
	fake := &fakeFHIR{}
	fake.patients.Store(1)
	fake.status.Store(503)
	s, clk, n, err := deliveryStore(t, fake, &testenv.LogBuffer{})
	ctx := context.Background()
	if !errors.Is(err, review.ErrNotDelivered) {
		t.Fatalf("confirm with the FHIR server down: %v", err)
	}
	it, _ := s.Get(ctx, "clin-3")
	r := it.Record
	if it.State != review.StateConfirmed || !r.Published || r.Posted || r.PostFailure != review.FailureUnavailable ||
		r.PostAttempts != 1 || !r.NextPostAt.Equal(clk.Now().Add(30*time.Second)) {
		t.Fatalf("record status %+v", r)
	}
	// Not due yet: nothing is posted.
	clk.Add(20 * time.Second)
	if err := s.PublishPending(ctx); err != nil || fake.posts.Load() != 1 {
		t.Fatalf("before the back-off: %v, %d posts", err, fake.posts.Load())
	}
	// Due: posted again, fails again, and waits twice as long.
	clk.Add(11 * time.Second)
	_ = s.PublishPending(ctx)
	it, _ = s.Get(ctx, "clin-3")
	if fake.posts.Load() != 2 || it.Record.PostAttempts != 2 || !it.Record.NextPostAt.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("second attempt: %d posts, %+v", fake.posts.Load(), it.Record)
	}
	fake.status.Store(200)
	clk.Add(time.Minute)
	if err := s.PublishPending(ctx); err != nil {
		t.Fatal(err)
	}
	it, _ = s.Get(ctx, "clin-3")
	if !it.Record.Posted || it.Record.PostError != "" || it.Record.Locations[0] != "DocumentReference/7/_history/1" {
		t.Fatalf("after recovery: %+v", it.Record)
	}
	if n.get("unavailable") != 2 || n.get("delivered") != 1 {
		t.Fatalf("counted %v", n.n)
	}
	// Nothing left to do: no further posts.
	clk.Add(time.Hour)
	if err := s.PublishPending(ctx); err != nil || fake.posts.Load() != 3 {
		t.Fatalf("pending again: %v, %d posts", err, fake.posts.Load())
	}
}

func TestRejectedRecordShowsTheServersReason(t *testing.T) {
	fake := &fakeFHIR{}
	fake.patients.Store(1)
	fake.status.Store(422)
	logs := &testenv.LogBuffer{}
	s, clk, n, err := deliveryStore(t, fake, logs)
	if !errors.Is(err, review.ErrNotDelivered) {
		t.Fatalf("confirm: %v", err)
	}
	it, _ := s.Get(context.Background(), "clin-3")
	r := it.Record
	if r.PostFailure != review.FailureRejected || !strings.Contains(r.PostError, "HAPI-9999: refused") ||
		!r.NextPostAt.Equal(clk.Now().Add(time.Hour)) || n.get("rejected") != 1 {
		t.Fatalf("record status %+v, counted %v", r, n.n)
	}
	// The server's text may quote the NHS number: shown on the item, never logged.
	if strings.Contains(logs.String(), "HAPI-9999") || !strings.Contains(logs.String(), `"http_status":422`) {
		t.Fatalf("logs: %s", logs.String())
	}
}

func TestUnknownPatientIsReportedAndEscalated(t *testing.T) {
	fake := &fakeFHIR{}
	fake.status.Store(200)
	s, clk, n, err := deliveryStore(t, fake, &testenv.LogBuffer{})
	ctx := context.Background()
	if !errors.Is(err, review.ErrNotDelivered) || fake.posts.Load() != 0 {
		t.Fatalf("confirm: %v, %d posts", err, fake.posts.Load())
	}
	it, _ := s.Get(ctx, "clin-3")
	if it.Record.PostFailure != review.FailurePatientNotFound || !strings.Contains(it.Record.PostError, "patient not found in the record system") || it.Record.Escalated {
		t.Fatalf("record status %+v", it.Record)
	}
	// Still not found after EscalateAfter (3 h here): escalated, once.
	for range 6 {
		clk.Add(time.Hour)
		_ = s.PublishPending(ctx)
	}
	it, _ = s.Get(ctx, "clin-3")
	if !it.Record.Escalated || n.get("escalated") != 1 || fake.posts.Load() != 0 {
		t.Fatalf("after 6 h: %+v, counted %v", it.Record, n.n)
	}
	// The patient is registered: the record goes on its own.
	fake.patients.Store(1)
	clk.Add(time.Hour)
	if err := s.PublishPending(ctx); err != nil {
		t.Fatal(err)
	}
	it, _ = s.Get(ctx, "clin-3")
	if !it.Record.Posted || fake.posts.Load() != 1 {
		t.Fatalf("after registration: %+v", it.Record)
	}
}

// Two deliverers due at once (two serve processes, or a confirm and the
// retry loop) post the record once: the first to claim it delivers.
func TestConcurrentDeliverersPostOnce(t *testing.T) {
	fake := &fakeFHIR{}
	fake.patients.Store(1)
	fake.status.Store(503)
	s, clk, _, _ := deliveryStore(t, fake, &testenv.LogBuffer{})
	fake.status.Store(200)
	clk.Add(31 * time.Second)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.PublishPending(ctx) }()
	}
	wg.Wait()
	it, _ := s.Get(ctx, "clin-3")
	if !it.Record.Posted || fake.posts.Load() != 2 { // the failed one at confirm, then one delivery
		t.Fatalf("%d posts, record %+v", fake.posts.Load(), it.Record)
	}
}
