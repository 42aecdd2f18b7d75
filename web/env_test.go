package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/record"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/transcribe"
	"github.com/callscribe/callscribe/web"
)

const liveness = 30 * time.Second

// Passwords of the test accounts.
const (
	clinicianPW = "correct horse battery staple"
	adminPW     = "admin staff password"
	dpoPW       = "data protection officer password"
	auditorPW   = "auditor password"
	safetyPW    = "clinical safety officer password"
)

// env is the whole review stack on a real embedded nats-server: real dev
// WAVs ingested into the object store, a real pipeline.Worker, the real
// classifier, the review store following RESULTS, and the web UI on an
// httptest server. Only transcription is a test double (ground-truth text,
// see groundTruthProcessor), because whisper.cpp is not in a plain build.
type env struct {
	c     *pipeline.Client
	store *review.Store
	web   *httptest.Server
	logs  *testenv.LogBuffer
	log   zerolog.Logger
	calls map[string]string // call ID → label the classifier gave
}

// devCalls are the dev recordings the tests ingest, with valid NHS numbers
// (the dev set has none; these pass the modulus-11 check).
var devCalls = []struct{ id, nhs string }{
	{"call-0001", "9434765919"},
	{"call-0003", "9434765870"},
	{"call-0005", "4010232137"},
	{"call-0007", "9876543210"},
}

func newEnv(t *testing.T) *env { t.Helper(); return newEnvWith(t, nil) }

// newEnvWith is newEnv with the review store's configuration adjusted
// (e.g. a FHIR server to deliver records to).
func newEnvWith(t *testing.T, adjust func(*review.Config)) *env {
	t.Helper()
	return newEnvUnsure(t, adjust, nil)
}

// newEnvUnsure is newEnvWith where the transcription double reports low
// confidence (average log-probability -1.5, as Whisper gives a passage it
// barely understood) for the listed segments of some calls; a segment
// index of -1 means all of the call's segments.
func newEnvUnsure(t *testing.T, adjust func(*review.Config), unsure map[string][]int) *env {
	t.Helper()
	return newEnvDouble(t, adjust, func(id string, tr *transcribe.Transcript) {
		for _, i := range unsure[id] {
			for j := range tr.Segments {
				if i == -1 || i == j {
					tr.Segments[j].AvgLogProb = -1.5
				}
			}
		}
	})
}

