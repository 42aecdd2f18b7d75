package retention

import (
	"context"
	"fmt"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
)

// Erasure is what erasing one call removed, for the audit trail.
type Erasure struct {
	pipeline.Erased
	Review review.Erased `json:"review"`
}

// Calls is what retention needs of the pipeline: find calls, read their
// state, erase them (pipeline.Client).
type Calls interface {
	CallIDs(ctx context.Context) ([]string, error)
	State(ctx context.Context, id string) (pipeline.CallState, error)
	Erase(ctx context.Context, id string, tomb pipeline.CallState) (pipeline.Erased, error)
	Object(ctx context.Context, o pipeline.Objection) (pipeline.Erased, error)
}

// Items is what retention needs of the review store (review.Store).
type Items interface {
	Keys(ctx context.Context) ([]string, error)
	Get(ctx context.Context, id string) (review.Item, error)
	Erase(ctx context.Context, id string) (review.Erased, error)
	// Retire keeps the item's content-free decisions for accuracy
	// monitoring, then erases it: the end of retention.
	Retire(ctx context.Context, id string) (review.Erased, error)
}

var (
	_ Calls = (*pipeline.Client)(nil)
	_ Items = (*review.Store)(nil)
)

// Eraser removes a call from everywhere callscribe keeps it: the pipeline's
// streams and buckets, and the review item with its local record copy.
type Eraser struct {
	Pipeline Calls
	// Review may be nil when no review store exists in the deployment.
	Review Items
}

// Erase leaves tomb as the call's only trace, when its retention period
// has ended: its review decisions stay on OUTCOMES, content-free
// (review.Store.Retire).
func (e Eraser) Erase(ctx context.Context, id string, tomb pipeline.CallState) (Erasure, error) {
	p, err := e.Pipeline.Erase(ctx, id, tomb)
	out := Erasure{Erased: p}
	if err != nil {
		return out, err
	}
	if e.Review != nil {
		if out.Review, err = e.Review.Retire(ctx, id); err != nil {
			return out, fmt.Errorf("erase %s: %w", id, err)
		}
	}
	return out, nil
}

// Object honours a caller's objection to recording everywhere.
func (e Eraser) Object(ctx context.Context, o pipeline.Objection) (Erasure, error) {
	p, err := e.Pipeline.Object(ctx, o)
	out := Erasure{Erased: p}
	if err != nil {
		return out, err
	}
	if e.Review != nil {
		if out.Review, err = e.Review.Erase(ctx, o.CallID); err != nil {
			return out, fmt.Errorf("objection to %s: %w", o.CallID, err)
		}
	}
	return out, nil
}

// AuditEvents are the deletions one erasure made, one event per kind of
// object that existed, for the audit trail.
func (e Erasure) AuditEvents(who audit.Actor, purpose audit.Purpose) []audit.Event {
	del := func(k audit.ObjectKind) audit.Event {
		return audit.Allow(who, audit.ActionDelete, audit.Object{Kind: k, ID: e.CallID}, purpose)
	}
	var out []audit.Event
	if e.Recording {
		out = append(out, del(audit.KindRecording))
	}
	if e.Results > 0 || e.Failed > 0 {
		out = append(out, del(audit.KindTranscript), del(audit.KindDecision))
	}
	if e.Review.ItemRevisions > 0 {
		out = append(out, del(audit.KindProposal))
	}
	if e.Review.Records > 0 {
		out = append(out, del(audit.KindRecord))
	}
	if len(out) == 0 { // nothing held (an objection before the call arrived): still on the record
		out = append(out, del(audit.KindRecording))
	}
	return out
}
