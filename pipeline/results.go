package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/transcribe"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Schema names of the published messages, so consumers can tell versions
// apart when the layout changes.
const (
	SchemaResult = "callscribe.result.v1"
	SchemaFailed = "callscribe.failed.v1"
)

// ResultMessage is published on calls.transcribed.<id>.
type ResultMessage struct {
	Schema     string                 `json:"schema"`
	Call       CallMeta               `json:"call"`
	Transcript *transcribe.Transcript `json:"transcript"`
	Decision   classify.Decision      `json:"decision"`
	WorkerID   string                 `json:"worker_id"`
	// Attempt is the delivery that produced this result (1 = first try).
	Attempt int           `json:"attempt"`
	Timings ResultTimings `json:"timings"`
	// TokensDropped is set when per-token detail was removed from the
	// transcript to fit the server's message size limit; segments are intact.
	TokensDropped bool      `json:"tokens_dropped,omitempty"`
	ProcessedAt   time.Time `json:"processed_at"`
}

// ResultTimings say where a call's time went.
type ResultTimings struct {
	// QueueWait is from the call being queued to this attempt starting.
	QueueWait time.Duration `json:"queue_wait_ns"`
	// Processing is the Processor's run (transcription + classification).
	Processing time.Duration `json:"processing_ns"`
}

// ErrorKind says why a call was dead-lettered.
type ErrorKind string

const (
	// KindPermanent: the Processor said the input can never succeed (Permanent).
	KindPermanent ErrorKind = "permanent"
	// KindPanic: the Processor panicked.
	KindPanic ErrorKind = "panic"
	// KindExhausted: transient failures used up Worker.MaxDeliver attempts.
	KindExhausted ErrorKind = "exhausted"
	// KindInvalid: the queued message itself is unusable (bad metadata,
	// missing recording); no attempt was made.
	KindInvalid ErrorKind = "invalid"
)

// FailedMessage is published on calls.failed.<id>: a call the pipeline will
// not retry, with enough detail for a person to decide what to do. The audio
// stays in RECORDINGS.
type FailedMessage struct {
	Schema string `json:"schema"`
	CallID string `json:"call_id"`
	// Call is nil when the queued metadata could not be decoded; Raw then
	// holds the message as received, so nothing is lost.
	Call       *CallMeta `json:"call,omitempty"`
	Raw        []byte    `json:"raw,omitempty"`
	Reason     string    `json:"reason"`
	Kind       ErrorKind `json:"kind"`
	Deliveries int       `json:"deliveries"`
	WorkerID   string    `json:"worker_id"`
	// QueueSeq is the message's sequence on CALLS.
	QueueSeq uint64    `json:"queue_seq"`
	FailedAt time.Time `json:"failed_at"`
}

// Result returns the result the pipeline published for a call: the one at
// the sequence the worker recorded in CALL_STATE, or for a call settled
// without one (older data, a redelivery that found the result), the first
// on its subject since the call was received that agrees with the queued
// metadata while there is any. Never simply the latest: a body published
// later on the same subject (a forgery) is never shown, reviewed or put in
// a record in its place. The error wraps ErrNotFound when there is none.
func (c *Client) Result(ctx context.Context, id string) (*ResultMessage, error) {
	r, _, err := c.result(ctx, id)
	return r, err
}

// result is Result with the result's sequence on RESULTS.
func (c *Client) result(ctx context.Context, id string) (*ResultMessage, uint64, error) {
	if !ValidID(id) {
		return nil, 0, fmt.Errorf("result %q: %w: malformed call ID", truncate(id, 40), ErrInvalidCall)
	}
	st, err := c.State(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, 0, fmt.Errorf("result %s: %w", id, err)
	}
	if st.ResultSeq > 0 {
		r, err := c.resultAt(ctx, id, st.ResultSeq)
		if err != nil {
			return nil, 0, fmt.Errorf("result %s: %w", id, err)
		}
		return r, st.ResultSeq, nil
	}
	var want *CallMeta
	if q, err := c.Queued(ctx, id); err == nil {
		want = &q
	} else if !errors.Is(err, ErrNotFound) {
		return nil, 0, fmt.Errorf("result %s: %w", id, err)
	}
	r, seq, err := c.firstResult(ctx, id, st.ReceivedAt, want)
	if err != nil {
		return nil, 0, fmt.Errorf("result %s: %w", id, err)
	}
	return r, seq, nil
}

// Failure returns the latest dead letter for a call; the error wraps
// ErrNotFound when there is none.
func (c *Client) Failure(ctx context.Context, id string) (*FailedMessage, error) {
	var f FailedMessage
	if err := c.lastOn(ctx, StreamFailed, SubjectFailed, id, &f); err != nil {
		return nil, fmt.Errorf("failure %s: %w", id, err)
	}
	return &f, nil
}

