package sar_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/record"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/sar"
	"github.com/callscribe/callscribe/transcribe"
)

// clinicalDouble is a TEST DOUBLE for pipeline.Processor: no transcription;
// every call "says" a line naming its ID and is labelled clinical.
type clinicalDouble struct{}

func (clinicalDouble) Process(_ context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	if _, err := io.Copy(io.Discard, audio); err != nil {
		return nil, err
	}
	return &pipeline.Result{
		Transcript: &transcribe.Transcript{Duration: time.Second, Segments: []transcribe.Segment{{End: time.Second, Text: "words of " + meta.ID}}},
		Decision:   classify.Decision{Label: classify.Clinical, Reasons: []string{"test double"}},
	}, nil
}

func TestExportHoldsEverythingAboutThePersonAndNothingElse(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _ := natstest.Pipeline(t, zerolog.Nop())
	rv, err := review.Open(ctx, c, review.Config{IDs: record.NamespaceUnder("https://review.example.nhs.uk")})
	if err != nil {
		t.Fatal(err)
	}
	const nhs, other, phone = "9434765919", "9434765870", "07700900123"
	calls := []pipeline.CallMeta{
		{ID: "p-1", NHSNumber: nhs, CallerNumber: phone},
		{ID: "p-2", NHSNumber: nhs},
		{ID: "someone-else", NHSNumber: other, CallerNumber: phone},
		{ID: "phone-only", CallerNumber: "07700 900123"},
		{ID: "unprocessed", NHSNumber: nhs}, // still queued: metadata from CALLS
	}
	audio := func(id string) []byte { return []byte("RIFF audio of " + id) }
	for i, m := range calls {
		m.StartedAt, m.Line, m.RecordingConsent = time.Date(2026, 3, 2, 9, i, 0, 0, time.UTC), "spa-main", true
		if _, err := c.Ingest(ctx, m, bytes.NewReader(audio(m.ID))); err != nil {
			t.Fatal(err)
		}
		if m.ID == "phone-only" { // processed before "unprocessed" is queued
			runUntil(t, c, rv, []string{"p-1", "p-2", "someone-else", "phone-only"})
		}
	}
	it, err := rv.Get(ctx, "p-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rv.Confirm(ctx, "p-1", it.Revision, review.Actor{ID: "dr", Role: review.RoleClinician}, review.ConfirmInput{Clarified: true}); err != nil {
		t.Fatal(err)
	}

	x := &sar.Exporter{Pipeline: c, Review: rv, Audit: func(_ context.Context, id string) ([]json.RawMessage, error) {
		return []json.RawMessage{json.RawMessage(`{"object":"` + id + `","action":"read"}`)}, nil
	}}
	var buf bytes.Buffer
	sum, err := x.Export(ctx, sar.Request{NHSNumber: "943 476 5919", Phone: phone}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Matched) != 3 || len(sum.PhoneOnly) != 1 || sum.PhoneOnly[0].CallID != "phone-only" {
		t.Fatalf("summary %+v: want p-1, p-2, unprocessed matched and phone-only listed", sum)
	}

	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	for _, want := range []string{
		"calls/p-1/recording.wav", "calls/p-1/result.json", "calls/p-1/transcript.txt", "calls/p-1/review.json",
		"calls/p-1/record.fhir.json", "calls/p-1/audit.jsonl", "calls/p-2/recording.wav", "calls/unprocessed/recording.wav",
		"summary.txt", "calls.json", "manifest.json",
	} {
		if _, ok := files[want]; !ok {
			t.Errorf("export lacks %s", want)
		}
	}
	if !bytes.Equal(files["calls/p-2/recording.wav"], audio("p-2")) {
		t.Errorf("p-2 recording differs from what was stored")
	}
	for name, data := range files {
		if strings.Contains(name, "someone-else") || strings.Contains(name, "calls/phone-only") ||
			bytes.Contains(data, []byte("words of someone-else")) || bytes.Contains(data, []byte("audio of phone-only")) {
			t.Errorf("%s holds another person's data, or an unchecked phone-only call's", name)
		}
	}
	var manifest []struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest) != len(files)-1 {
		t.Errorf("manifest lists %d files, the zip holds %d besides it", len(manifest), len(files)-1)
	}
	for _, m := range manifest {
		h := sha256.Sum256(files[m.Path])
		if hex.EncodeToString(h[:]) != m.SHA256 {
			t.Errorf("manifest sha256 of %s does not match", m.Path)
		}
	}
	if s := string(files["summary.txt"]); !strings.Contains(s, "3 call(s)") || !strings.Contains(s, "phone-only") {
		t.Errorf("summary:\n%s", s)
	}
	if _, err := x.Export(ctx, sar.Request{NHSNumber: "12345"}, io.Discard); err == nil {
		t.Error("export accepted a malformed NHS number")
	}
}

// runUntil processes queued calls with the double and builds review items.
func runUntil(t *testing.T, c *pipeline.Client, rv *review.Store, ids []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	w := &pipeline.Worker{Client: c, Processor: clinicalDouble{}, ID: "w", PollWait: 100 * time.Millisecond, Log: zerolog.Nop()}
	wg.Add(2)
	go func() { defer wg.Done(); _ = w.Run(ctx) }()
	go func() { defer wg.Done(); _ = rv.Follow(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for _, id := range ids {
		for {
			if _, err := rv.Get(context.Background(), id); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not processed", id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancel()
	wg.Wait()
}
