package main

import (
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                          "0s",
		0:                                     "0s",
		45*time.Second + 400*time.Millisecond: "45s",
		3*time.Minute + 7*time.Second:         "3m07s",
		2*time.Hour + 5*time.Minute:           "2h05m",
		76 * time.Hour:                        "3d04h",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// Each state reads as words: "queued" for received, with ages, attempts,
// the stage and the worker.
func TestDescribeStates(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	two := 2
	cases := []struct {
		st    pipeline.CallState
		ahead *int
		want  string
	}{
		{pipeline.CallState{State: pipeline.StateReceived, ReceivedAt: ago(4*time.Minute + 12*time.Second), UpdatedAt: ago(4 * time.Minute)}, &two,
			"queued for 4m12s (received 2026-03-02 09:55:48 UTC), 2 calls ahead of it"},
		{pipeline.CallState{State: pipeline.StateReceived, ReceivedAt: ago(time.Hour), UpdatedAt: ago(30 * time.Second), Attempts: 1}, nil,
			"queued for 1h00m (received 2026-03-02 09:00:00 UTC), again after attempt 1 ended 30s ago"},
		{pipeline.CallState{State: pipeline.StateTranscribing, StartedAt: ago(200 * time.Second), UpdatedAt: ago(2 * time.Second),
			Stage: pipeline.StageClassifying, Attempts: 2, Worker: "host-1"}, nil,
			"transcribing for 3m20s (since 2026-03-02 09:56:40 UTC), stage classifying for 2s, attempt 2, worker host-1"},
		{pipeline.CallState{State: pipeline.StateTranscribed, UpdatedAt: ago(12 * time.Minute), Attempts: 1}, nil,
			"transcribed 12m00s ago (2026-03-02 09:48:00 UTC), 1 attempt"},
		{pipeline.CallState{State: pipeline.StateFailed, UpdatedAt: ago(2 * time.Hour), Attempts: 5}, nil,
			"failed 2h00m ago (2026-03-02 08:00:00 UTC), 5 attempts"},
	}
	for _, c := range cases {
		if got := describe(c.st, c.ahead, now); got != c.want {
			t.Errorf("describe(%s):\n got %q\nwant %q", c.st.State, got, c.want)
		}
	}
}