// newEnvDouble is newEnvWith where change alters the transcription
// double's transcript of each call before it is classified (low
// confidence, a truncated recording, a silent channel).
func newEnvDouble(t *testing.T, adjust func(*review.Config), change func(id string, tr *transcribe.Transcript)) *env {
	t.Helper()
	devDir := testenv.Shared(t, "calls/dev")
	logs := &testenv.LogBuffer{}
	log := zerolog.New(logs).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()

	c, _ := natstest.Pipeline(t, log)
	rcfg := review.Config{Log: log, IDs: record.NamespaceUnder("https://review.example.nhs.uk")}
	if adjust != nil {
		adjust(&rcfg)
	}
	store, err := review.Open(ctx, c, rcfg)
	if err != nil {
		t.Fatalf("review.Open: %v", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { stop(); wg.Wait() })
	wg.Add(1)
	go func() { defer wg.Done(); _ = store.Follow(runCtx) }()

	cl, err := classify.Default()
	if err != nil {
		t.Fatal(err)
	}
	w := &pipeline.Worker{
		Client: c, Processor: &groundTruthProcessor{dir: devDir, classifier: cl, change: change}, ID: "test-worker",
		Concurrency: 2, AckWait: 5 * time.Second, MaxDeliver: 2, ShutdownGrace: time.Second,
		PollWait: 200 * time.Millisecond, Log: log,
	}
	wg.Add(1)
	go func() { defer wg.Done(); _ = w.Run(runCtx) }()

	for i, dc := range devCalls {
		f, err := os.Open(filepath.Join(devDir, dc.id+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		meta := pipeline.CallMeta{
			ID: dc.id, StartedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 17 * time.Minute),
			Line: "spa-main", HandlerID: "h-042", CallerNumber: "07700900123", NHSNumber: dc.nhs, RecordingConsent: true,
		}
		if _, err := c.Ingest(ctx, meta, f); err != nil {
			t.Fatalf("Ingest %s: %v", dc.id, err)
		}
		f.Close()
	}
	calls := map[string]string{}
	deadline := time.Now().Add(liveness)
	for _, dc := range devCalls {
		for {
			st, err := c.State(ctx, dc.id)
			if err == nil && st.State.Settled() {
				if st.State != pipeline.StateTranscribed {
					t.Fatalf("%s settled as %s: %s", dc.id, st.State, st.Reason)
				}
				calls[dc.id] = string(st.Label)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not transcribed: %+v %v", dc.id, st, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Wait for the review items of clinical and uncertain calls.
	for id, label := range calls {
		if label == string(classify.Administrative) {
			continue
		}
		for {
			if _, err := store.Get(ctx, id); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no review item for %s (%s)", id, label)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	e := &env{c: c, store: store, logs: logs, calls: calls, log: log}
	e.web = e.serveUI(t, nil)
	return e
}

// serveUI starts the UI on a TLS test server with the test accounts;
// adjust, if given, changes the configuration once the server's URL is
// known.
func (e *env) serveUI(t *testing.T, adjust func(cfg *web.Config, url string)) *httptest.Server {
	t.Helper()
	clinHash, _ := web.HashPassword(clinicianPW)
	adminHash, _ := web.HashPassword(adminPW)
	dpoHash, _ := web.HashPassword(dpoPW)
	auditorHash, _ := web.HashPassword(auditorPW)
	safetyHash, _ := web.HashPassword(safetyPW)
	accts, err := web.NewAccounts(
		web.Account{Username: "dr.khan", Name: "Dr A Khan", Role: review.RoleClinician, PasswordHash: clinHash},
		web.Account{Username: "sam", Name: "Sam Admin", Role: review.RoleAdmin, PasswordHash: adminHash},
		web.Account{Username: "dpo", Name: "Data Protection Officer", Role: review.RoleDPO, PasswordHash: dpoHash},
		web.Account{Username: "aud", Name: "Auditor", Role: review.RoleAuditor, PasswordHash: auditorHash},
		web.Account{Username: "cso", Name: "Clinical Safety Officer", Role: review.RoleSafety, PasswordHash: safetyHash},
	)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	hs.StartTLS()
	t.Cleanup(hs.Close)
	cfg := web.Config{Store: e.store, Accounts: accts, Log: e.log}
	if adjust != nil {
		adjust(&cfg, hs.URL)
	}
	ui, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = ui.Handler()
	return hs
}

// clinicalCall returns a call the classifier proposed for the record.
func (e *env) clinicalCall(t *testing.T) string {
	t.Helper()
	for _, dc := range devCalls {
		if e.calls[dc.id] == string(classify.Clinical) {
			return dc.id
		}
	}
	t.Fatalf("no dev call was classified clinical: %v", e.calls)
	return ""
}

// groundTruthProcessor is a TEST DOUBLE for the whisper transcriber: it
// decodes the real WAV (so the audio is checked and its length is real),
// then returns the call's ground-truth turns from <id>.json as segments,
// timed in proportion to their length across the recording, and classifies
// them with the real classifier.
type groundTruthProcessor struct {
	dir        string
	classifier *classify.Classifier
	change     func(id string, tr *transcribe.Transcript) // optional
}

func (p *groundTruthProcessor) Process(ctx context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	a, err := transcribe.Decode(audio, transcribe.DecodeOptions{})
	if err != nil {
		return nil, pipeline.Permanent(err)
	}
	data, err := os.ReadFile(filepath.Join(p.dir, meta.ID+".json"))
	if err != nil {
		return nil, pipeline.Permanent(err)
	}
	var truth struct {
		Turns []struct{ Speaker, Text string } `json:"turns"`
	}
	if err := json.Unmarshal(data, &truth); err != nil {
		return nil, pipeline.Permanent(fmt.Errorf("%s.json: %w", meta.ID, err))
	}
	total := 0
	for _, tu := range truth.Turns {
		total += len(tu.Text)
	}
	dur := a.Duration()
	tr := &transcribe.Transcript{Model: "ground-truth (test double)", Language: "en", Duration: dur}
	at := 0
	for i, tu := range truth.Turns {
		start := dur * time.Duration(at) / time.Duration(total)
		at += len(tu.Text)
		end := dur * time.Duration(at) / time.Duration(total)
		tr.Segments = append(tr.Segments, transcribe.Segment{Index: i, Start: start, End: end, Text: tu.Text, Speaker: tu.Speaker})
	}
	if p.change != nil {
		p.change(meta.ID, tr)
	}
	return &pipeline.Result{Transcript: tr, Decision: p.classifier.Classify(tr)}, nil
}
