package web

import (
	"context"
	"io"
	"time"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/retention"
	"github.com/callscribe/callscribe/sar"
)

// CallStates is what the API reads about calls: where one is, its result
// and dead letter (clinicians only), and what the pipeline is doing.
// *pipeline.Client is the real one.
type CallStates interface {
	State(ctx context.Context, id string) (pipeline.CallState, error)
	Result(ctx context.Context, id string) (*pipeline.ResultMessage, error)
	Failure(ctx context.Context, id string) (*pipeline.FailedMessage, error)
	QueuePosition(ctx context.Context, id string) (ahead int, waiting bool, err error)
	Overview(ctx context.Context, failedSince time.Time) (pipeline.Overview, error)
}

// Exporter writes a subject access export as a zip. *sar.Exporter is the
// real one.
type Exporter interface {
	Export(ctx context.Context, req sar.Request, w io.Writer) (sar.Summary, error)
}

// AuditReader reads the audit trail for an actor. It checks the actor
// itself and records the read in the trail before it reads, refusing when
// it cannot (see audit.Log.Query); *audit.Log is the real one.
type AuditReader interface {
	Query(ctx context.Context, a audit.Actor, f audit.Filter) ([]audit.Entry, error)
	VerifyLog(ctx context.Context, a audit.Actor, opts audit.VerifyOptions) (audit.Report, error)
}

// Objector honours an objection to recording and reports what it erased.
// retention.Eraser (erasing in place) is the one the UI uses unless told
// otherwise; a deployment whose web identity may not erase can hand in
// one that asks the objections service on calls.objection.<id> instead.
type Objector interface {
	Object(ctx context.Context, o pipeline.Objection) (retention.Erasure, error)
}
