package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/roles"
)

// auditKeyFlag names the audit trail's signing key: entries signed with it
// are how 'audit verify' tells real entries from rewritten ones, so it lives
// outside the data folder and the repository.
func auditKeyFlag(fs *flag.FlagSet) *string {
	home, _ := os.UserHomeDir()
	return fs.String("audit-key", filepath.Join(home, ".config", "callscribe", "audit.key"),
		"ed25519 key that signs the audit trail; created (0600) on first use; keep a copy of FILE.pub for 'audit verify'")
}

// openAudit opens the audit trail for writing: serve creates (or updates)
// the stream; a command (replicas 0) binds to the existing one, which
// needs no right to manage streams, only to read the trail and append.
func openAudit(ctx context.Context, client *pipeline.Client, keyPath string, replicas int, logger zerolog.Logger) (*audit.Log, error) {
	signer, err := audit.LoadOrCreateKey(keyPath)
	if err != nil {
		return nil, err
	}
	cfg := audit.Config{Replicas: replicas, Signer: signer, Log: logger.With().Str("component", "audit").Logger()}
	if replicas == 0 {
		return audit.Bind(ctx, client, cfg)
	}
	return audit.Open(ctx, client, cfg)
}

// serviceActor is callscribe itself in the audit trail.
var serviceActor = audit.Actor{User: "callscribe", Role: roles.System}

// appendAll writes events, logging (never dropping silently) any failure.
func appendAll(ctx context.Context, log *audit.Log, logger zerolog.Logger, events ...audit.Event) {
	if log == nil {
		return
	}
	for _, e := range events {
		if _, err := log.Append(ctx, e); err != nil {
			logger.Error().Err(err).Str("call_id", e.Object.ID).Str("action", string(e.Action)).Msg("audit event not written")
		}
	}
}
