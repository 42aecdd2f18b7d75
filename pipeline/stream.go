package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamSpec describes a stream kept by a package outside this one
// (review's confirmed records, the audit trail).
type StreamSpec struct {
	Name        string
	Description string
	Subjects    []string
	Replicas    int // 0 means 1
	// MaxMsgSize bounds one message in bytes; 0: the server's limit.
	MaxMsgSize int32
	// Duplicates is the window in which a repeated message ID is dropped;
	// 0: the server's default.
	Duplicates time.Duration
	// AppendOnly refuses message deletes and purges for ever (the audit
	// trail); a stream can never drop that mark.
	AppendOnly bool
}

// EnsureStream creates or updates a stream: file storage, kept by limits,
// direct gets, the duplicate window of the pipeline's own streams, and new
// messages refused (never old ones dropped) when full.
func (c *Client) EnsureStream(ctx context.Context, spec StreamSpec) error {
	_, err := c.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        spec.Name,
		Description: spec.Description,
		Subjects:    spec.Subjects,
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    max(spec.Replicas, 1),
		Duplicates:  spec.Duplicates,
		MaxMsgSize:  spec.MaxMsgSize,
		AllowDirect: true,
		Discard:     jetstream.DiscardNew,
		DenyDelete:  spec.AppendOnly,
		DenyPurge:   spec.AppendOnly,
	})
	if err != nil {
		return fmt.Errorf("ensure stream %s: %w", spec.Name, err)
	}
	return nil
}

// Stream is a stream opened by name, for packages that read and append
// without speaking NATS themselves.
type Stream struct {
	c    *Client
	name string
	s    jetstream.Stream
}

// Stream opens an existing stream; the error wraps ErrNotFound if there is
// none.
func (c *Client) Stream(ctx context.Context, name string) (*Stream, error) {
	s, err := c.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("stream %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	return &Stream{c: c, name: name, s: s}, nil
}

// Append publishes data on subject if the stream's last sequence is still
// lastSeq, and returns the new message's sequence; the error wraps
// ErrChanged if someone else appended first.
func (s *Stream) Append(ctx context.Context, subject string, data []byte, lastSeq uint64) (uint64, error) {
	ack, err := s.c.js.Publish(ctx, subject, data, jetstream.WithExpectStream(s.name), jetstream.WithExpectLastSequence(lastSeq))
	if isWrongLastSequence(err) {
		return 0, fmt.Errorf("%s: append after %d: %w", s.name, lastSeq, ErrChanged)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: append after %d: %w", s.name, lastSeq, err)
	}
	return ack.Sequence, nil
}

// PublishOnce publishes data on subject with a schema header, once per id
// (the duplicate window drops a repeat), and returns its sequence.
func (s *Stream) PublishOnce(ctx context.Context, subject, id string, data []byte, header map[string]string) (uint64, error) {
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	for k, v := range header {
		msg.Header.Set(k, v)
	}
	ack, err := s.c.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(s.name))
	if err != nil {
		return 0, fmt.Errorf("%s: publish %s: %w", s.name, subject, err)
	}
	return ack.Sequence, nil
}

// Last returns the newest message on subject; the error wraps ErrNotFound.
func (s *Stream) Last(ctx context.Context, subject string) ([]byte, error) {
	m, err := s.s.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%s %s: %w", s.name, subject, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", s.name, subject, err)
	}
	return m.Data, nil
}

// Scan calls fn for every message on subject from stream sequence from to
// the last one when Scan began, in order, skipping holes. A few messages
// are fetched one by one; more through an ordered consumer.
func (s *Stream) Scan(ctx context.Context, subject string, from uint64, fn func(seq uint64, data []byte) error) error {
	info, err := s.s.Info(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", s.name, err)
	}
	last := info.State.LastSeq
	if last < from {
		return nil
	}
	if last-from < 64 {
		return s.scanEach(ctx, from, last, fn)
	}
	cons, err := s.s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", s.name, err)
	}
	for seq := from - 1; seq < last; {
		n, err := s.scanBatch(cons, &seq, fn)
		if err != nil {
			return err
		}
		if n == 0 {
			break // the messages up to last are gone (a removed tail)
		}
	}
	return nil
}

// scanEach gets messages from..last one by one.
func (s *Stream) scanEach(ctx context.Context, from, last uint64, fn func(seq uint64, data []byte) error) error {
	for seq := from; seq <= last; seq++ {
		m, err := s.s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // a hole; the reader decides what that means
		}
		if err != nil {
			return fmt.Errorf("read %s seq %d: %w", s.name, seq, err)
		}
		if err := fn(seq, m.Data); err != nil {
			return err
		}
	}
	return nil
}

// scanBatch passes one fetched batch to fn, advancing *seq; it says how
// many messages the batch held.
func (s *Stream) scanBatch(cons jetstream.Consumer, seq *uint64, fn func(seq uint64, data []byte) error) (int, error) {
	batch, err := cons.Fetch(512, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		return 0, fmt.Errorf("read %s after seq %d: %w", s.name, *seq, err)
	}
	n := 0
	for m := range batch.Messages() {
		md, err := m.Metadata()
		if err != nil {
			return n, fmt.Errorf("read %s after seq %d: %w", s.name, *seq, err)
		}
		*seq, n = md.Sequence.Stream, n+1
		if err := fn(*seq, m.Data()); err != nil {
			return n, err
		}
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
		return n, fmt.Errorf("read %s after seq %d: %w", s.name, *seq, err)
	}
	return n, nil
}

// Erase securely deletes every message on subject (EraseSubject).
func (s *Stream) Erase(ctx context.Context, subject string) (uint64, error) {
	return s.c.EraseSubject(ctx, s.name, subject, 0)
}

// StreamState is what the server counts on a stream.
type StreamState struct {
	Msgs, FirstSeq, LastSeq uint64
	// Deleted counts messages removed from inside the stream.
	Deleted int
}

// State reads the stream's counts from the server.
func (s *Stream) State(ctx context.Context) (StreamState, error) {
	info, err := s.s.Info(ctx)
	if err != nil {
		return StreamState{}, fmt.Errorf("%s: %w", s.name, err)
	}
	st := info.State
	return StreamState{Msgs: st.Msgs, FirstSeq: st.FirstSeq, LastSeq: st.LastSeq, Deleted: st.NumDeleted}, nil
}
