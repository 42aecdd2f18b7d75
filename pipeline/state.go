package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotFound means the pipeline has no record of the thing asked for: an
// unknown call ID, or a call without a result or dead letter (yet).
var ErrNotFound = errors.New("not found")

// State is where a call is in the pipeline.
type State string

const (
	// StateReceived: stored and queued; also a call waiting for a retry or
	// handed back by a worker that shut down.
	StateReceived State = "received"
	// StateTranscribing: a worker holds the call.
	StateTranscribing State = "transcribing"
	// StateTranscribed: a result is on RESULTS.
	StateTranscribed State = "transcribed"
	// StateFailed: dead-lettered on FAILED; the audio is kept for a person to look at.
	StateFailed State = "failed"
	// StateObjected: the caller objected to recording; audio purged, never transcribed.
	StateObjected State = "objected"
	// StateDeleted: removed under the retention policy; only this entry,
	// without content, remains.
	StateDeleted State = "deleted"
)

// Settled reports whether the call needs no more work from the pipeline.
func (s State) Settled() bool {
	return s == StateTranscribed || s == StateFailed || s == StateObjected || s == StateDeleted
}

// CallState is the CALL_STATE entry for one call.
type CallState struct {
	State     State          `json:"state"`
	Label     classify.Label `json:"label,omitempty"`
	UpdatedAt time.Time      `json:"updated_at"`
	// Attempts is how many times a worker has been handed the call.
	Attempts int `json:"attempts,omitempty"`
	// Reason explains failed states and pending retries.
	Reason string `json:"reason,omitempty"`
	// Worker is the worker that last changed the state.
	Worker string `json:"worker,omitempty"`
	// CallAt is when the call was made (CallMeta.StartedAt); retention
	// periods count from it.
	CallAt time.Time `json:"call_at,omitzero"`
	// By is the member of staff who recorded an objection.
	By string `json:"by,omitempty"`
	// ReceivedAt is when ingest queued the call; later states keep it.
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// StartedAt is when the worker took the call for the current attempt
	// (state transcribing).
	StartedAt time.Time `json:"started_at,omitzero"`
	// Stage is what the worker is doing with the call (state
	// transcribing); the stage began at UpdatedAt.
	Stage Stage `json:"stage,omitempty"`
	// ResultSeq is the RESULTS sequence of the result the worker published
	// (state transcribed): the call's one true result, whatever else is
	// later published on its subject (see Client.Result).
	ResultSeq uint64 `json:"result_seq,omitempty"`
	// Revision is the KV revision of this entry; not stored in the value.
	Revision uint64 `json:"-"`
}

// State returns the current state of a call; the error wraps ErrNotFound
// for a call ID the pipeline has never received.
func (c *Client) State(ctx context.Context, id string) (CallState, error) {
	if !ValidID(id) {
		return CallState{}, fmt.Errorf("state %q: %w: malformed call ID", truncate(id, 40), ErrInvalidCall)
	}
	kv, err := c.stateStore(ctx)
	if err != nil {
		return CallState{}, fmt.Errorf("state %s: %w", id, err)
	}
	st, err := getState(ctx, kv, id)
	if err != nil {
		return CallState{}, fmt.Errorf("state %s: %w", id, err)
	}
	return st, nil
}

func getState(ctx context.Context, kv jetstream.KeyValue, id string) (CallState, error) {
	e, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return CallState{}, ErrNotFound
	}
	if err != nil {
		return CallState{}, err
	}
	var st CallState
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return CallState{}, fmt.Errorf("decode state revision %d: %w", e.Revision(), err)
	}
	st.Revision = e.Revision()
	return st, nil
}

// ErrErased means the call was erased (objection or retention) and its
// tombstone is final: no state change may overwrite it.
var ErrErased = errors.New("call was erased")

// Erased reports whether the state is a tombstone left by Erase.
func (s State) Erased() bool { return s == StateObjected || s == StateDeleted }

// putState records a state change, stamping the time. It never overwrites
// a tombstone (the error wraps ErrErased): the write is conditional on the
// revision it read, so an objection that lands between the read and the
// write is not undone by a worker that was still busy with the call.
func (c *Client) putState(ctx context.Context, id string, st CallState) error {
	kv, err := c.stateStore(ctx)
	if err != nil {
		return err
	}
	for range 3 {
		cur, err := getState(ctx, kv, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("set state %s=%s: %w", id, st.State, err)
		}
		if cur.State.Erased() {
			return fmt.Errorf("set state %s=%s: %w (%s)", id, st.State, ErrErased, cur.State)
		}
		if st.CallAt.IsZero() {
			st.CallAt = cur.CallAt
		}
		if st.ReceivedAt.IsZero() {
			st.ReceivedAt = cur.ReceivedAt
		}
		st.UpdatedAt = time.Now().UTC()
		data, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("encode state: %w", err)
		}
		if cur.Revision == 0 {
			_, err = kv.Create(ctx, id, data)
		} else {
			_, err = kv.Update(ctx, id, data, cur.Revision)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongSequence(err) {
			return fmt.Errorf("set state %s=%s: %w", id, st.State, err)
		}
		// Someone else wrote in between: read again and decide again.
	}
	return fmt.Errorf("set state %s=%s: the entry kept changing under us", id, st.State)
}

// isWrongSequence reports the server's refusal of a conditional write.
func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) // R>1
}

// claimState creates the call's entry only if the call is unknown. It is the
// durable duplicate check for ingest: exactly one submission of an ID wins.
// It returns the existing state (and created=false) when the ID is known.
func (c *Client) claimState(ctx context.Context, id string, st CallState) (existing CallState, created bool, err error) {
	kv, err := c.stateStore(ctx)
	if err != nil {
		return CallState{}, false, err
	}
	st.UpdatedAt = time.Now().UTC()
	data, err := json.Marshal(st)
	if err != nil {
		return CallState{}, false, fmt.Errorf("encode state: %w", err)
	}
	_, err = kv.Create(ctx, id, data)
	if err == nil {
		return st, true, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return CallState{}, false, fmt.Errorf("claim state %s: %w", id, err)
	}
	existing, err = getState(ctx, kv, id)
	if err != nil {
		return CallState{}, false, fmt.Errorf("read existing state %s: %w", id, err)
	}
	return existing, false, nil
}

// releaseClaim removes a claim made by an ingest that failed before anything
// was queued, so the ID does not look received when it is not.
func (c *Client) releaseClaim(ctx context.Context, id string) error {
	kv, err := c.stateStore(ctx)
	if err != nil {
		return err
	}
	return kv.Delete(ctx, id)
}

// CallIDs lists every call ID in CALL_STATE, tombstones included.
func (c *Client) CallIDs(ctx context.Context) ([]string, error) {
	kv, err := c.stateStore(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	var out []string
	for k := range keys.Keys() {
		out = append(out, k)
	}
	return out, nil
}
