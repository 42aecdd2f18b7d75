package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/roles"
	"github.com/callscribe/callscribe/sar"
)

// cmdSAR exports everything still held about one person for the Data
// Protection Officer. What it may read is decided by the NATS credentials
// it connects with: only the DPO's reach the content it exports.
func cmdSAR(ctx context.Context, args []string, stdout io.Writer) error {
	var nf natsFlags
	fs := newFlags("sar", "-nhs-number N [-phone N] -out FILE.zip")
	nf.register(fs, "nats://"+pipeline.DefaultHost+":"+strconv.Itoa(pipeline.DefaultPort))
	nhs := fs.String("nhs-number", "", "the person's NHS number (10 digits); required")
	phone := fs.String("phone", "", "the person's phone number: calls from it without an NHS number are listed for checking, not exported")
	out := fs.String("out", "", "zip file to write; required; refused if it exists")
	auditKey := auditKeyFlag(fs)
	as := fs.String("as", whoami(), "who is making the export (the DPO's user name), for the audit trail")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *nhs == "" || *out == "" {
		return usageError{fmt.Errorf("sar: -nhs-number and -out are required")}
	}
	logger := newLogger(os.Stderr)
	client, err := nf.connect(ctx, "callscribe-sar", logger)
	if err != nil {
		return err
	}
	defer client.Close()
	store, err := review.Bind(ctx, client)
	if err != nil {
		return err
	}
	// An export that cannot be audited is not made.
	trail, err := openAudit(ctx, client, *auditKey, 0, logger)
	if err != nil {
		return fmt.Errorf("sar: the export must be audited: %w", err)
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sar: %w", err)
	}
	x := &sar.Exporter{Pipeline: client, Review: store, Audit: func(ctx context.Context, id string) ([]json.RawMessage, error) {
		entries, err := trail.Query(ctx, audit.Actor{User: *as, Role: roles.DPO}, audit.Filter{ObjectID: id})
		if err != nil {
			return nil, err
		}
		out := make([]json.RawMessage, len(entries))
		for i, e := range entries {
			if out[i], err = json.Marshal(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	}}
	sum, err := x.Export(ctx, sar.Request{NHSNumber: *nhs, Phone: *phone}, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(*out) // a partial export must not be handed out
		return err
	}
	who := audit.Actor{User: *as, Role: roles.DPO}
	var events []audit.Event
	for _, c := range sum.Matched {
		events = append(events, audit.Allow(who, audit.ActionExport, audit.Object{Kind: audit.KindRecording, ID: c.CallID}, audit.PurposeSubjectAccess))
	}
	appendAll(ctx, trail, logger, events...)
	logger.Info().Int("calls", len(sum.Matched)).Int("phone_only", len(sum.PhoneOnly)).Int("files", sum.Files).Msg("subject access export written")
	fmt.Fprintf(stdout, "%s: %d call(s) exported, %d phone-only call(s) listed for checking, %d files; see summary.txt inside\n",
		*out, len(sum.Matched), len(sum.PhoneOnly), sum.Files)
	return nil
}
