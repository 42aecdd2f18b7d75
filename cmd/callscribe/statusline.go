package main

import (
	"context"
	"fmt"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

// describe says in one line where a call is, for people: "queued" for the
// received state, how long things have taken, the stage of a call being
// transcribed, and its attempts.
func describe(st pipeline.CallState, ahead *int, now time.Time) string {
	switch st.State {
	case pipeline.StateReceived:
		return describeQueued(st, ahead, now)
	case pipeline.StateTranscribing:
		return describeInFlight(st, now)
	}
	s := fmt.Sprintf("%s %s ago (%s)", st.State, humanDuration(now.Sub(st.UpdatedAt)), when(st.UpdatedAt))
	if st.Attempts > 0 {
		s += ", " + plural(st.Attempts, "attempt")
	}
	return s
}

func describeQueued(st pipeline.CallState, ahead *int, now time.Time) string {
	s := fmt.Sprintf("queued for %s (received %s)", humanDuration(now.Sub(st.QueuedAt())), when(st.QueuedAt()))
	if st.Attempts > 0 {
		s += fmt.Sprintf(", again after attempt %d ended %s ago", st.Attempts, humanDuration(now.Sub(st.UpdatedAt)))
	}
	if ahead != nil {
		s += fmt.Sprintf(", %s ahead of it", plural(*ahead, "call"))
	}
	return s
}

func describeInFlight(st pipeline.CallState, now time.Time) string {
	since := st.StartedAt
	if since.IsZero() { // recorded by a worker that did not say
		since = st.UpdatedAt
	}
	s := fmt.Sprintf("transcribing for %s (since %s)", humanDuration(now.Sub(since)), when(since))
	if st.Stage != "" {
		s += fmt.Sprintf(", stage %s for %s", st.Stage, humanDuration(now.Sub(st.UpdatedAt)))
	}
	s += fmt.Sprintf(", attempt %d", st.Attempts)
	if st.Worker != "" {
		s += ", worker " + st.Worker
	}
	return s
}

// queuePosition asks the queue how many calls wait before a received one;
// nil when it is not waiting for a worker or the queue cannot be read. Only
// service (and DPO) credentials may read the queue, and the server refuses
// other requests without answering them, hence the short bound.
func queuePosition(ctx context.Context, c *pipeline.Client, id string, st pipeline.CallState) *int {
	if st.State != pipeline.StateReceived {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	ahead, waiting, err := c.QueuePosition(ctx, id)
	if err != nil || !waiting {
		return nil
	}
	return &ahead
}

// humanDuration writes d for people, to the second under an hour and
// coarser above: 45s, 3m07s, 2h05m, 3d04h.
func humanDuration(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// when is a moment for people, in UTC like the rest of the pipeline.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// plural is "1 call", "2 calls".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
