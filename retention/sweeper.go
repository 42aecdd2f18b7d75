package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
)

// DefaultEvery is how often a sweeper looks for calls that fell due. The
// notice promises deletion within an hour of being due; ten minutes leaves
// room for a slow pass or a restart.
const DefaultEvery = 10 * time.Minute

// Sweeper deletes calls whose retention period has ended.
type Sweeper struct {
	Eraser
	Policy Policy
	// Every is the time between passes; 0 means DefaultEvery.
	Every time.Duration
	// OnErase, if set, is told about every call deleted (the audit trail).
	OnErase func(ctx context.Context, id, why string, e Erasure)
	Log     zerolog.Logger
	// Now is the clock; time.Now if nil.
	Now func() time.Time
}

// Report sums up one pass.
type Report struct {
	Checked int // calls looked at
	Deleted int // calls erased in this pass
	Kept    int // calls the policy never deletes automatically
	Waiting int // calls not yet due
	Failed  int // calls whose deletion failed; retried on the next pass
}

// Run sweeps until ctx ends, first at once.
func (s *Sweeper) Run(ctx context.Context) error {
	if err := s.Policy.Validate(); err != nil {
		return err
	}
	every := s.Every
	if every <= 0 {
		every = DefaultEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error().Err(err).Msg("retention sweep failed; trying again next pass")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sweep makes one pass over every call the pipeline knows.
func (s *Sweeper) Sweep(ctx context.Context) (Report, error) {
	began := time.Now()
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var r Report
	ids, err := s.Pipeline.CallIDs(ctx)
	if err != nil {
		return r, fmt.Errorf("retention sweep: %w", err)
	}
	var items map[string]bool
	if s.Review != nil {
		keys, err := s.Review.Keys(ctx)
		if err != nil {
			return r, fmt.Errorf("retention sweep: %w", err)
		}
		items = make(map[string]bool, len(keys))
		for _, k := range keys {
			items[k] = true
		}
	}
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		r.Checked++
		if err := s.sweepOne(ctx, id, items[id], now(), &r); err != nil {
			r.Failed++
			errs = append(errs, err)
			s.Log.Error().Err(err).Str("call_id", id).Msg("retention: deletion failed; retried next pass")
		}
	}
	s.Log.Info().Int("checked", r.Checked).Int("deleted", r.Deleted).Int("waiting", r.Waiting).
		Int("kept", r.Kept).Int("failed", r.Failed).Int64("took_ms", time.Since(began).Milliseconds()).Msg("retention sweep")
	return r, errors.Join(errs...)
}

func (s *Sweeper) sweepOne(ctx context.Context, id string, hasItem bool, now time.Time, r *Report) error {
	st, err := s.Pipeline.State(ctx, id)
	if errors.Is(err, pipeline.ErrNotFound) {
		return nil // erased between the listing and now
	}
	if err != nil {
		return err
	}
	var item *review.Item
	if st.State.Erased() {
		if hasItem {
			// A review item created while the call was being erased, or
			// left by a pass that failed half-way: the tombstone wins. A
			// call deleted at the end of retention keeps its decisions;
			// an objected-to one does not.
			erase := s.Review.Erase
			if st.State == pipeline.StateDeleted {
				erase = s.Review.Retire
			}
			_, err := erase(ctx, id)
			return err
		}
		return nil
	}
	if hasItem {
		it, err := s.Review.Get(ctx, id)
		if err != nil && !errors.Is(err, pipeline.ErrNotFound) {
			return err
		}
		if err == nil {
			item = &it
		}
	}
	due, why, ok := s.Policy.Due(st, item)
	switch {
	case !ok:
		r.Kept++
		return nil
	case now.Before(due):
		r.Waiting++
		return nil
	}
	e, err := s.Erase(ctx, id, pipeline.CallState{State: pipeline.StateDeleted, Reason: "retention: " + why})
	if err != nil {
		return err
	}
	r.Deleted++
	s.Log.Info().Str("call_id", id).Str("why", why).Time("due", due).Int64("late_s", int64(now.Sub(due).Seconds())).
		Bool("recording", e.Recording).Uint64("results", e.Results).Uint64("review_revisions", e.Review.ItemRevisions).
		Msg("retention: call deleted")
	if s.OnErase != nil {
		s.OnErase(ctx, id, why, e)
	}
	return nil
}
