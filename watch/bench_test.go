package watch_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkWatchIngest measures the watcher's throughput: recordings (dev
// calls, about 1 MB each, with JSON sidecars) taken from the folder and
// ingested into a real embedded NATS pipeline per second. Transcription is
// not included: the watcher only queues.
func BenchmarkWatchIngest(b *testing.B) {
	r := newRig(b)
	w := r.watcher(r.config())
	var bytes int64
	for i := range b.N {
		r.drop(fmt.Sprintf("bench-%06d", i), i+1, true)
		bytes += int64(len(devWAV(b, i+1)))
	}
	b.SetBytes(bytes / int64(b.N))
	b.ResetTimer()
	began := time.Now()
	if _, err := w.Scan(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "recordings/s")
	if got := r.m.get("ingested"); got != b.N {
		b.Fatalf("ingested %d of %d", got, b.N)
	}
}
