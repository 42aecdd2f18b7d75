package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/watch"
)

// DefaultMetricsAddr is where serve offers /metrics and /healthz.
const DefaultMetricsAddr = "127.0.0.1:9464"

// metrics are serve's Prometheus metrics. Counters count what this process
// did; gauges read the server's counts (as the monitor identity, which
// reads no message body).
type metrics struct {
	reg        *prometheus.Registry
	processed  *prometheus.CounterVec
	deadLetter *prometheus.CounterVec
	rtf        prometheus.Histogram
	deletions  prometheus.Counter
	objections prometheus.Counter
	deliveries *prometheus.CounterVec
	// outcomeMetrics count reviewers' decisions (review.OutcomeCounter).
	*outcomeMetrics
	// trail is the audit log the roles write to (kept here because every
	// role already receives the metrics).
	trail *audit.Log
}

// with is m writing audit events to trail: each role appends as its own
// identity.
func (m *metrics) with(trail *audit.Log) *metrics {
	c := *m
	c.trail = trail
	return &c
}

func newMetrics(client *pipeline.Client) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callscribe_calls_processed_total", Help: "Calls transcribed and classified by this process, by label.",
		}, []string{"label"}),
		deadLetter: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callscribe_dead_letters_total", Help: "Calls dead-lettered on calls.failed.* by any worker since this process started, by reason kind.",
		}, []string{"kind"}),
		rtf: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "callscribe_realtime_factor", Help: "Audio seconds transcribed per second of processing, per call.",
			Buckets: []float64{0.5, 1, 2, 4, 8, 16, 32, 64},
		}),
		deletions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "callscribe_retention_deletions_total", Help: "Calls deleted by this process's retention role.",
		}),
		objections: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "callscribe_objections_total", Help: "Objections to recording honoured by this process.",
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callscribe_fhir_deliveries_total",
			Help: "Attempts to deliver confirmed records to the FHIR server by this process, by outcome: delivered, unavailable, rejected, patient-not-found; escalated counts records whose patient stayed not found.",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.processed, m.deadLetter, m.rtf, m.deletions, m.objections, m.deliveries,
		backlogCollector{client}, stageHistogram(client),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "callscribe_workers", Help: "Calls this process's workers may hold at once (worker slots).",
		}, func() float64 { return float64(client.WorkerLoad().Slots) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "callscribe_workers_busy", Help: "Worker slots of this process holding a call; utilisation is this over callscribe_workers.",
		}, func() float64 { return float64(client.WorkerLoad().Busy) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "callscribe_build_info", Help: "Build of this process.",
			ConstLabels: prometheus.Labels{"version": version, "go": runtime.Version()},
		}, func() float64 { return 1 }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.outcomeMetrics = newOutcomeMetrics(reg)
	return m
}

// watchMetrics count what a drop-folder watcher did (watch.Metrics).
type watchMetrics struct {
	outcomes    *prometheus.CounterVec
	quarantined *prometheus.CounterVec
	waiting     prometheus.Gauge
}

var _ watch.Metrics = (*watchMetrics)(nil)

// newWatchMetrics registers the watcher's metrics on reg, every outcome
// and reason at zero so that a rate or an alert has a series from the start.
func newWatchMetrics(reg prometheus.Registerer) *watchMetrics {
	m := &watchMetrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callscribe_watch_recordings_total",
			Help: "Recordings taken from the drop folder by this process, by outcome: ingested, duplicate (already submitted), objection (recorded, recording deleted), quarantined.",
		}, []string{"outcome"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callscribe_watch_quarantined_total", Help: "Recordings moved to the quarantine folder by this process, by reason.",
		}, []string{"reason"}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "callscribe_watch_waiting", Help: "Recordings or sidecars in the drop folder not yet taken (being written, or waiting for their pair), at the last scan.",
		}),
	}
	for _, o := range []watch.Outcome{watch.OutcomeIngested, watch.OutcomeDuplicate, watch.OutcomeObjection, watch.OutcomeQuarantined} {
		m.outcomes.WithLabelValues(string(o))
	}
	for _, r := range watch.Reasons {
		m.quarantined.WithLabelValues(string(r))
	}
	reg.MustRegister(m.outcomes, m.quarantined, m.waiting)
	return m
}

