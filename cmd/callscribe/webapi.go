package main

import (
	"context"
	"encoding/json"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/sar"
	"github.com/callscribe/callscribe/web"
)

// What the web UI's API reads, and the real things that provide it.
var (
	_ web.CallStates  = (*pipeline.Client)(nil)
	_ web.Exporter    = (*sar.Exporter)(nil)
	_ web.AuditReader = (*audit.Log)(nil)
)

// wireAPI gives the web UI's API what people's commands read through it:
// call states, subject access exports and the audit trail. Without a
// trail the export and the trail's endpoints are not offered (they answer
// 503): nothing can be audited.
func wireAPI(cfg *web.Config, store *review.Store, trail *audit.Log) {
	cfg.Calls = store.Pipeline()
	if trail == nil {
		return
	}
	cfg.AuditReader = trail
	cfg.Exporter = &sar.Exporter{Pipeline: store.Pipeline(), Review: store, Audit: auditEntriesAbout(trail)}
}

// auditEntriesAbout is the export's source of the audit entries about one
// call. It reads the trail directly: the export as a whole is authorised
// (DPO only) and audited by the web UI before anything is sent, so the
// per-call lookups are not separate reads of the trail by the DPO.
func auditEntriesAbout(trail *audit.Log) sar.AuditSource {
	return func(ctx context.Context, id string) ([]json.RawMessage, error) {
		entries, _, err := trail.ReadAll(ctx)
		if err != nil {
			return nil, err
		}
		var out []json.RawMessage
		for _, e := range entries {
			if e.Event.Object.ID != id {
				continue
			}
			b, err := json.Marshal(e)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
		return out, nil
	}
}
