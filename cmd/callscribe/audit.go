package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/web"
)

// cmdAudit reads the audit trail through the web UI's API: 'verify' checks
// it has not been tampered with, 'query' lists who touched what. The
// server lets only auditors and the DPO read it, and records each read in
// the trail itself before answering.
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

func cmdAuditVerify(ctx context.Context, args []string, stdout io.Writer) error {
	var af apiFlags
	fs := newFlags("audit verify", "[-trusted-head FILE [-save-head]] [-public-key FILE] [flags]")
	af.register(fs, false)
	pubFile := fs.String("public-key", "", "public half of the audit signing key (KEY.pub next to serve's -audit-key), kept apart from the server: entries must be signed with it; empty: the server's own key")
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
	var req web.AuditVerifyRequest
	if *pubFile != "" {
		pub, err := audit.LoadPublicKey(*pubFile)
		if err != nil {
			return err
		}
		req.PublicKeys = []string{base64.StdEncoding.EncodeToString(pub)}
	}
	if *trusted != "" {
		var err error
		if req.Trusted, err = audit.ReadHead(*trusted); err != nil {
			return err
		}
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	var r audit.Report
	if err := c.call(ctx, "POST", "/api/v1/audit/verify", req, &r); err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	if err := writeReport(stdout, r, *asJSON, *limit); err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("audit log failed verification: %d problem(s)", len(r.Problems))
	}
	if *save {
		return audit.WriteHead(*trusted, r.Head)
	}
	return nil
}

func writeReport(w io.Writer, r audit.Report, asJSON bool, limit int) error {
	if !asJSON {
		return r.WriteText(w, limit)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func cmdAuditQuery(ctx context.Context, args []string, stdout io.Writer) error {
	var af apiFlags
	fs := newFlags("audit query", "[-object ID] [-by USER] [-since T] [-until T] [-action A] [-kind K] [-json] [flags]")
	af.register(fs, false)
	object := fs.String("object", "", "only events about this object ID (call ID)")
	by := fs.String("by", "", "only events by this user (a filter; who you are is your sign-in)")
	since := fs.String("since", "", "only events at or after T: RFC 3339 time, date (2026-03-02) or duration back from now (24h)")
	until := fs.String("until", "", "only events before T (same forms as -since)")
	action := fs.String("action", "", "only this action: read, create, update, delete or export")
	kind := fs.String("kind", "", "only this object kind: recording, transcript, decision, proposal, record, audit or session")
	asJSON := fs.Bool("json", false, "print entries as JSON, one per line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"object": *object, "user": *by, "action": *action, "kind": *kind} {
		if v != "" {
			q.Set(k, v)
		}
	}
	now := time.Now()
	for name, v := range map[string]string{"since": *since, "until": *until} {
		t, err := parseWhen(v, now)
		if err != nil {
			return usageError{fmt.Errorf("-%s: %w", name, err)}
		}
		if !t.IsZero() {
			q.Set(name, t.UTC().Format(time.RFC3339))
		}
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	var got web.AuditEntries
	if err := c.call(ctx, "GET", "/api/v1/audit?"+q.Encode(), nil, &got); err != nil {
		return fmt.Errorf("audit query: %w", err)
	}
	return writeEntries(stdout, got.Entries, *asJSON)
}

func writeEntries(w io.Writer, entries []audit.Entry, asJSON bool) error {
	enc := json.NewEncoder(w)
	for _, e := range entries {
		if asJSON {
			if err := enc.Encode(e); err != nil {
				return err
			}
			continue
		}
		ev := e.Event
		fmt.Fprintf(w, "#%d %s %s (%s) %s %s/%s for %s: %s", e.Index, ev.Time.Format(time.RFC3339), ev.User, ev.Role,
			ev.Action, ev.Object.Kind, ev.Object.ID, ev.Purpose, ev.Outcome)
		if ev.Reason != "" {
			fmt.Fprintf(w, " (%s)", ev.Reason)
		}
		fmt.Fprintln(w)
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
