package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/retention"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/sar"
	"github.com/callscribe/callscribe/web"
)

// What the web UI's API reads, and the real things that provide it.
var (
	_ web.CallStates  = (*pipeline.Client)(nil)
	_ web.Exporter    = (*sar.Exporter)(nil)
	_ web.Exporter    = trailExporter{}
	_ web.AuditReader = (*audit.Log)(nil)
	_ web.Objector    = objectionRequester{}
)

// objectionRequester passes the web's objections to the objections
// component on calls.objection.<id>: the web identity may not erase, the
// objections identity may (and appends the erasure's own audit events).
type objectionRequester struct{ c *pipeline.Client }

func (o objectionRequester) Object(ctx context.Context, ob pipeline.Objection) (retention.Erasure, error) {
	return pipeline.RequestObjection[retention.Erasure](ctx, o.c, ob)
}

// wireAPI gives the web UI's API what people's commands read through it:
// call states, subject access exports and the audit trail. Without a
// trail the export and the trail's endpoints are not offered (they answer
// 503): nothing can be audited.
func wireAPI(cfg *web.Config, store *review.Store, trail *audit.Log) {
	cfg.Calls = store.Pipeline()
	cfg.Objector = objectionRequester{c: store.Pipeline()}
	if trail == nil {
		return
	}
	cfg.AuditReader = trail
	cfg.Exporter = trailExporter{store: store, trail: trail}
}

// trailExporter makes subject access exports with the audit entries about
// each call. It reads the trail directly, once per export: the export as
// a whole is authorised (DPO only) and audited by the web UI before
// anything is sent, so these lookups are not separate reads by the DPO.
type trailExporter struct {
	store *review.Store
	trail *audit.Log
}

func (x trailExporter) Export(ctx context.Context, req sar.Request, w io.Writer) (sar.Summary, error) {
	var byCall map[string][]json.RawMessage
	src := func(ctx context.Context, id string) ([]json.RawMessage, error) {
		if byCall == nil {
			var err error
			if byCall, err = entriesByObject(ctx, x.trail); err != nil {
				return nil, err
			}
		}
		return byCall[id], nil
	}
	e := &sar.Exporter{Pipeline: x.store.Pipeline(), Review: x.store, Audit: src}
	return e.Export(ctx, req, w)
}

// entriesByObject reads the whole trail and groups its entries, as JSON,
// by object ID.
func entriesByObject(ctx context.Context, trail *audit.Log) (map[string][]json.RawMessage, error) {
	entries, _, err := trail.ReadAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit entries for the export: %w", err)
	}
	out := map[string][]json.RawMessage{}
	for _, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		out[e.Event.Object.ID] = append(out[e.Event.Object.ID], b)
	}
	return out, nil
}