// lastOn decodes the last message on stream for the call's subject.
func (c *Client) lastOn(ctx context.Context, stream string, subject func(string) string, id string, v any) error {
	if !ValidID(id) {
		return fmt.Errorf("%w: malformed call ID", ErrInvalidCall)
	}
	s, err := c.stream(ctx, stream)
	if err != nil {
		return err
	}
	m, err := s.GetLastMsgForSubject(ctx, subject(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(m.Data, v); err != nil {
		return fmt.Errorf("decode %s seq %d: %w", stream, m.Sequence, err)
	}
	return nil
}

// publishResult publishes r with Nats-Msg-Id = call ID, so a redelivered
// call that is processed again does not publish a second result within the
// duplicate window. A result too big for the server loses its per-token
// detail first; if it is still too big, that is a permanent failure.
// A ttl > 0 makes the server remove the message after it (retention).
func (c *Client) publishResult(ctx context.Context, r *ResultMessage, ttl time.Duration) (*jetstream.PubAck, error) {
	r.Schema = SchemaResult
	data, err := json.Marshal(r)
	if err != nil {
		return nil, Permanent(fmt.Errorf("encode result: %w", err))
	}
	limit := c.nc.MaxPayload() - 1024 // room for headers
	if int64(len(data)) > limit && r.Transcript != nil {
		data, err = json.Marshal(withoutTokens(r))
		if err != nil {
			return nil, Permanent(fmt.Errorf("encode result: %w", err))
		}
		r.TokensDropped = true
	}
	if int64(len(data)) > limit {
		return nil, Permanent(fmt.Errorf("result is %d bytes, over the server's %d byte message limit", len(data), limit))
	}
	msg := &nats.Msg{Subject: SubjectTranscribed(r.Call.ID), Data: data}
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(r.Call.ID), jetstream.WithExpectStream(StreamResults)}
	if ttl > 0 {
		opts = append(opts, jetstream.WithMsgTTL(ttl))
	}
	ack, err := c.js.PublishMsg(ctx, msg, opts...)
	if err != nil {
		return nil, fmt.Errorf("publish result: %w", err)
	}
	if ack.Duplicate && !c.ownsResult(ctx, r, ack.Sequence) {
		// Someone published on the call's subject with its ID as
		// Nats-Msg-Id first, about another patient: this result must still
		// be stored, under an ID of its own, and recorded (ResultSeq) as
		// the call's result instead of the squatter.
		opts[0] = jetstream.WithMsgID(fmt.Sprintf("%s/%s/%d", r.Call.ID, r.WorkerID, r.Attempt))
		if ack, err = c.js.PublishMsg(ctx, msg, opts...); err != nil {
			return nil, fmt.Errorf("publish result: %w", err)
		}
	}
	return ack, nil
}

// ownsResult reports whether the message the server took r for a duplicate
// of (at seq) is about the same call: an earlier publish of this call's
// result, not a body that only squats on its deduplication ID.
func (c *Client) ownsResult(ctx context.Context, r *ResultMessage, seq uint64) bool {
	prev, err := c.resultAt(ctx, r.Call.ID, seq)
	return err == nil && len(CallDiff(prev.Call, r.Call)) == 0
}

// withoutTokens copies r with the transcript's tokens removed.
func withoutTokens(r *ResultMessage) *ResultMessage {
	cp := *r
	t := *r.Transcript
	t.Segments = make([]transcribe.Segment, len(r.Transcript.Segments))
	for i, s := range r.Transcript.Segments {
		s.Tokens = nil
		t.Segments[i] = s
	}
	cp.Transcript = &t
	cp.TokensDropped = true
	return &cp
}

// publishFailed dead-letters a call, deduplicated by call ID so a retried
// dead-lettering does not produce two letters.
func (c *Client) publishFailed(ctx context.Context, f *FailedMessage) error {
	f.Schema = SchemaFailed
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode dead letter: %w", err)
	}
	msg := &nats.Msg{Subject: SubjectFailed(f.CallID), Data: data}
	if _, err := c.js.PublishMsg(ctx, msg, jetstream.WithMsgID(f.CallID), jetstream.WithExpectStream(StreamFailed)); err != nil {
		return fmt.Errorf("publish dead letter: %w", err)
	}
	return nil
}

// Queued returns the metadata of a call still waiting on CALLS; the error
// wraps ErrNotFound when none is queued.
func (c *Client) Queued(ctx context.Context, id string) (CallMeta, error) {
	if !ValidID(id) {
		return CallMeta{}, fmt.Errorf("queued %q: %w: malformed call ID", truncate(id, 40), ErrInvalidCall)
	}
	s, err := c.js.Stream(ctx, StreamCalls)
	if err != nil {
		return CallMeta{}, fmt.Errorf("queued %s: %w", id, bucketErr(StreamCalls, err))
	}
	m, err := s.GetLastMsgForSubject(ctx, SubjectRecorded(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return CallMeta{}, fmt.Errorf("queued %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return CallMeta{}, fmt.Errorf("queued %s: %w", id, err)
	}
	meta, err := decodeCallMeta(m.Data)
	if err != nil {
		return CallMeta{}, fmt.Errorf("queued %s: %w", id, err)
	}
	return meta, nil
}
