package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

// showOverview prints what the pipeline is doing (status -all): the calls
// being transcribed, the backlog and the failures within failedWithin.
func showOverview(ctx context.Context, c *apiClient, format string, failedWithin time.Duration, w io.Writer) error {
	var ov pipeline.Overview
	err := c.call(ctx, "GET", "/api/v1/calls?failed_within="+url.QueryEscape(failedWithin.String()), nil, &ov)
	if err != nil {
		return fmt.Errorf("status -all: %w", err)
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(ov)
	}
	writeInFlight(w, ov)
	writeBacklog(w, ov)
	if ov.Failed > 0 {
		fmt.Fprintf(w, "%s failed in the last %s; 'callscribe status ID' shows why\n", plural(ov.Failed, "call"), period(failedWithin))
	} else {
		fmt.Fprintf(w, "No call failed in the last %s.\n", period(failedWithin))
	}
	return nil
}

// period is a span given as a flag, in the unit it was most likely given in.
func period(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

func writeInFlight(w io.Writer, ov pipeline.Overview) {
	if len(ov.InFlight) == 0 {
		fmt.Fprintln(w, "No call is being transcribed.")
		return
	}
	fmt.Fprintf(w, "%s being transcribed:\n", plural(len(ov.InFlight), "call"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  CALL\tSTAGE\tIN STAGE\tSINCE\tFOR\tATTEMPT\tWORKER")
	for _, f := range ov.InFlight {
		stage := string(f.Stage)
		if stage == "" {
			stage = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\n", f.ID, stage, humanDuration(ov.At.Sub(f.StageSince)),
			when(f.Since), humanDuration(ov.At.Sub(f.Since)), f.Attempts, f.Worker)
	}
	_ = tw.Flush()
}

func writeBacklog(w io.Writer, ov pipeline.Overview) {
	if ov.Queued == 0 {
		fmt.Fprintln(w, "Nothing queued.")
		return
	}
	fmt.Fprintf(w, "%s queued, the oldest (%s) received %s ago", plural(ov.Queued, "call"), ov.OldestQueuedID,
		humanDuration(ov.At.Sub(ov.OldestQueued)))
	if ov.Retrying > 0 {
		fmt.Fprintf(w, "; %d of them queued again after a failed or interrupted attempt", ov.Retrying)
	}
	fmt.Fprintln(w)
}
