package review

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/callscribe/callscribe/pipeline"
)

// Erased says what Erase removed: counts, never content.
type Erased struct {
	ItemRevisions uint64 `json:"item_revisions"` // the review item and its history
	Records       uint64 `json:"records"`        // local copies of the FHIR record
}

// Erase removes a call's review item, every earlier revision of it, and the
// local copy of its confirmed record on RECORDS. Used when the caller
// objects and when the retention period ends. What was sent to a FHIR
// server is the medical record and is not touched. Erasing a call with no
// item is not an error.
func (s *Store) Erase(ctx context.Context, id string) (Erased, error) {
	var e Erased
	if !pipeline.ValidID(id) {
		return e, fmt.Errorf("erase review item: %w: malformed call ID", pipeline.ErrInvalidCall)
	}
	var err error
	if e.ItemRevisions, err = s.c.EraseSubject(ctx, "KV_"+BucketReview, "$KV."+BucketReview+"."+id, 0); err != nil {
		return e, fmt.Errorf("erase review item %s: %w", id, err)
	}
	if e.Records, err = s.c.EraseSubject(ctx, StreamRecords, SubjectConfirmed(id), 0); err != nil {
		return e, fmt.Errorf("erase review item %s: %w", id, err)
	}
	return e, nil
}

// Keys lists the call IDs that have review items.
func (s *Store) Keys(ctx context.Context) ([]string, error) {
	keys, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("review keys: %w", err)
	}
	var out []string
	for k := range keys.Keys() {
		out = append(out, k)
	}
	return out, nil
}

// RecordCopy returns the local copy of a call's confirmed FHIR record (the
// Bundle published on RECORDS); the error wraps pipeline.ErrNotFound.
func (s *Store) RecordCopy(ctx context.Context, id string) ([]byte, error) {
	st, err := s.js.Stream(ctx, StreamRecords)
	if err != nil {
		return nil, fmt.Errorf("record copy %s: %w", id, err)
	}
	m, err := st.GetLastMsgForSubject(ctx, SubjectConfirmed(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("record copy %s: %w", id, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("record copy %s: %w", id, err)
	}
	return m.Data, nil
}

// Bind opens an existing review store without creating or changing it
// (commands that only read); a deployment without one gives nil, nil.
func Bind(ctx context.Context, c *pipeline.Client) (*Store, error) {
	js := c.JetStream()
	kv, err := js.KeyValue(ctx, BucketReview)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("review store: %w", err)
	}
	return &Store{c: c, js: js, kv: kv, cfg: Config{Now: time.Now}}, nil
}
