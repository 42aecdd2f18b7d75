package main

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
)

// components are serve's connections, one per identity, so that each role
// reaches NATS with its own key and no more than its job's permissions
// (pipeline.IdentityPermissions), even inside one process.
type components struct {
	nf      *natsFlags
	wf      *webFlags
	plan    servePlan
	logger  zerolog.Logger
	clients []*pipeline.Client
	// deliveries counts FHIR deliveries and reviewers' decisions (serve's
	// metrics).
	deliveries reviewCounters
}

// component is one role's connection with the stores it writes through.
type component struct {
	client *pipeline.Client
	store  *review.Store // nil for the worker, which has no business there
	trail  *audit.Log
}

// client connects as identity; close closes it with the others.
func (k *components) client(ctx context.Context, identity string) (*pipeline.Client, error) {
	c, err := k.nf.connectAs(ctx, identity, k.logger)
	if err != nil {
		return nil, err
	}
	k.clients = append(k.clients, c)
	return c, nil
}

// open connects as identity and binds the audit trail and, except for the
// worker, the review store (both laid out by setUp).
func (k *components) open(ctx context.Context, identity string) (*component, error) {
	c, err := k.client(ctx, identity)
	if err != nil {
		return nil, err
	}
	out := &component{client: c}
	if identity != pipeline.IdentityWorker {
		if out.store, err = k.wf.openStore(ctx, c, 0, k.deliveries, k.logger); err != nil {
			return nil, fmt.Errorf("%s: %w", identity, err)
		}
	}
	if out.trail, err = openAudit(ctx, c, k.plan.auditKey, 0, k.logger); err != nil {
		return nil, fmt.Errorf("%s: %w", identity, err)
	}
	return out, nil
}

func (k *components) close() {
	for _, c := range k.clients {
		_ = c.Close()
	}
}

// setUp lays out (creates or updates) every stream, bucket and the audit
// trail as the setup identity, the only one that may, and disconnects:
// at run time no component may create, change or delete a stream.
//
// On a cluster the setup seed belongs with the deployment step, not on
// every host: a host whose credentials folder has no setup.nk skips this
// and binds to what is there (each component then says if it is missing).
func setUp(ctx context.Context, nf *natsFlags, wf *webFlags, plan servePlan, logger zerolog.Logger) error {
	if !nf.hasAuth() {
		creds, err := nf.keys()
		if err != nil {
			return fmt.Errorf("connect as %s: %w", pipeline.IdentitySetup, err)
		}
		if !creds.Has(pipeline.IdentitySetup) {
			logger.Info().Str("credentials", nf.credentials).Msg("no setup seed here: streams are laid out by the deployment's setup step ('serve' on a host that has setup.nk)")
			return nil
		}
	}
	c, err := nf.connectAs(ctx, pipeline.IdentitySetup, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.EnsureStreams(ctx, pipeline.Config{Replicas: plan.replicas}); err != nil {
		return err
	}
	if err := review.Ensure(ctx, c, plan.replicas); err != nil {
		return err
	}
	if _, err := audit.LoadOrCreateKey(plan.auditKey); err != nil {
		return err
	}
	return audit.Ensure(ctx, c, plan.replicas)
}
