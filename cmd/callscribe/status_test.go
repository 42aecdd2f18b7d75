package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/roles"
	"github.com/callscribe/callscribe/transcribe"
)

// heldProcessor is a TEST DOUBLE for the call processor: it reports the
// stages the real one goes through and holds every call at transcribing
// until released, so the test can ask about calls in flight and queued.
type heldProcessor struct {
	at      chan string
	release chan struct{}
}

func (p heldProcessor) Process(ctx context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	_, _ = io.Copy(io.Discard, audio)
	pipeline.ReportStage(ctx, pipeline.StageDecoding)
	pipeline.ReportStage(ctx, pipeline.StageTranscribing)
	p.at <- meta.ID
	select {
	case <-p.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &pipeline.Result{Transcript: &transcribe.Transcript{Model: "held (test double)", Duration: time.Second}}, nil
}

// startHeld ingests the calls ids on c and starts a worker (ID worker)
// whose processor is the held double; the worker stops when the test ends.
func startHeld(ctx context.Context, t *testing.T, c *pipeline.Client, worker string, ids ...string) heldProcessor {
	t.Helper()
	for _, id := range ids {
		if _, err := c.Ingest(ctx, meta(id), strings.NewReader("RIFF audio of "+id)); err != nil {
			t.Fatal(err)
		}
	}
	p := heldProcessor{at: make(chan string, len(ids)), release: make(chan struct{})}
	w := &pipeline.Worker{Client: c, Processor: p, ID: worker, PollWait: 200 * time.Millisecond, Log: zerolog.Nop()}
	runCtx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = w.Run(runCtx) }()
	t.Cleanup(func() { stop(); wg.Wait() })
	return p
}

// statusCLI runs 'callscribe status' as the signed-in person.
func statusCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLI(t, append([]string{"status"}, args...)...)
}

// One call being transcribed, two queued behind it: 'status ID' says
// "queued" with the calls ahead, or the stage with its attempt and worker;
// 'status -all' lists the call in flight and the backlog, as text and JSON.
func TestStatusShowsStagesAndBacklog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	signIn(t, startWeb(t, c, nil), "h-042")
	p := startHeld(ctx, t, c, "w-test", "busy-1", "wait-1", "wait-2")
	defer close(p.release)
	<-p.at
	waitFor(t, func() bool {
		st, err := c.State(ctx, "busy-1")
		return err == nil && st.Stage == pipeline.StageTranscribing
	})

	checkOutput(t, []string{"busy-1"}, "call busy-1: transcribing for ", ", stage transcribing for ", ", attempt 1, worker w-test")
	checkOutput(t, []string{"wait-2"}, "call wait-2: queued for ", "(received ", ", 1 call ahead of it")
	checkOutput(t, []string{"-all"}, "1 call being transcribed:", "busy-1", "transcribing", "w-test",
		"2 calls queued, the oldest (wait-1) received ", "No call failed in the last 24h.")

	_, out, _ := statusCLI(t, "-format", "json", "wait-2")
	var v callView
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.State.State != pipeline.StateReceived ||
		v.Ahead == nil || *v.Ahead != 1 || !strings.HasPrefix(v.Summary, "queued for ") || v.State.ReceivedAt.IsZero() {
		t.Errorf("status -format json wait-2: %v\n%s", err, out)
	}
	_, out, _ = statusCLI(t, "-all", "-format", "json")
	var ov pipeline.Overview
	if err := json.Unmarshal([]byte(out), &ov); err != nil || len(ov.InFlight) != 1 || ov.InFlight[0].ID != "busy-1" ||
		ov.InFlight[0].Stage != pipeline.StageTranscribing || ov.Queued != 2 || ov.OldestQueuedID != "wait-1" {
		t.Errorf("status -all -format json: %v\n%s", err, out)
	}
}

// checkOutput runs status with args and checks it succeeds and says wants.
func checkOutput(t *testing.T, args []string, wants ...string) {
	t.Helper()
	code, out, errOut := statusCLI(t, args...)
	for _, want := range wants {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("status %v: exit %d, no %q in:\n%s%s", args, code, want, out, errOut)
		}
	}
}

// An ID the pipeline never received is reported in plain words, with how
// to find the calls there are; a known one (the control) is shown.
func TestStatusOfUnknownCall(t *testing.T) {
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	signIn(t, startWeb(t, c, nil), "h-042")
	if _, err := c.Ingest(context.Background(), meta("known-1"), strings.NewReader("RIFF audio")); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, []string{"known-1"}, "call known-1: queued for ")
	code, _, stderr := statusCLI(t, "nosuchcall")
	if code != 1 || !strings.Contains(stderr, `no call with ID "nosuchcall" was ever received`) ||
		!strings.Contains(stderr, "callscribe status -all") || strings.Contains(stderr, "not found") {
		t.Errorf("status nosuchcall: exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, stderr := statusCLI(t, "-all", "known-1"); code != 2 || !strings.Contains(stderr, "no call IDs") {
		t.Errorf("status -all with an ID: exit %d, stderr:\n%s", code, stderr)
	}
}

// waitFor polls cond until it holds; the bound guards against a hang, it
// is not a speed assertion.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
	}
}

// status goes through the web UI as the signed-in person: a clinician
// sees the transcript, and the read is in the trail under their name
// before it is shown; admin staff see the state only; a flag naming
// someone else is no longer there to be believed.
func TestStatusShowsTranscriptToClinicianAndAuditsTheRead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	trail, err := audit.Open(ctx, c, audit.Config{Signer: mustKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	webURL := startWeb(t, c, trail)
	p := startHeld(ctx, t, c, "w-audit", "read-1")
	<-p.at
	close(p.release)
	waitFor(t, func() bool {
		st, err := c.State(ctx, "read-1")
		return err == nil && st.State == pipeline.StateTranscribed
	})
	if code, _, errOut := statusCLI(t, "read-1"); code != 1 || !strings.Contains(errOut, "not signed in: run 'callscribe login'") {
		t.Errorf("status before signing in: exit %d, %s", code, errOut)
	}
	signIn(t, webURL, "h-042")
	code, out, errOut := statusCLI(t, "read-1")
	if code != 0 || !strings.Contains(out, "call read-1: transcribed") || strings.Contains(out, "transcript (") {
		t.Errorf("admin: exit %d, want the state without the transcript:\n%s%s", code, out, errOut)
	}
	signIn(t, webURL, "dr.khan")
	code, out, errOut = statusCLI(t, "read-1")
	if code != 0 || !strings.Contains(out, "transcript (held (test double)") {
		t.Errorf("clinician: exit %d, want the transcript:\n%s%s", code, out, errOut)
	}
	reads, err := trail.Query(ctx, audit.Actor{User: "test", Role: roles.Auditor}, audit.Filter{ObjectID: "read-1", Action: audit.ActionRead})
	if err != nil || len(reads) != 2 || reads[0].Event.User != "h-042" || reads[0].Event.Object.Kind != audit.KindDecision ||
		reads[1].Event.User != "dr.khan" || reads[1].Event.Object.Kind != audit.KindTranscript {
		t.Errorf("reads in the trail: %+v %v; want admin's decision read, then the clinician's transcript read", reads, err)
	}
	if code, _, errOut := statusCLI(t, "-as", "eve", "read-1"); code != 2 || !strings.Contains(errOut, "-as") {
		t.Errorf("status -as eve: exit %d, %s; want the flag refused", code, errOut)
	}
}

func mustKey(t *testing.T) *audit.Signer {
	t.Helper()
	k, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
