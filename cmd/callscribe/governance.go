package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/retention"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/roles"
	"github.com/callscribe/callscribe/web"
)

// retentionFlags set the records-management periods of the privacy notice.
type retentionFlags struct {
	admin, confirmed, every time.Duration
}

func (f *retentionFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&f.admin, "retention", retention.DefaultPeriod, "delete administrative-only calls (recording, transcript, decision, review item) this long after the call")
	fs.DurationVar(&f.confirmed, "retention-confirmed", retention.DefaultPeriod, "delete the local copy of a call confirmed into the medical record this long after confirmation; negative keeps it")
	fs.DurationVar(&f.every, "retention-every", retention.DefaultEvery, "how often the retention role looks for calls that fell due")
}

// runRetention runs the sweeper until ctx ends.
func (f *retentionFlags) run(ctx context.Context, client *pipeline.Client, store *review.Store, m *metrics, logger zerolog.Logger) error {
	sw := &retention.Sweeper{
		Eraser: retention.Eraser{Pipeline: client, Review: store},
		Policy: retention.Policy{Administrative: f.admin, Confirmed: f.confirmed},
		Every:  f.every,
		Log:    logger.With().Str("component", "retention").Logger(),
		OnErase: func(ctx context.Context, id, _ string, e retention.Erasure) {
			m.deletions.Inc()
			appendAll(ctx, m.trail, logger, e.AuditEvents(serviceActor, audit.PurposeRetention)...)
		},
	}
	logger.Info().Str("administrative", f.admin.String()).Str("confirmed", f.confirmed.String()).Str("every", f.every.String()).Msg("retention role running")
	return sw.Run(ctx)
}

// serveObjections answers objections (telephony, CLI, UI) until ctx ends,
// erasing the call from the pipeline and from review.
func serveObjections(ctx context.Context, client *pipeline.Client, store *review.Store, m *metrics, logger zerolog.Logger) error {
	er := retention.Eraser{Pipeline: client, Review: store}
	log := logger.With().Str("component", "objections").Logger()
	return pipeline.ServeObjections(ctx, client, er.Object, func(o pipeline.Objection, e retention.Erasure, err error) {
		if err != nil {
			log.Error().Str("call_id", o.CallID).Err(err).Msg("objection not honoured")
			return
		}
		m.objections.Inc()
		appendAll(ctx, m.trail, logger, e.AuditEvents(objectionActor(o), audit.PurposeObjection)...)
	})
}

// objectionActor is who the erasure's audit events name: the person the
// web authenticated, when the web sent the objection (the subject says who
// sent it, and only the web may send as the web); otherwise the sending
// component itself. A name in the body from anyone else is not trusted:
// it stays on the tombstone as what the sender reported.
func objectionActor(o pipeline.Objection) audit.Actor {
	if o.Sender == pipeline.IdentityWeb && o.ByRole != "" {
		return audit.Actor{User: o.By, Role: o.ByRole}
	}
	sender := o.Sender
	if !slices.Contains(pipeline.Identities, sender) {
		sender = "unidentified"
	}
	return audit.Actor{User: sender, Role: roles.System}
}

// cmdObject records a caller's objection to recording through the web
// UI's API, as the signed-in person (clinicians and admin staff): the
// call's recording and everything derived from it are erased, and the
// call is refused if it is submitted again.
func cmdObject(ctx context.Context, args []string, stdout io.Writer) error {
	var af apiFlags
	fs := newFlags("object", "CALL-ID [-reason TEXT]")
	af.register(fs, false)
	reason := fs.String("reason", "", "why, in a few words; no call content")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("object: give exactly one call ID")}
	}
	id := fs.Arg(0)
	if !pipeline.ValidID(id) {
		return usageError{fmt.Errorf("object: %q is not a call ID", id)}
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	var v web.ObjectionView
	if err := c.call(ctx, "POST", "/api/v1/calls/"+url.PathEscape(id)+"/objection", map[string]string{"reason": *reason}, &v); err != nil {
		return fmt.Errorf("object %s: %w", id, err)
	}
	e := v.Erasure
	fmt.Fprintf(stdout, "%s: objection recorded by %s; erased: recording %t, %d queued, %d results, %d dead letters\n",
		id, v.By, e.Recording, e.Queued, e.Results, e.Failed)
	return nil
}
