package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/roles"
)

// cmdAudit reads the audit trail: 'verify' checks it has not been tampered
// with, 'query' lists who touched what. Both only read; what the caller may
// read is decided by audit.Config.Authorize (the -as and -as-role flags
// name the caller until sign-in is wired in) and, on the server, by the
// NATS credentials it connects with (auditor or DPO).
func cmdAudit(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("want 'audit verify' or 'audit query'")}
	}
	switch args[0] {
	case "verify":
		return cmdAuditVerify(ctx, args[1:], stdout)
	case "query":
		return cmdAuditQuery(ctx, args[1:], stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(os.Stderr, "usage: callscribe audit verify|query [flags]; 'callscribe audit verify -h' for the flags\n")
		return flag.ErrHelp
	}
	return usageError{fmt.Errorf("unknown audit command %q: want verify or query", args[0])}
}

// auditFlags are shared by the audit commands: the server, and who is asking.
type auditFlags struct {
	nats      natsFlags
	actor     string
	actorRole string
}

func (f *auditFlags) register(fs *flag.FlagSet) {
	f.nats.register(fs, "nats://"+pipeline.DefaultHost+":"+strconv.Itoa(pipeline.DefaultPort))
	fs.StringVar(&f.actor, "as", whoami(), "who is asking (user ID), passed to the audit trail's access check")
	fs.StringVar(&f.actorRole, "as-role", roles.Auditor, "role of -as: auditor or dpo may read the trail")
}

// open connects and binds to the existing AUDIT stream, read only.
func (f *auditFlags) open(ctx context.Context, name string) (*pipeline.Client, *audit.Log, error) {
	logger := newLogger(os.Stderr)
	client, err := f.nats.connect(ctx, name, logger)
	if err != nil {
		return nil, nil, err
	}
	l, err := audit.Bind(ctx, client, audit.Config{Log: logger})
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return client, l, nil
}

func (f *auditFlags) actorOf() audit.Actor { return audit.Actor{User: f.actor, Role: f.actorRole} }

// defaultAuditKey is where the audit signing key lives unless told
// otherwise: the user's configuration folder, away from the repository and
// the JetStream store.
func defaultAuditKey() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "callscribe", "audit.key")
}

func cmdAuditVerify(ctx context.Context, args []string, stdout io.Writer) error {
	var af auditFlags
	fs := newFlags("audit verify", "[-trusted-head FILE [-save-head]] [flags]")
	af.register(fs)
	pubFile := fs.String("public-key", defaultAuditKey()+".pub", "public half of the audit signing key (written next to the key as KEY.pub)")
	trusted := fs.String("trusted-head", "", "file with the tree head of an earlier verification, kept away from the server: a log shorter than it, or not containing it, is reported")
	save := fs.Bool("save-head", false, "after a clean verification, write the new tree head to -trusted-head")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	limit := fs.Int("limit", 50, "print at most this many problems (0: all); the count is always complete")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *save && *trusted == "" {
		return usageError{errors.New("-save-head needs -trusted-head")}
	}
	pub, err := audit.LoadPublicKey(*pubFile)
	if err != nil {
		return err
	}
	opts := audit.VerifyOptions{Keys: []ed25519.PublicKey{pub}}
	if *trusted != "" {
		if opts.Trusted, err = audit.ReadHead(*trusted); err != nil {
			return err
		}
	}
	client, l, err := af.open(ctx, "callscribe-audit-verify")
	if err != nil {
		return err
	}
	defer client.Close()
	r, err := l.VerifyLog(ctx, af.actorOf(), opts)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else if err := r.WriteText(stdout, *limit); err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("audit log failed verification: %d problem(s)", len(r.Problems))
	}
	if *save {
		if err := audit.WriteHead(*trusted, r.Head); err != nil {
			return err
		}
	}
	return nil
}

func cmdAuditQuery(ctx context.Context, args []string, stdout io.Writer) error {
	var af auditFlags
	fs := newFlags("audit query", "[-object ID] [-by USER] [-since T] [-until T] [-action A] [-json] [flags]")
	af.register(fs)
	object := fs.String("object", "", "only events about this object ID (call ID)")
	by := fs.String("by", "", "only events by this user (-user is the NATS user name)")
	since := fs.String("since", "", "only events at or after T: RFC 3339 time, date (2026-03-02) or duration back from now (24h)")
	until := fs.String("until", "", "only events before T (same forms as -since)")
	action := fs.String("action", "", "only this action: read, create, update, delete or export")
	kind := fs.String("kind", "", "only this object kind: recording, transcript, decision, proposal, record or audit")
	asJSON := fs.Bool("json", false, "print entries as JSON, one per line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f := audit.Filter{ObjectID: *object, User: *by, Action: audit.Action(*action), ObjectKind: audit.ObjectKind(*kind)}
	var err error
	now := time.Now()
	if f.Since, err = parseWhen(*since, now); err != nil {
		return usageError{fmt.Errorf("-since: %w", err)}
	}
	if f.Until, err = parseWhen(*until, now); err != nil {
		return usageError{fmt.Errorf("-until: %w", err)}
	}
	client, l, err := af.open(ctx, "callscribe-audit-query")
	if err != nil {
		return err
	}
	defer client.Close()
	entries, err := l.Query(ctx, af.actorOf(), f)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	for _, e := range entries {
		ev := e.Event
		fmt.Fprintf(stdout, "#%d %s %s (%s) %s %s/%s for %s: %s", e.Index, ev.Time.Format(time.RFC3339), ev.User, ev.Role,
			ev.Action, ev.Object.Kind, ev.Object.ID, ev.Purpose, ev.Outcome)
		if ev.Reason != "" {
			fmt.Fprintf(stdout, " (%s)", ev.Reason)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

// parseWhen reads a time as RFC 3339, a date, or a duration before now;
// empty is the zero time (no bound).
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time, a date (2006-01-02) or a duration (24h)", s)
}
