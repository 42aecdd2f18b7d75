package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/web"
)

// cmdStatus shows calls as the web UI's API answers them for the signed-in
// person: the state for every role; the transcript and decision only for
// clinicians, and only once the server has audited the read.
func cmdStatus(ctx context.Context, args []string, stdout io.Writer) error {
	var af apiFlags
	fs := newFlags("status", "[flags] CALL-ID... | -all")
	af.register(fs, false)
	format := fs.String("format", "text", "text (state, decision, timestamped transcript) or json")
	all := fs.Bool("all", false, "instead of named calls, list what the pipeline is doing: calls being transcribed (stage, since, attempts, worker), the backlog, recent failures")
	failedWithin := fs.Duration("failed-within", 24*time.Hour, "with -all: count the calls that failed within this long")
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
	c, err := af.client()
	if err != nil {
		return err
	}
	if *all {
		return showOverview(ctx, c, *format, *failedWithin, stdout)
	}
	for _, id := range fs.Args() {
		if err := showCallAPI(ctx, c, id, *format, stdout); err != nil {
			return err
		}
	}
	return nil
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

// showCallAPI prints a call as the server shows it to the signed-in person.
func showCallAPI(ctx context.Context, c *apiClient, id, format string, w io.Writer) error {
	var cv web.CallView
	err := c.call(ctx, "GET", "/api/v1/calls/"+url.PathEscape(id), nil, &cv)
	var ref *apiRefusal
	if errors.As(err, &ref) && ref.status == http.StatusNotFound {
		return errNoSuchCall(id)
	}
	if err != nil {
		return fmt.Errorf("status %s: %w", id, err)
	}
	v := callView{ID: id, State: cv.State, Ahead: cv.Ahead, At: cv.At, Result: cv.Result, Failure: cv.Failure}
	v.Summary = describe(v.State, v.Ahead, v.At)
	return printCall(w, v, format)
}

func errNoSuchCall(id string) error {
	return fmt.Errorf("no call with ID %q was ever received by the pipeline. Check the ID (ingest names a call after "+
		"its file, without .wav, unless given -id or -meta); 'callscribe status -all' lists the calls queued and being "+
		"transcribed, and the review UI those transcribed", id)
}

// showCall prints a call's state as a service reads it on the bus (ingest
// -wait, run by the recorder, not by a person): never its content, which
// people read through the web UI's audited API.
func showCall(ctx context.Context, c *pipeline.Client, id, format string, w io.Writer, _ bool) error {
	v := callView{ID: id, At: time.Now().UTC()}
	var err error
	v.State, err = c.State(ctx, id)
	if errors.Is(err, pipeline.ErrNotFound) {
		return errNoSuchCall(id)
	}
	if err != nil {
		return fmt.Errorf("status %s: %w", id, err)
	}
	v.Ahead = queuePosition(ctx, c, id, v.State)
	v.Summary = describe(v.State, v.Ahead, v.At)
	return printCall(w, v, format)
}

// printCall writes v as text or JSON; content only where v holds it.
func printCall(w io.Writer, v callView, format string) error {
	id := v.ID
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
