package record_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/callscribe/callscribe/record"
)

// fakeFHIRServer is a TEST DOUBLE for a FHIR server's transaction
// endpoint: it fails the first `failures` requests with 503, then applies
// conditional creates by their ifNoneExist string.
type fakeFHIRServer struct {
	mu       sync.Mutex
	failures int
	requests int
	created  map[string]bool
}

func (f *fakeFHIRServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if f.failures > 0 {
		f.failures--
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	data, _ := io.ReadAll(r.Body)
	if err := record.Validate(data); err != nil || r.Header.Get("Content-Type") != "application/fhir+json; fhirVersion=4.0" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"code":"invalid","diagnostics":"bad bundle"}]}`))
		return
	}
	var b struct {
		Entry []struct {
			Request struct{ IfNoneExist string } `json:"request"`
		} `json:"entry"`
	}
	_ = json.Unmarshal(data, &b)
	type resp struct {
		Response struct {
			Status string `json:"status"`
		} `json:"response"`
	}
	out := struct {
		ResourceType string `json:"resourceType"`
		Entry        []resp `json:"entry"`
	}{ResourceType: "Bundle"}
	for _, e := range b.Entry {
		var r resp
		r.Response.Status = "201 Created"
		if f.created[e.Request.IfNoneExist] {
			r.Response.Status = "200 OK"
		}
		f.created[e.Request.IfNoneExist] = true
		out.Entry = append(out.Entry, r)
	}
	_ = json.NewEncoder(w).Encode(out)
}

func TestPostRetriesAndIsIdempotent(t *testing.T) {
	fake := &fakeFHIRServer{failures: 2, created: map[string]bool{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	r, _ := record.Build(input())
	bundle, _ := r.Bundle(time.Now())
	p := &record.Poster{BaseURL: srv.URL, Backoff: time.Millisecond}
	if err := p.Post(context.Background(), bundle); err != nil {
		t.Fatal(err)
	}
	if fake.requests != 3 || len(fake.created) != 2 {
		t.Fatalf("%d requests, %d resources", fake.requests, len(fake.created))
	}
	// Posting again creates nothing new.
	if err := p.Post(context.Background(), bundle); err != nil {
		t.Fatal(err)
	}
	if len(fake.created) != 2 {
		t.Fatalf("%d resources after a repeat", len(fake.created))
	}
	for k := range fake.created {
		if k == "" {
			t.Fatal("an entry without a conditional create")
		}
	}
}

func TestPostRejectedIsNotRetried(t *testing.T) {
	fake := &fakeFHIRServer{created: map[string]bool{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	p := &record.Poster{BaseURL: srv.URL, Backoff: time.Millisecond}
	err := p.Post(context.Background(), []byte(`{"resourceType":"Bundle","type":"transaction"}`))
	if !errors.Is(err, record.ErrRejected) || fake.requests != 1 {
		t.Fatalf("err %v after %d requests", err, fake.requests)
	}
}

func TestPostGivesUp(t *testing.T) {
	fake := &fakeFHIRServer{failures: 100, created: map[string]bool{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	r, _ := record.Build(input())
	bundle, _ := r.Bundle(time.Now())
	p := &record.Poster{BaseURL: srv.URL, Attempts: 3, Backoff: time.Millisecond}
	if err := p.Post(context.Background(), bundle); err == nil || fake.requests != 3 {
		t.Fatalf("err %v after %d requests", err, fake.requests)
	}
}
