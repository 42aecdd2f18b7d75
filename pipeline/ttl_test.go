package pipeline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
)

// An administrative call's result carries a message TTL ending with its
// retention period, so the server removes it even without a sweeper; a
// clinical call's result has none.
func TestAdministrativeResultExpiresWithItsRetentionPeriod(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	p := &fakeProcessor{fn: func(_ context.Context, m pipeline.CallMeta, _ int) (*pipeline.Result, error) {
		r := cannedResult()
		if m.ID == "ttl-admin" {
			r.Decision.Label = classify.Administrative
		}
		return r, nil
	}}
	w := env.worker("w1", p)
	w.AdministrativeTTL = 3 * time.Second // "four weeks", shortened
	runWorker(t, w)
	for _, id := range []string{"ttl-admin", "ttl-clinical"} {
		m := call(id)
		m.StartedAt = time.Now().UTC()
		ingest(t, env, m)
		waitState(t, env, id, pipeline.StateTranscribed)
	}
	if _, err := env.c.Result(ctx, "ttl-admin"); err != nil {
		t.Fatalf("administrative result not published: %v", err)
	}
	published := time.Now()
	waitFor(t, func() bool {
		_, err := env.c.Result(ctx, "ttl-admin")
		return errors.Is(err, pipeline.ErrNotFound)
	})
	t.Logf("administrative result expired %s after it was read", time.Since(published).Round(100*time.Millisecond))
	if _, err := env.c.Result(ctx, "ttl-clinical"); err != nil {
		t.Errorf("clinical result expired too: %v", err)
	}
}
