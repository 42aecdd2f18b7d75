package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Backlog is the transcription queue as the server sees it.
type Backlog struct {
	// Waiting is how many calls are queued and not yet handed to a worker.
	Waiting uint64 `json:"waiting"`
	// InFlight is how many calls were handed to a worker and are not yet
	// settled; a call waiting to be retried after a failed attempt counts
	// here until it is handed out again.
	InFlight int `json:"in_flight"`
	// Oldest is when the oldest call still on the queue, waiting or in a
	// worker's hands, was queued; zero when the queue is empty.
	Oldest time.Time `json:"oldest,omitzero"`
}

// Backlog reads the queue's stream and the shared consumer: two reads,
// whatever the length of the queue, so it is cheap enough for every metrics
// scrape and page view. Before any worker has created the consumer, every
// queued call counts as waiting.
func (c *Client) Backlog(ctx context.Context) (Backlog, error) {
	s, err := c.js.Stream(ctx, StreamCalls)
	if err != nil {
		return Backlog{}, fmt.Errorf("backlog: %w", bucketErr(StreamCalls, err))
	}
	var b Backlog
	st := s.CachedInfo().State
	if st.Msgs > 0 {
		// CALLS is a work queue: a call leaves it when a worker settles it,
		// so its first message is the oldest call not yet settled.
		b.Oldest = st.FirstTime
	}
	cons, err := c.js.Consumer(ctx, StreamCalls, ConsumerTranscribers)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		b.Waiting = st.Msgs
		return b, nil
	}
	if err != nil {
		return Backlog{}, fmt.Errorf("backlog: %w", err)
	}
	info := cons.CachedInfo() // fetched by Consumer: no second read
	b.Waiting, b.InFlight = info.NumPending, info.NumAckPending
	return b, nil
}

// QueuePosition reports how many calls are ahead of a call waiting on the
// queue: queued before it and not yet handed to any worker. Calls erased
// from the queue while waiting are still counted, so it is an upper bound.
// waiting is false when the call is not waiting for its first delivery (not
// queued, held by a worker, or waiting to be retried).
func (c *Client) QueuePosition(ctx context.Context, id string) (ahead int, waiting bool, err error) {
	if !ValidID(id) {
		return 0, false, fmt.Errorf("queue position %q: %w: malformed call ID", truncate(id, 40), ErrInvalidCall)
	}
	s, err := c.js.Stream(ctx, StreamCalls)
	if err != nil {
		return 0, false, fmt.Errorf("queue position %s: %w", id, bucketErr(StreamCalls, err))
	}
	msg, err := s.GetLastMsgForSubject(ctx, SubjectRecorded(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("queue position %s: %w", id, err)
	}
	// Every message after the last one delivered is waiting (the consumer
	// takes the stream in order), and only waiting ones lie between it and
	// this call's.
	after := s.CachedInfo().State.FirstSeq - 1
	cons, err := c.js.Consumer(ctx, StreamCalls, ConsumerTranscribers)
	switch {
	case err == nil:
		after = max(after, cons.CachedInfo().Delivered.Stream)
	case !errors.Is(err, jetstream.ErrConsumerNotFound):
		return 0, false, fmt.Errorf("queue position %s: %w", id, err)
	}
	if msg.Sequence <= after {
		return 0, false, nil
	}
	return int(msg.Sequence - after - 1), true, nil
}

// QueuedPerCall counts the messages on calls.recorded.<id> for each call
// still on CALLS. Each call should have one: a second would be a second
// transcription (exactly-once checks of ingest and the drop-folder watcher).
func (c *Client) QueuedPerCall(ctx context.Context) (map[string]uint64, error) {
	s, err := c.js.Stream(ctx, StreamCalls)
	if err != nil {
		return nil, fmt.Errorf("queued per call: %w", err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(SubjectRecorded("*")))
	if err != nil {
		return nil, fmt.Errorf("queued per call: %w", err)
	}
	out := make(map[string]uint64, len(info.State.Subjects))
	for subj, n := range info.State.Subjects {
		out[strings.TrimPrefix(subj, SubjectRecorded(""))] = n
	}
	return out, nil
}