// Counted counts one recording's outcome.
func (m *watchMetrics) Counted(o watch.Outcome, r watch.Reason) {
	m.outcomes.WithLabelValues(string(o)).Inc()
	if o == watch.OutcomeQuarantined {
		m.quarantined.WithLabelValues(string(r)).Inc()
	}
}

// Waiting sets the gauge of files not yet taken.
func (m *watchMetrics) Waiting(n int) { m.waiting.Set(float64(n)) }

// CountDelivery counts one FHIR delivery outcome (review.DeliveryCounter).
func (m *metrics) CountDelivery(outcome string) { m.deliveries.WithLabelValues(outcome).Inc() }

var _ review.DeliveryCounter = (*metrics)(nil)

// observe records one processed call.
func (m *metrics) observe(label classify.Label, audio, processing time.Duration) {
	m.processed.WithLabelValues(string(label)).Inc()
	if processing > 0 {
		m.rtf.Observe(audio.Seconds() / processing.Seconds())
	}
}

// serveMetrics offers /metrics and /healthz (200 while connected to NATS)
// on addr until ctx ends.
func (m *metrics) serve(ctx context.Context, addr string, client *pipeline.Client, logger zerolog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !client.Connected() {
			http.Error(w, "not connected to NATS", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	logger.Info().Str("addr", l.Addr().String()).Msg("metrics on /metrics, health on /healthz")
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// cmdHealth asks a running serve whether it is healthy: the container
// health check (the image has no curl).
func cmdHealth(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("health", "[flags]")
	addr := fs.String("metrics", DefaultMetricsAddr, "address of serve's metrics listener")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+*addr+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprint(os.Stderr, string(body))
		return fmt.Errorf("health: %s", strconv.Quote(resp.Status))
	}
	fmt.Fprint(stdout, string(body))
	return nil
}

var (
	queueDepthDesc = prometheus.NewDesc("callscribe_queue_depth", "Calls waiting for a worker (-1: unknown).", nil, nil)
	inFlightDesc   = prometheus.NewDesc("callscribe_in_flight", "Calls held by workers, all processes (-1: unknown).", nil, nil)
	oldestAgeDesc  = prometheus.NewDesc("callscribe_queue_oldest_age_seconds",
		"Age of the oldest call on the queue, waiting or being transcribed, since it was queued; 0 when the queue is empty (-1: unknown).", nil, nil)
)

// backlogCollector reports the queue from one read of its stream and one
// of the shared consumer per scrape.
type backlogCollector struct{ client *pipeline.Client }

func (backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- inFlightDesc
	ch <- oldestAgeDesc
}

func (b backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	waiting, inFlight, oldest := -1.0, -1.0, -1.0 // visible as "unknown" rather than a plausible zero
	if bl, err := b.client.Backlog(ctx); err == nil {
		waiting, inFlight, oldest = float64(bl.Waiting), float64(bl.InFlight), 0
		if !bl.Oldest.IsZero() {
			oldest = max(time.Since(bl.Oldest).Seconds(), 0)
		}
	}
	ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, waiting)
	ch <- prometheus.MustNewConstMetric(inFlightDesc, prometheus.GaugeValue, inFlight)
	ch <- prometheus.MustNewConstMetric(oldestAgeDesc, prometheus.GaugeValue, oldest)
}

// stageHistogram times the stages of the calls this process's workers
// transcribe, fed by the pipeline client they share.
func stageHistogram(client *pipeline.Client) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "callscribe_stage_duration_seconds",
		Help:    "Time each stage took, per call transcribed by this process (reading, decoding, transcribing, classifying, confirming, publishing).",
		Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600},
	}, []string{"stage"})
	client.OnStageDone(func(s pipeline.Stage, took time.Duration) {
		h.WithLabelValues(string(s)).Observe(took.Seconds())
	})
	return h
}
