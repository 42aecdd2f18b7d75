package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/process"
	"github.com/callscribe/callscribe/transcribe"
)

// instantEngine is a TEST DOUBLE standing in for whisper: it returns a fixed
// transcript at once, so the benchmark below measures everything around
// whisper (ingest, object store, queue, decode, classify, publish, state).
type instantEngine struct{ t *transcribe.Transcript }

func (e instantEngine) Transcribe(_ context.Context, a *transcribe.Audio, _ transcribe.Options) (*transcribe.Transcript, error) {
	t := *e.t
	t.Duration = a.Duration()
	return &t, nil
}
func (instantEngine) Model() string { return "instant-test-double" }
func (instantEngine) Close() error  { return nil }

// BenchmarkPerCallOverhead measures, one call at a time on embedded NATS,
// the time from ingest to the result arriving when whisper takes no time,
// less that call's own decode and resample time (which has its own goal,
// BenchmarkDecode8k). What remains is ingest, object store, queue, reading
// the recording, classify, publish and state. Goal (issue 6): p99 <= 20 ms,
// reported as p99_ms; e2e_p99_ms keeps the decode in.
func BenchmarkPerCallOverhead(b *testing.B) {
	wavPath := testenv.Shared(b, "calls/dev/call-0003.wav")
	wavData, err := os.ReadFile(wavPath)
	if err != nil {
		b.Fatal(err)
	}
	ref, err := os.ReadFile(strings.TrimSuffix(wavPath, ".wav") + ".txt")
	if err != nil {
		b.Fatal(err)
	}
	tr := &transcribe.Transcript{Model: "instant-test-double", Language: "en"}
	for i, line := range strings.Split(strings.TrimSpace(string(ref)), "\n") {
		tr.Segments = append(tr.Segments, transcribe.Segment{Index: i, Start: time.Duration(i) * 3 * time.Second,
			End: time.Duration(i+1) * 3 * time.Second, Text: line, AvgLogProb: -0.2})
	}
	c, err := classify.Default()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nop := zerolog.Nop()
	client, _ := natstest.Pipeline(b, nop)
	results := make(chan struct{}, 1)
	sub, err := client.Conn().Subscribe("calls.transcribed.*", func(*nats.Msg) { results <- struct{}{} })
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	ef := engineFlags{language: "en", silenceDB: -50, maxDuration: time.Hour}
	decoded := make(chan time.Duration, 1)
	proc := process.Pipeline{P: ef.newProcessor(instantEngine{tr}, c), Observe: func(_ string, out *process.Outcome) {
		decoded <- out.Times.Decode
	}}
	w := &pipeline.Worker{Client: client, Processor: proc, PollWait: time.Second, Log: nop}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	defer func() { stop(); <-done }()

	lat := make([]time.Duration, 0, b.N)
	dec := make([]time.Duration, 0, b.N)
	over := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		meta := pipeline.CallMeta{ID: fmt.Sprintf("overhead-%d", i), StartedAt: time.Now().UTC(), RecordingConsent: true}
		start := time.Now()
		if _, err := client.Ingest(ctx, meta, bytes.NewReader(wavData)); err != nil {
			b.Fatal(err)
		}
		select {
		case <-results:
		case <-time.After(10 * time.Second):
			b.Fatal("no result within 10 s")
		}
		e2e, d := time.Since(start), <-decoded
		lat, dec, over = append(lat, e2e), append(dec, d), append(over, e2e-d)
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(over, 0.50)), "p50_ms")
	b.ReportMetric(ms(percentile(over, 0.99)), "p99_ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "e2e_p99_ms")
	b.ReportMetric(ms(percentile(dec, 0.50)), "decode_p50_ms")

}
