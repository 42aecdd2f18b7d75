package attack_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/transcribe"
)

// Setting the scene: calls with patient data, recorded by the recorder and
// transcribed by the worker, each played by the test with that
// component's own seed. None of this is an attack.

// callData is a call with everything that identifies it or its patient,
// all unique to the call, so a search of the store's files for any of it
// can only find this call.
type callData struct {
	meta  pipeline.CallMeta
	audio []byte
	// text is what the worker double "transcribes".
	text string
	// label is what the worker double decides; clinical unless set.
	label classify.Label
}

// secrets are the byte strings that must never be found once the call is
// erased (and never in logs).
func (c callData) secrets() map[string]string {
	return map[string]string{
		"NHS number":    c.meta.NHSNumber,
		"caller number": c.meta.CallerNumber,
		"transcript":    c.text,
		"audio":         string(c.audio[4:]), // past "RIFF"
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func randDigits(n int) string {
	var b []byte
	for range n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic(err)
		}
		b = append(b, byte('0'+d.Int64()))
	}
	return string(b)
}

// nhsNumber is a random NHS number with a valid check digit (modulus 11).
func nhsNumber() string {
	for {
		s := "9" + randDigits(8) // 9xx: not issued to real patients in England
		sum := 0
		for i := range 9 {
			sum += int(s[i]-'0') * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 {
			return s + string(rune('0'+check))
		}
	}
}

// newCall makes a call with fresh identifiers and transcript text.
func newCall(prefix string) callData {
	id := prefix + "-" + randHex(4)
	return callData{
		meta: pipeline.CallMeta{
			ID:               id,
			StartedAt:        time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Second),
			Line:             "spa-main",
			HandlerID:        "h-" + randDigits(3),
			CallerNumber:     "07700" + randDigits(6),
			NHSNumber:        nhsNumber(),
			RecordingConsent: true,
			ChannelSpeakers:  []string{"handler", "caller"},
		},
		audio: []byte("RIFF-attack-suite-audio-" + randHex(12)),
		text:  "since " + randHex(8) + " I have been taking sertraline 50mg and feel worse",
	}
}

// workerDouble is a TEST DOUBLE for the worker role's transcriber: the
// real pipeline.Worker, connected as the worker identity with the worker's
// seed, whose Processor transcribes nothing and returns the text the test
// chose for the call, labelled clinical so it becomes a proposal.
type workerDouble struct {
	log    *logBuffer // the real Worker's log: call IDs and outcomes, no patient data
	mu     sync.Mutex
	texts  map[string]string
	labels map[string]classify.Label
	client *pipeline.Client
	cancel context.CancelFunc
	done   chan error
}

func (w *workerDouble) Process(ctx context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	if _, err := io.Copy(io.Discard, audio); err != nil {
		return nil, err
	}
	w.mu.Lock()
	text, ok := w.texts[meta.ID]
	label := w.labels[meta.ID]
	w.mu.Unlock()
	if label == "" {
		label = classify.Clinical
	}
	if !ok {
		return nil, pipeline.Permanent(fmt.Errorf("worker double: no text for %s", meta.ID))
	}
	return &pipeline.Result{
		Transcript: &transcribe.Transcript{
			Model: "attack-suite-double", Language: "en", Duration: 4 * time.Second,
			Segments: []transcribe.Segment{{Index: 0, Start: 0, End: 4 * time.Second, Text: text, Speaker: "caller"}},
		},
		Decision: classify.Decision{Label: label, Reasons: []string{"chosen by the test"}, RulesVersion: "attack-suite-double"},
	}, nil
}

func (w *workerDouble) stop() {
	w.cancel()
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
	}
	_ = w.client.Close()
}

// startWorker runs the worker double against s for the rest of the run
// (serve runs no worker role: there is no model in a host build).
func (s *serveProc) startWorker(t testing.TB) *workerDouble {
	t.Helper()
	s.workerOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), liveness)
		defer cancel()
		c, err := pipeline.Connect(ctx, s.natsURL, pipeline.WithIdentity(s.creds(t), pipeline.IdentityWorker))
		if err != nil {
			s.workerErr = err
			return
		}
		f, err := os.Create(filepath.Join(s.dir, "worker-double.log"))
		if err != nil {
			s.workerErr = err
			return
		}
		w := &workerDouble{texts: map[string]string{}, labels: map[string]classify.Label{}, client: c, done: make(chan error, 1), log: &logBuffer{f: f}}
		rctx, rcancel := context.WithCancel(context.Background())
		w.cancel = rcancel
		pw := &pipeline.Worker{Client: c, Processor: w, ID: "attack-suite-worker-double", AckWait: 10 * time.Second,
			PollWait: 200 * time.Millisecond, ShutdownGrace: time.Second, MaxDeliver: 2,
			BackOff: []time.Duration{100 * time.Millisecond}, Log: zerolog.New(w.log).With().Timestamp().Logger()}
		go func() { w.done <- pw.Run(rctx) }()
		s.worker = w
	})
	if s.workerErr != nil {
		t.Fatalf("worker double: connect as worker: %v", s.workerErr)
	}
	return s.worker
}

// transcribedCall ingests a new call as the recorder, lets the worker
// double transcribe it, and waits until the review UI shows it to the
// clinician.
func (s *serveProc) transcribedCall(t testing.TB, prefix string) callData {
	t.Helper()
	c := newCall(prefix)
	s.transcribe(t, c)
	return c
}

// transcribe is transcribedCall for a call made by the test.
func (s *serveProc) transcribe(t testing.TB, c callData) {
	t.Helper()
	w := s.startWorker(t)
	w.mu.Lock()
	w.texts[c.meta.ID] = c.text
	w.labels[c.meta.ID] = c.label
	w.mu.Unlock()
	rec := s.client(t, pipeline.IdentityRecorder)
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	if _, err := rec.Ingest(ctx, c.meta, bytes.NewReader(c.audio)); err != nil {
		t.Fatalf("scene: ingest %s as the recorder: %v", c.meta.ID, err)
	}
	var st pipeline.CallState
	var err error
	poll(func() bool {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err = rec.State(sctx, c.meta.ID)
		return err == nil && st.State.Settled()
	})
	if st.State != pipeline.StateTranscribed {
		// Not an attack: the pipeline failed to transcribe a valid call, so
		// the attack that needed it cannot be played.
		t.Fatalf("DEFECT (scene, not an attack): valid call %s not transcribed: state %q (%v); worker double's log about it:\n%s\nserve's:\n%s",
			c.meta.ID, st.State, err, w.log.about(c.meta.ID), s.logAbout(c.meta.ID))
	}
	if c.label != "" && c.label != classify.Clinical && c.label != classify.Uncertain {
		return // nothing to review
	}
	clin := s.session(t, "clinician")
	waitFor(t, "scene: "+c.meta.ID+" in the review UI", func() bool {
		return clin.get(t, "/calls/"+c.meta.ID).code == http.StatusOK
	})
}
