package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Overview is what the pipeline is doing, call by call, as CALL_STATE
// records it.
type Overview struct {
	// InFlight are the calls workers hold, the longest-held first.
	InFlight []CallInFlight `json:"in_flight"`
	// Queued counts the calls waiting for a worker, Retrying among them
	// those waiting to be tried again after a failed attempt.
	Queued   int `json:"queued"`
	Retrying int `json:"retrying"`
	// OldestQueued is when the call waiting longest (OldestQueuedID) was
	// received; zero when none waits.
	OldestQueued   time.Time `json:"oldest_queued,omitzero"`
	OldestQueuedID string    `json:"oldest_queued_id,omitempty"`
	// Failed counts the calls dead-lettered since FailedSince.
	Failed      int       `json:"failed"`
	FailedSince time.Time `json:"failed_since"`
	// Calls is how many entries were read; At is when.
	Calls int       `json:"calls"`
	At    time.Time `json:"at"`
}

// CallInFlight is one call a worker holds.
type CallInFlight struct {
	ID string `json:"id"`
	// Since is when the worker took the call; StageSince when it entered
	// its current Stage.
	Since      time.Time `json:"since"`
	Stage      Stage     `json:"stage,omitempty"`
	StageSince time.Time `json:"stage_since"`
	Attempts   int       `json:"attempts"`
	Worker     string    `json:"worker,omitempty"`
}

// Overview reads every CALL_STATE entry once and sums up the calls in
// flight, the backlog and the failures since failedSince.
//
// It scans the whole bucket: one ordered consumer delivering the latest
// entry of each call (a few hundred bytes each), so its cost grows with the
// calls kept, tombstones included. That is fine for a command an operator
// runs by hand: tens of thousands of entries are a few megabytes, read in
// well under a second on a local server. It is not meant for every metrics
// scrape or page view (Backlog is); if the bucket outgrows a scan, keep an
// index of unsettled calls up to date from a watcher instead.
func (c *Client) Overview(ctx context.Context, failedSince time.Time) (Overview, error) {
	kv, err := c.stateStore(ctx)
	if err != nil {
		return Overview{}, fmt.Errorf("overview: %w", err)
	}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return Overview{}, fmt.Errorf("overview: watch %s: %w", BucketState, err)
	}
	defer func() { _ = w.Stop() }()
	ov := Overview{FailedSince: failedSince, At: time.Now().UTC()}
	seen := map[string]bool{}
	for {
		var e jetstream.KeyValueEntry
		select {
		case e = <-w.Updates():
		case <-ctx.Done():
			return Overview{}, fmt.Errorf("overview: read %s: %w", BucketState, ctx.Err())
		}
		if e == nil { // every entry has been delivered
			if err := c.addSubmitted(ctx, &ov, seen); err != nil {
				return Overview{}, err
			}
			ov.sort()
			return ov, nil
		}
		seen[e.Key()] = true
		var st CallState
		if err := json.Unmarshal(e.Value(), &st); err != nil {
			return Overview{}, fmt.Errorf("overview: decode %s revision %d: %w", e.Key(), e.Revision(), err)
		}
		st.Revision = e.Revision()
		ov.add(e.Key(), st)
	}
}

// addSubmitted counts the calls submitted but not yet taken by a worker:
// they have an intake and no state.
func (c *Client) addSubmitted(ctx context.Context, ov *Overview, seen map[string]bool) error {
	ids, err := c.intakeIDs(ctx)
	if err != nil {
		return fmt.Errorf("overview: %w", err)
	}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		in, err := c.Intake(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue // erased since it was listed
		}
		if err != nil {
			return fmt.Errorf("overview: %w", err)
		}
		ov.add(id, CallState{State: StateReceived, ReceivedAt: in.ReceivedAt, UpdatedAt: in.ReceivedAt, CallAt: in.CallAt})
	}
	return nil
}

func (ov *Overview) add(id string, st CallState) {
	ov.Calls++
	switch st.State {
	case StateTranscribing:
		since := st.StartedAt
		if since.IsZero() { // written by a worker that did not record it
			since = st.UpdatedAt
		}
		ov.InFlight = append(ov.InFlight, CallInFlight{ID: id, Since: since, Stage: st.Stage,
			StageSince: st.UpdatedAt, Attempts: st.Attempts, Worker: st.Worker})
	case StateReceived:
		ov.Queued++
		if st.Attempts > 0 {
			ov.Retrying++
		}
		at := st.QueuedAt()
		if ov.OldestQueued.IsZero() || at.Before(ov.OldestQueued) {
			ov.OldestQueued, ov.OldestQueuedID = at, id
		}
	case StateFailed:
		if !st.UpdatedAt.Before(ov.FailedSince) {
			ov.Failed++
		}
	}
}

func (ov *Overview) sort() {
	sort.Slice(ov.InFlight, func(i, j int) bool { return ov.InFlight[i].Since.Before(ov.InFlight[j].Since) })
}
