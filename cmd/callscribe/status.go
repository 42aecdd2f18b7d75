package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/roles"
)

func cmdStatus(ctx context.Context, args []string, stdout io.Writer) error {
	var nf natsFlags
	fs := newFlags("status", "[flags] CALL-ID... | -all")
	nf.register(fs, "nats://"+pipeline.DefaultHost+":4222")
	format := fs.String("format", "text", "text (state, decision, timestamped transcript) or json")
	all := fs.Bool("all", false, "instead of named calls, list what the pipeline is doing: calls being transcribed (stage, since, attempts, worker), the backlog, recent failures")
	failedWithin := fs.Duration("failed-within", 24*time.Hour, "with -all: count the calls that failed within this long")
	auditKey := auditKeyFlag(fs)
	as := fs.String("as", whoami(), "who is reading (your user name), for the audit trail")
	role := fs.String("as-role", roles.Clinician, "your role, for the audit trail (what you can read is decided by your NATS credentials)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *all && fs.NArg() > 0:
		return usageError{errors.New("-all lists every call in progress; give it no call IDs")}
	case !*all && fs.NArg() == 0:
		return usageError{errors.New("no call ID given (or -all for the calls being transcribed and queued)")}
	case *format != "text" && *format != "json":
		return usageError{fmt.Errorf("-format %q: want text or json", *format)}
	}
	logger := newLogger(os.Stderr)
	client, err := nf.connect(ctx, "callscribe-status", logger)
	if err != nil {
		return err
	}
	defer client.Close()
	if *all {
		// States only, no content: nothing to audit.
		return showOverview(ctx, client, *format, *failedWithin, stdout)
	}
	// Reading a transcript is audited; without an audit trail to write to
	// (credentials that may append to it, a signing key), status shows the
	// state and decision only. Clinicians read transcripts in the review UI,
	// which audits every page.
	trail, err := openAudit(ctx, client, *auditKey, 0, logger)
	if err != nil {
		logger.Warn().Err(err).Msg("audit trail not writable: transcripts are not shown")
		trail = nil
	}
	who := audit.Actor{User: *as, Role: *role}
	for _, id := range fs.Args() {
		if err := showCall(ctx, client, id, *format, stdout, auditRead(ctx, trail, logger, who, id)); err != nil {
			return err
		}
	}
	return nil
}

// auditRead records the read of a call's transcript before it happens and
// reports whether it did: a read that cannot be audited does not happen.
func auditRead(ctx context.Context, trail *audit.Log, logger zerolog.Logger, who audit.Actor, id string) bool {
	if trail == nil {
		return false
	}
	e := audit.Allow(who, audit.ActionRead, audit.Object{Kind: audit.KindTranscript, ID: id}, audit.PurposeDirectCare)
	if _, err := trail.Append(ctx, e); err != nil {
		logger.Error().Err(err).Str("call_id", id).Msg("audit event not written: transcript not shown")
		return false
	}
	return true
}

// callView is everything known about one call.
type callView struct {
	ID    string             `json:"id"`
	State pipeline.CallState `json:"state"`
	// Summary is the state in words, as the text format prints it.
	Summary string `json:"summary"`
	// Ahead is how many calls wait before this one (received calls not yet
	// handed to a worker, where the credentials may read the queue).
	Ahead *int `json:"calls_ahead,omitempty"`
	// At is when this was read, for the ages in Summary.
	At      time.Time               `json:"at"`
	Result  *pipeline.ResultMessage `json:"result,omitempty"`
	Failure *pipeline.FailedMessage `json:"failure,omitempty"`
}

// showCall prints a call; content (transcript, dead letter) only when
// withContent, i.e. when the read is audited.
func showCall(ctx context.Context, c *pipeline.Client, id, format string, w io.Writer, withContent bool) error {
	v := callView{ID: id, At: time.Now().UTC()}
	var err error
	v.State, err = c.State(ctx, id)
	if errors.Is(err, pipeline.ErrNotFound) {
		return fmt.Errorf("no call with ID %q was ever received by the pipeline. Check the ID (ingest names a call after "+
			"its file, without .wav, unless given -id or -meta); 'callscribe status -all' lists the calls queued and being "+
			"transcribed, and the review UI those transcribed", id)
	}
	if err != nil {
		return fmt.Errorf("status %s: %w", id, err)
	}
	v.Ahead = queuePosition(ctx, c, id, v.State)
	v.Summary = describe(v.State, v.Ahead, v.At)
	switch {
	case !withContent:
	case v.State.State == pipeline.StateTranscribed:
		if v.Result, err = c.Result(ctx, id); err != nil {
			return fmt.Errorf("status %s: result: %w", id, err)
		}
	case v.State.State == pipeline.StateFailed:
		if v.Failure, err = c.Failure(ctx, id); err != nil && !errors.Is(err, pipeline.ErrNotFound) {
			return fmt.Errorf("status %s: failure: %w", id, err)
		}
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	fmt.Fprintf(w, "call %s: %s\n", id, v.Summary)
	if v.State.Reason != "" {
		fmt.Fprintf(w, "reason: %s\n", v.State.Reason)
	}
	if v.Result == nil && v.State.Label != "" {
		fmt.Fprintf(w, "label: %s\n", v.State.Label)
	}
	if r := v.Result; r != nil {
		if err := r.Decision.WriteText(w, ""); err != nil {
			return err
		}
		fmt.Fprintf(w, "transcript (%s, %s):\n", r.Transcript.Model, clock(r.Transcript.Duration))
		for _, s := range r.Transcript.Segments {
			who := ""
			if s.Speaker != "" {
				who = strings.ToUpper(s.Speaker[:1]) + s.Speaker[1:] + ": "
			}
			fmt.Fprintf(w, "  [%s --> %s] %s%s\n", clock(s.Start), clock(s.End), who, s.Text)
		}
	}
	if f := v.Failure; f != nil {
		fmt.Fprintf(w, "dead-lettered (%s) after %d deliveries: %s\n", f.Kind, f.Deliveries, f.Reason)
	}
	return nil
}
