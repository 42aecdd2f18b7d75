package retention

import (
	"context"
	"fmt"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
)

// Erasure is what erasing one call removed, for the audit trail.
type Erasure struct {
	pipeline.Erased
	Review review.Erased `json:"review"`
}

// Eraser removes a call from everywhere callscribe keeps it: the pipeline's
// streams and buckets, and the review item with its local record copy.
type Eraser struct {
	Pipeline *pipeline.Client
	// Review may be nil when no review store exists in the deployment.
	Review *review.Store
}

// Erase leaves tomb as the call's only trace.
func (e Eraser) Erase(ctx context.Context, id string, tomb pipeline.CallState) (Erasure, error) {
	p, err := e.Pipeline.Erase(ctx, id, tomb)
	out := Erasure{Erased: p}
	if err != nil {
		return out, err
	}
	if e.Review != nil {
		if out.Review, err = e.Review.Erase(ctx, id); err != nil {
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
