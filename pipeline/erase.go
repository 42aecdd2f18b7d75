package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Erased says what Erase removed, for the audit trail: counts and flags,
// never content.
type Erased struct {
	CallID    string `json:"call_id"`
	Recording bool   `json:"recording"` // the audio object existed and was deleted
	Queued    uint64 `json:"queued"`    // messages still waiting on CALLS
	Results   uint64 `json:"results"`   // transcripts and decisions on RESULTS
	Failed    uint64 `json:"failed"`    // dead letters on FAILED
	// StateRevisions is how many CALL_STATE revisions (the call's history)
	// were replaced by the tombstone.
	StateRevisions uint64 `json:"state_revisions"`
}

// Erase removes everything the pipeline holds about a call — its queued
// message, audio, results, dead letters and state history — and leaves
// tomb as its only CALL_STATE entry. The tombstone carries no content: a
// state, a reason and who asked. It stays so that a late or repeated
// submission of the same call ID is refused (ingest's create-if-absent
// claim finds it), and so that a worker still transcribing the call sees
// that its result must be discarded.
//
// Erase is idempotent: erasing an erased call succeeds and removes nothing.
// Every message is erased with JetStream's secure delete (see EraseSubject),
// so the content is overwritten on disk too.
func (c *Client) Erase(ctx context.Context, id string, tomb CallState) (Erased, error) {
	e := Erased{CallID: id}
	if !ValidID(id) {
		return e, fmt.Errorf("erase %q: %w: malformed call ID", truncate(id, 40), ErrInvalidCall)
	}
	if tomb.State != StateObjected && tomb.State != StateDeleted {
		return e, fmt.Errorf("erase %s: tombstone state %q: want %s or %s", id, tomb.State, StateObjected, StateDeleted)
	}
	// The tombstone goes first: from here on ingest refuses the ID and a
	// worker that finishes will not publish (see worker.finish).
	kv, err := c.stateStore(ctx)
	if err != nil {
		return e, fmt.Errorf("erase %s: %w", id, err)
	}
	if err := c.putTombstone(ctx, kv, id, tomb); err != nil {
		return e, fmt.Errorf("erase %s: %w", id, err)
	}
	// Stop a worker that is transcribing the call now.
	if err := c.announceErased(id); err != nil {
		return e, fmt.Errorf("erase %s: %w", id, err)
	}
	if e.Queued, err = c.EraseSubject(ctx, StreamCalls, SubjectRecorded(id), 0); err != nil {
		return e, fmt.Errorf("erase %s: %w", id, err)
	}
	if e.Recording, err = c.purgeRecording(ctx, id); err != nil {
		return e, fmt.Errorf("erase %s: %w", id, err)
	}
	if e.Results, err = c.EraseSubject(ctx, StreamResults, SubjectTranscribed(id), 0); err != nil {
		return e, fmt.Errorf("erase %s: %w", id, err)
	}
	if e.Failed, err = c.EraseSubject(ctx, StreamFailed, SubjectFailed(id), 0); err != nil {
		return e, fmt.Errorf("erase %s: %w", id, err)
	}
	if _, err = c.EraseSubject(ctx, "KV_"+BucketIntake, "$KV."+BucketIntake+"."+id, 0); err != nil {
		return e, fmt.Errorf("erase %s: intake: %w", id, err)
	}
	// Erase the earlier revisions (they held the label and failure reasons)
	// and keep only the tombstone, written first so that the ID never looks
	// unknown in between.
	if e.StateRevisions, err = c.EraseSubject(ctx, "KV_"+BucketState, "$KV."+BucketState+"."+id, 1); err != nil {
		return e, fmt.Errorf("erase %s: state history: %w", id, err)
	}
	return e, nil
}

// putTombstone writes the final state of an erased call.
func (c *Client) putTombstone(ctx context.Context, kv jetstream.KeyValue, id string, tomb CallState) error {
	tomb.UpdatedAt = time.Now().UTC()
	tomb.Label, tomb.Worker, tomb.Attempts = "", "", 0
	data, err := json.Marshal(tomb)
	if err != nil {
		return fmt.Errorf("encode tombstone: %w", err)
	}
	if _, err := kv.Put(ctx, id, data); err != nil {
		return fmt.Errorf("write tombstone: %w", err)
	}
	return nil
}

// EraseSubject securely deletes every message on subject from stream but
// the newest keep, and says how many it deleted. Each message is
// overwritten on disk (JetStream's secure delete), not only marked deleted:
// a plain purge leaves the bytes in the store's block files until the block
// happens to be compacted, and for health data "deleted" must mean gone.
func (c *Client) EraseSubject(ctx context.Context, stream, subject string, keep uint64) (uint64, error) {
	s, err := c.js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, bucketErr(stream, err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0, fmt.Errorf("%s: count %s: %w", stream, subject, err)
	}
	n := info.State.Subjects[subject]
	if n <= keep {
		return 0, nil
	}
	if info.Config.DenyDelete {
		// A bucket made by nats.go's defaults (see EnsureErasableKV).
		c.log.Warn().Str("stream", stream).Msg("stream denies message deletes: purging instead of erasing; the bytes stay on disk until compaction")
		opts := []jetstream.StreamPurgeOpt{jetstream.WithPurgeSubject(subject)}
		if keep > 0 {
			opts = append(opts, jetstream.WithPurgeKeep(keep))
		}
		if err := s.Purge(ctx, opts...); err != nil {
			return 0, fmt.Errorf("%s: purge %s: %w", stream, subject, err)
		}
		return n - keep, nil
	}
	var erased uint64
	for seq := uint64(1); erased < n-keep; {
		m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break // fewer than counted: someone else erased some
		}
		if err != nil {
			return erased, fmt.Errorf("%s: find %s from %d: %w", stream, subject, seq, err)
		}
		// Two erasers may race (an objection and the worker it stopped):
		// a message the other one erased first is gone, which is the point.
		if err := s.SecureDeleteMsg(ctx, m.Sequence); err != nil && !alreadyGone(err) {
			return erased, fmt.Errorf("%s: erase %s seq %d: %w", stream, subject, m.Sequence, err)
		}
		erased++
		seq = m.Sequence + 1
	}
	return erased, nil
}

// eraseQueued securely deletes a settled call's message from CALLS, just
// before it is acknowledged or terminated. A work queue removes a settled
// message with a plain delete, which leaves its bytes (the call's metadata:
// NHS number, caller number) in the block file until the whole block is
// emptied or compacted; an erasure that comes later can no longer reach
// them (issue 12 found them in CALLS/msgs/1.blk after an objection).
func (c *Client) eraseQueued(ctx context.Context, seq uint64) error {
	s, err := c.js.Stream(ctx, StreamCalls)
	if err != nil {
		return fmt.Errorf("erase queued message %d: %w", seq, bucketErr(StreamCalls, err))
	}
	if err := s.SecureDeleteMsg(ctx, seq); err != nil && !alreadyGone(err) {
		return fmt.Errorf("erase queued message %d: %w", seq, err)
	}
	return nil
}

// alreadyGone reports a delete that failed because the message no longer
// exists. The server answers that with the generic "message deletion
// unsuccessful" code, so the description is what tells it apart.
func alreadyGone(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrMsgNotFound) ||
		(errors.As(err, &apiErr) && strings.Contains(apiErr.Description, "no message found")) ||
		strings.Contains(err.Error(), "no message found")
}
