package review

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/callscribe/callscribe/pipeline"
)

// Retire ends a call's time in review when its retention period is over:
// its reviewer decisions are kept on OUTCOMES, content-free and without the
// call ID, and then the item is erased (Erase). Without this, monitoring
// would forget every call retention deletes, and the calls deleted soonest
// are the rejected proposals and administrative triages: the statistics
// would drift towards "confirmed" as weeks passed. An objection erases
// with Erase instead: the caller asked for the call to be gone, and its
// decisions go with it.
func (s *Store) Retire(ctx context.Context, id string) (Erased, error) {
	it, err := s.Get(ctx, id)
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
	case err != nil:
		return Erased{}, fmt.Errorf("retire %s: %w", id, err)
	default:
		if err := s.keepOutcomes(ctx, it); err != nil {
			return Erased{}, fmt.Errorf("retire %s: %w", id, err)
		}
	}
	return s.Erase(ctx, id)
}

// keepOutcomes publishes the item's decisions, each under a message ID
// from the item's OutcomeKey, so that a retirement retried after a crash
// (within the duplicate window) keeps each decision once.
func (s *Store) keepOutcomes(ctx context.Context, it Item) error {
	key := it.OutcomeKey
	if key == "" {
		key = newOutcomeKey() // an item made before keys were
	}
	for i, o := range Outcomes(it) {
		data, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("keep outcome: %w", err)
		}
		if _, err := s.outcomes.PublishOnce(ctx, SubjectOutcomes, fmt.Sprintf("%s-%d", key, i), data, nil); err != nil {
			return fmt.Errorf("keep outcome: %w", err)
		}
	}
	return nil
}

// Retired returns the decisions kept on OUTCOMES, oldest first. A message
// that does not parse, or names no known verdict, is left out and counted
// in skipped: the stream is not trusted for what it holds.
func (s *Store) Retired(ctx context.Context) (out []Outcome, skipped int, err error) {
	err = s.outcomes.Scan(ctx, SubjectOutcomes, 1, func(_ uint64, data []byte) error {
		var o Outcome
		if json.Unmarshal(data, &o) != nil || !o.Verdict.Known() {
			skipped++
			return nil
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, skipped, fmt.Errorf("retired outcomes: %w", err)
	}
	return out, skipped, nil
}

// Known reports whether v is one of Verdicts.
func (v Verdict) Known() bool {
	for _, k := range Verdicts {
		if v == k {
			return true
		}
	}
	return false
}

func newOutcomeKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
