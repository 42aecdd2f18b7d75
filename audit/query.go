package audit

import (
	"context"
	"fmt"
	"time"
)

// Filter narrows Query. Zero fields match everything.
type Filter struct {
	ObjectID   string
	ObjectKind ObjectKind
	User       string
	Action     Action
	Since      time.Time // events at or after
	Until      time.Time // events before
}

// Match reports whether an event passes the filter.
func (f Filter) Match(ev Event) bool {
	return (f.ObjectID == "" || ev.Object.ID == f.ObjectID) &&
		(f.ObjectKind == "" || ev.Object.Kind == f.ObjectKind) &&
		(f.User == "" || ev.User == f.User) &&
		(f.Action == "" || ev.Action == f.Action) &&
		(f.Since.IsZero() || !ev.Time.Before(f.Since)) &&
		(f.Until.IsZero() || ev.Time.Before(f.Until))
}

// Query returns the entries whose events match f, in log order, after
// a (the caller, as authenticated by them) passes Config.Authorize. It
// reads the whole stream: the trail is one sequence, and a query is an
// occasional investigation, not a hot path. Query does not verify; run
// VerifyLog to know the answer can be trusted.
func (l *Log) Query(ctx context.Context, a Actor, f Filter) ([]Entry, error) {
	if err := l.authorize(ctx, a, ActionRead); err != nil {
		return nil, fmt.Errorf("audit query: %w", err)
	}
	entries, bad, err := l.ReadAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit query: %w", err)
	}
	if len(bad) > 0 {
		l.log.Warn().Int("malformed", len(bad)).Msg("audit query skipped malformed messages; run verify")
	}
	var out []Entry
	for _, e := range entries {
		if f.Match(e.Event) {
			out = append(out, e)
		}
	}
	return out, nil
}
