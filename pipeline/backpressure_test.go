package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
)

// slowProcessor is a TEST DOUBLE for pipeline.Processor. It does NOT
// transcribe: it reads the audio, holds the call for a fixed time to stand in
// for a slow whisper run, and returns the canned transcript. It records how
// many calls it is working on at once, which is what the back-pressure test
// checks.
type slowProcessor struct {
	hold time.Duration

	now, max, done atomic.Int64
}

func (p *slowProcessor) Process(ctx context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	n := p.now.Add(1)
	defer p.now.Add(-1)
	for {
		m := p.max.Load()
		if n <= m || p.max.CompareAndSwap(m, n) {
			break
		}
	}
	if _, err := io.Copy(io.Discard, audio); err != nil {
		return nil, err
	}
	select {
	case <-time.After(p.hold):
		p.done.Add(1)
		return cannedResult(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestBackPressure ingests far faster than a slow worker can process and
// checks where the backlog lives: on the server, as pending messages of the
// workers' consumer, not in the worker's memory. The worker must never hold
// more calls than its concurrency, and the heap must not grow with the
// backlog: ten times the queued calls may not cost anything like ten times
// the memory. (The server runs in this process too, so the heap includes
// its indexes; the audio itself must stay on disk.)
func TestBackPressure(t *testing.T) {
	if testing.Short() {
		t.Skip("back-pressure test ingests 2000 calls")
	}
	const (
		concurrency = 3
		small       = 200
		large       = 2000
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// No log sinks that keep lines: they would grow with the number of
	// calls and be mistaken for a leak.
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: t.TempDir(), Port: pipeline.RandomPort})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	c, err := pipeline.Connect(ctx, srv.ClientURL(), pipeline.WithLogger(zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		t.Fatal(err)
	}

	// Two seconds of 16 kHz 16-bit audio, 64 KB a call: 128 MB for the
	// whole backlog, which would show in the heap if anything held it. Even
	// the small backlog (12.5 MB) fills more than one of the server's 8 MB
	// file store blocks, whose write buffer the server keeps in memory
	// whatever the backlog; with less, that one buffer growing from a
	// smaller size class would look like growth with the backlog.
	wav := testWAVSeconds(t, 2)
	proc := &slowProcessor{hold: time.Second}
	w := &pipeline.Worker{
		Client:        c,
		Processor:     proc,
		ID:            "bp",
		Concurrency:   concurrency,
		AckWait:       10 * time.Second,
		ShutdownGrace: 5 * time.Second,
		PollWait:      200 * time.Millisecond,
		Log:           zerolog.Nop(),
	}
	stop := runWorker(t, w)

	// The server's view of what the worker holds: delivered, not yet
	// acknowledged. Sampled throughout.
	var maxAckPending atomic.Int64
	sampling, stopSampling := context.WithCancel(ctx)
	var sampled sync.WaitGroup
	sampled.Add(1)
	go func() {
		defer sampled.Done()
		for sampling.Err() == nil {
			if info, err := consumerInfo(sampling, c); err == nil && int64(info.NumAckPending) > maxAckPending.Load() {
				maxAckPending.Store(int64(info.NumAckPending))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	ingestN := func(from, to int) time.Duration {
		began := time.Now()
		var wg sync.WaitGroup
		next := make(chan int)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					meta := call(fmt.Sprintf("bp-%d", i))
					if _, err := c.Ingest(ctx, meta, bytes.NewReader(wav)); err != nil {
						t.Errorf("ingest %s: %v", meta.ID, err)
					}
				}
			}()
		}
		for i := from; i < to; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		return time.Since(began)
	}

	took1 := ingestN(0, small)
	heap1, pending1 := settledHeap(), backlog(t, ctx, c)
	took2 := ingestN(small, large)
	heap2, pending2 := settledHeap(), backlog(t, ctx, c)
	stopSampling()
	sampled.Wait()
	if err := stop(); err != nil {
		t.Errorf("worker: %v", err)
	}

	t.Logf("ingested %d calls in %s, then %d more in %s; processed %d meanwhile", small, took1.Round(time.Millisecond),
		large-small, took2.Round(time.Millisecond), proc.done.Load())
	t.Logf("backlog after %d: %+v; after %d: %+v", small, pending1, large, pending2)
	t.Logf("heap in use after %d calls: %.1f MiB; after %d: %.1f MiB (ratio %.2f for %dx the calls, %.1f MiB of audio queued)",
		small, mib(heap1), large, mib(heap2), float64(heap2)/float64(heap1), large/small, mib(uint64(large*len(wav))))
	t.Logf("most calls in hand: %d in the processor, %d unacknowledged on the server (concurrency %d)",
		proc.max.Load(), maxAckPending.Load(), concurrency)

	if got := proc.max.Load(); got != concurrency {
		t.Errorf("processor ran at most %d calls at once, want exactly the concurrency %d (more: unbounded; fewer: the test did not load the worker)", got, concurrency)
	}
	if got := maxAckPending.Load(); got > concurrency {
		t.Errorf("the worker held up to %d unacknowledged calls, more than its concurrency %d", got, concurrency)
	}
	// Every queued call is accounted for on the server: waiting for a
	// worker, or one of the few in hand.
	if pending2.waiting+pending2.inHand != pending2.queued {
		t.Errorf("backlog %+v: waiting + in hand should be every queued call", pending2)
	}
	if min := uint64(large / 2); pending2.waiting < min {
		t.Errorf("only %d calls waiting on the server after ingesting %d (processed %d); want at least %d: the backlog should stay in JetStream",
			pending2.waiting, large, proc.done.Load(), min)
	}
	if ratio := float64(heap2) / float64(heap1); ratio > 2 {
		t.Errorf("heap grew %.2fx (%.1f → %.1f MiB) when the backlog grew %dx: something holds queued calls in memory",
			ratio, mib(heap1), mib(heap2), large/small)
	}
}

// queueState is the CALLS backlog as the server counts it.
type queueState struct {
	queued  uint64 // messages in CALLS (the work queue)
	waiting uint64 // not yet delivered to any worker
	inHand  uint64 // delivered, not yet acknowledged
}

func backlog(t *testing.T, ctx context.Context, c *pipeline.Client) queueState {
	t.Helper()
	info, err := consumerInfo(ctx, c)
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	s, err := c.JetStream().Stream(ctx, pipeline.StreamCalls)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return queueState{queued: s.CachedInfo().State.Msgs, waiting: info.NumPending, inHand: uint64(info.NumAckPending)}
}

func consumerInfo(ctx context.Context, c *pipeline.Client) (*jetstream.ConsumerInfo, error) {
	cons, err := c.JetStream().Consumer(ctx, pipeline.StreamCalls, pipeline.ConsumerTranscribers)
	if err != nil {
		return nil, err
	}
	return cons.Info(ctx)
}

// settledHeap is the smallest heap seen over a little more than the
// server's block cache expiry (10 s): the file store keeps the blocks it
// has just written in memory for that long, which is bounded by the write
// rate, not the backlog, and would otherwise be counted against the worker.
func settledHeap() uint64 {
	least := heapInuse()
	for deadline := time.Now().Add(12 * time.Second); time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		least = min(least, heapInuse())
	}
	return least
}

// heapInuse is the heap after two collections, so garbage from the ingest
// just done is not counted.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
