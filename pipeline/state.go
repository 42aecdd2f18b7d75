package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/callscribe/callscribe/call"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotFound means the pipeline has no record of the thing asked for: an
// unknown call ID, or a call without a result or dead letter (yet).
var ErrNotFound = errors.New("not found")

// State is where a call is in the pipeline (call.State).
type State = call.State

// The states (see call.State).
const (
	StateReceived     = call.Received
	StateTranscribing = call.Transcribing
	StateTranscribed  = call.Transcribed
	StateFailed       = call.Failed
	StateObjected     = call.Objected
	StateDeleted      = call.Deleted
)

// CallState is the CALL_STATE entry for one call (call.Status).
type CallState = call.Status

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
	if errors.Is(err, ErrNotFound) {
		// Submitted and queued, not yet taken by a worker: the recorder
		// wrote only its intake.
		if in, ierr := c.Intake(ctx, id); ierr == nil {
			return CallState{State: StateReceived, ReceivedAt: in.ReceivedAt, UpdatedAt: in.ReceivedAt, CallAt: in.CallAt}, nil
		}
	}
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

// ErrErased means the call was erased and its tombstone is final.
var ErrErased = call.ErrErased

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
		if cur.Revision == 0 { // the worker's first write: times from the intake
			if in, err := c.Intake(ctx, id); err == nil {
				cur.CallAt, cur.ReceivedAt = in.CallAt, in.ReceivedAt
			}
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
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongLastSequence(err) {
			return fmt.Errorf("set state %s=%s: %w", id, st.State, err)
		}
		// Someone else wrote in between: read again and decide again.
	}
	return fmt.Errorf("set state %s=%s: the entry kept changing under us", id, st.State)
}

// CallIDs lists every call ID the pipeline knows, tombstones included:
// those in CALL_STATE and those only submitted (INTAKE).
func (c *Client) CallIDs(ctx context.Context) ([]string, error) {
	kv, err := c.stateStore(ctx)
	if err != nil {
		return nil, err
	}
	out, err := kvKeys(ctx, kv)
	if err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	seen := map[string]bool{}
	for _, k := range out {
		seen[k] = true
	}
	submitted, err := c.intakeIDs(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range submitted {
		if !seen[k] {
			out = append(out, k)
		}
	}
	return out, nil
}
