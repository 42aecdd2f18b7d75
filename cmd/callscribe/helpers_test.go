package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

func meta(id string) pipeline.CallMeta {
	return pipeline.CallMeta{ID: id, StartedAt: time.Now().UTC(), Line: "spa-main", RecordingConsent: true}
}

func waitSettled(t *testing.T, c *pipeline.Client, id string) pipeline.CallState {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		st, err := c.State(context.Background(), id)
		if err != nil && !errors.Is(err, pipeline.ErrNotFound) {
			t.Fatalf("state %s: %v", id, err)
		}
		if err == nil && st.State.Settled() {
			return st
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("call %s did not settle", id)
	return pipeline.CallState{}
}
