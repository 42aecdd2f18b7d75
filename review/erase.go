package review

import (
	"context"
	"errors"
	"fmt"

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
	if e.ItemRevisions, err = s.kv.Erase(ctx, id); err != nil {
		return e, fmt.Errorf("erase review item %s: %w", id, err)
	}
	if e.Records, err = s.records.Erase(ctx, SubjectConfirmed(id)); err != nil {
		return e, fmt.Errorf("erase review item %s: %w", id, err)
	}
	return e, nil
}

// Keys lists the call IDs that have review items.
func (s *Store) Keys(ctx context.Context) ([]string, error) {
	keys, err := s.kv.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("review keys: %w", err)
	}
	return keys, nil
}

// RecordCopy returns the local copy of a call's confirmed FHIR record (the
// Bundle published on RECORDS); the error wraps pipeline.ErrNotFound.
func (s *Store) RecordCopy(ctx context.Context, id string) ([]byte, error) {
	data, err := s.records.Last(ctx, SubjectConfirmed(id))
	if err != nil {
		return nil, fmt.Errorf("record copy %s: %w", id, err) // wraps pipeline.ErrNotFound
	}
	return data, nil
}

// Bind opens an existing review store without creating or changing it
// (commands that only read); a deployment without one gives nil, nil.
func Bind(ctx context.Context, c *pipeline.Client) (*Store, error) {
	s, err := Open(ctx, c, Config{Bind: true})
	if errors.Is(err, pipeline.ErrNotFound) {
		return nil, nil
	}
	return s, err
}
