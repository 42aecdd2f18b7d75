package review_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/record"
	"github.com/callscribe/callscribe/review"
)

// TestFHIRServerFailureIsVisibleAndRetried uses a TEST DOUBLE FHIR server
// that is down, then up.
func TestFHIRServerFailureIsVisibleAndRetried(t *testing.T) {
	var up atomic.Bool
	var posts atomic.Int32
	fhir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created"}},{"response":{"status":"201 Created"}}]}`))
	}))
	defer fhir.Close()

	c, _ := newStore(t)
	ctx := context.Background()
	// A second store on the same server, this one with a FHIR server.
	s2, err := review.Open(ctx, c, review.Config{FHIRServer: &record.Poster{BaseURL: fhir.URL, Attempts: 1, Backoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	r := publishResult(t, c, "clin-3", classify.Clinical)
	if _, err := s2.FromResult(ctx, r); err != nil {
		t.Fatal(err)
	}
	_, err = s2.Confirm(ctx, "clin-3", 0, clinician, review.ConfirmInput{Clarified: true})
	if !errors.Is(err, review.ErrNotDelivered) {
		t.Fatalf("confirm with the FHIR server down: %v", err)
	}
	it, _ := s2.Get(ctx, "clin-3")
	if it.State != review.StateConfirmed || !it.Record.Published || it.Record.Posted || it.Record.PostError == "" {
		t.Fatalf("record status %+v", it.Record)
	}
	up.Store(true)
	if err := s2.PublishPending(ctx); err != nil {
		t.Fatal(err)
	}
	it, _ = s2.Get(ctx, "clin-3")
	if !it.Record.Posted || it.Record.PostError != "" || posts.Load() != 2 {
		t.Fatalf("after retry: %+v, %d posts", it.Record, posts.Load())
	}
	// Nothing left to do: no further posts.
	if err := s2.PublishPending(ctx); err != nil || posts.Load() != 2 {
		t.Fatalf("pending again: %v, %d posts", err, posts.Load())
	}
}
