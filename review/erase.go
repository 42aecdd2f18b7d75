package review

import (
	"context"
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
