//go:build whisper

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/pipeline"
)

// e2eCalls are dev calls with their labels from ../shared/calls/dev/labels.csv,
// chosen among those tiny.en transcribes well enough to classify correctly
// with a clear margin (measured over all 50): this test checks the pipeline
// end to end; the classifier's accuracy is measured on its own.
var e2eCalls = map[string]classify.Label{
	"call-0003": classify.Clinical,       // suicidal thoughts; scores 3.5
	"call-0020": classify.Clinical,       // not sleeping, not eating; scores 5.5
	"call-0002": classify.Administrative, // 7 administrative terms, no clinical
	"call-0028": classify.Administrative, // 9 administrative terms, no clinical
}

func TestServeEndToEnd(t *testing.T) {
	model := testenv.Model(t)
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	creds := filepath.Join(t.TempDir(), "nats")
	go func() {
		served <- cmdServe(ctx, []string{"-model", model, "-data", t.TempDir(), "-port", strconv.Itoa(port), "-threads", "2", "-web", "",
			"-metrics", "", "-audit-key", filepath.Join(t.TempDir(), "audit.key"), "-credentials", creds}, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	// The test submits as the call recorder and reads back as the web
	// component: the identities that do so in production.
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	rec := connectRetry(t, url, creds, pipeline.IdentityRecorder, served)
	defer rec.Close()
	c := connectRetry(t, url, creds, pipeline.IdentityWeb, served)
	defer c.Close()

	// The corrupt recording goes first: the worker must park it and go on.
	real, err := os.ReadFile(testenv.Shared(t, "calls/dev/call-0001.wav"))
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, rec, "corrupt-0001", real[:4000]) // header promises ~60 s, 4 kB present
	ingest(t, rec, "silence-0001", silenceWAV(8000, 5*time.Second))
	for id := range e2eCalls {
		data, err := os.ReadFile(testenv.Shared(t, "calls/dev/"+id+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		ingest(t, rec, id, data)
	}
	// A duplicate submission of a call is refused, not processed twice.
	var dupID string
	for id := range e2eCalls {
		dupID = id
		break
	}
	data, _ := os.ReadFile(testenv.Shared(t, "calls/dev/"+dupID+".wav"))
	if res, err := rec.Ingest(context.Background(), meta(dupID), bytes.NewReader(data)); err != nil || !res.Duplicate {
		t.Fatalf("duplicate ingest of %s: %+v, %v; want Duplicate", dupID, res, err)
	}

	for id, want := range e2eCalls {
		st := waitSettled(t, c, id)
		if st.State != pipeline.StateTranscribed {
			t.Errorf("%s: state %s (%s), want transcribed", id, st.State, st.Reason)
			continue
		}
		r, err := c.Result(context.Background(), id)
		if err != nil {
			t.Fatalf("%s: result: %v", id, err)
		}
		if r.Decision.Label != want {
			t.Errorf("%s: decision %s, want %s; reasons %v", id, r.Decision.Label, want, r.Decision.Reasons)
		}
		if len(r.Transcript.Segments) < 3 || r.Transcript.Segments[len(r.Transcript.Segments)-1].End < 20*time.Second {
			t.Errorf("%s: transcript lacks timestamped segments: %d segments", id, len(r.Transcript.Segments))
		}
		if want == classify.Clinical && len(r.Decision.Hits) == 0 {
			t.Errorf("%s: clinical without evidence", id)
		}
	}

	// Exactly one result for the duplicated call.
	if n := subjectCount(t, c, pipeline.StreamResults, pipeline.SubjectTranscribed(dupID)); n != 1 {
		t.Errorf("%d results published for %s, want 1", n, dupID)
	}

	// The corrupt recording is dead-lettered with its reason, recording kept.
	st := waitSettled(t, c, "corrupt-0001")
	if st.State != pipeline.StateFailed {
		t.Fatalf("corrupt recording: state %s, want failed", st.State)
	}
	f, err := c.Failure(context.Background(), "corrupt-0001")
	if err != nil {
		t.Fatalf("no dead letter for the corrupt recording: %v", err)
	}
	if f.Kind != pipeline.KindPermanent || !strings.Contains(f.Reason, "present") || f.Deliveries != 1 {
		t.Errorf("dead letter: kind %s, deliveries %d, reason %q; want permanent at once, saying how much data was present", f.Kind, f.Deliveries, f.Reason)
	}
	rc, err := c.Recording(context.Background(), "corrupt-0001")
	if err != nil {
		t.Fatalf("corrupt recording was not kept: %v", err)
	}
	kept, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(kept, real[:4000]) {
		t.Errorf("kept recording differs from what was ingested (%d bytes)", len(kept))
	}

	// Silence yields no text, and a person decides.
	st = waitSettled(t, c, "silence-0001")
	r, err := c.Result(context.Background(), "silence-0001")
	if err != nil {
		t.Fatalf("silence: state %s: %v", st.State, err)
	}
	if len(r.Transcript.Segments) != 0 || r.Decision.Label != classify.Uncertain {
		t.Errorf("silence: %d segments, label %s; want no text, uncertain", len(r.Transcript.Segments), r.Decision.Label)
	}
}

func ingest(t *testing.T, c *pipeline.Client, id string, data []byte) {
	t.Helper()
	res, err := c.Ingest(context.Background(), meta(id), bytes.NewReader(data))
	if err != nil || res.Duplicate {
		t.Fatalf("ingest %s: %+v, %v", id, res, err)
	}
}

func subjectCount(t *testing.T, c *pipeline.Client, stream, subject string) uint64 {
	t.Helper()
	s, err := c.JetStream().Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

// connectRetry connects as identity, with its seed from the folder serve
// makes them in on its first start, once serve has laid out the streams.
func connectRetry(t *testing.T, url, credsDir, identity string, served <-chan error) *pipeline.Client {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-served:
			t.Fatalf("serve stopped early: %v", err)
		default:
		}
		var c *pipeline.Client
		creds, err := pipeline.LoadCredentials(credsDir)
		if err == nil {
			c, err = pipeline.Connect(context.Background(), url, pipeline.WithIdentity(creds, identity))
		}
		if err == nil {
			// serve creates the streams once the model is loaded.
			if _, err = c.JetStream().Stream(context.Background(), pipeline.StreamCalls); err == nil {
				return c
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up on %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// silenceWAV is a real 16-bit PCM WAV of digital silence.
func silenceWAV(rate int, d time.Duration) []byte {
	n := 2 * int(d.Seconds()*float64(rate))
	return wavBytes(1, 1, uint32(rate), 16, make([]byte, n), uint32(n))
}
