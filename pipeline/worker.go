package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// Worker defaults.
const (
	DefaultAckWait       = 30 * time.Second
	DefaultMaxDeliver    = 5
	DefaultShutdownGrace = 30 * time.Second
	DefaultPollWait      = 5 * time.Second
	DefaultOpTimeout     = 10 * time.Second
)

// defaultBackOff is the wait before each retry after a failed attempt; the
// last value repeats. Transient failures (out of memory, model busy) tend to
// clear in seconds to minutes.
var defaultBackOff = []time.Duration{10 * time.Second, 30 * time.Second, 2 * time.Minute, 5 * time.Minute}

// Worker takes calls from the shared durable consumer "transcribers" and runs
// them through a Processor. Any number of workers, in one process or many,
// can run against the same server; each call goes to one of them.
type Worker struct {
	Client    *Client
	Processor Processor
	// ID names this worker in states, results and logs; default
	// host-pid-random.
	ID string
	// Concurrency is how many calls this worker processes at once (default
	// 1: whisper.cpp uses every core it is given). The worker fetches only
	// as many messages as it has free slots, so no call waits in a local
	// buffer while its acknowledgement deadline runs.
	Concurrency int
	// AckWait is how long the server waits without hearing from a worker
	// before giving its call to another one (default 30 s). Workers send
	// heartbeats while they work, so this bounds how quickly a crashed
	// worker's call is retried, not how long a call may take.
	AckWait time.Duration
	// Heartbeat is how often a worker tells the server it is still working
	// on a call; default AckWait/3. Must be less than AckWait.
	Heartbeat time.Duration
	// MaxDeliver is how many attempts a call gets (default 5). After a
	// failed last attempt, or when a call comes back after the last attempt
	// did not finish, it is dead-lettered on FAILED.
	MaxDeliver int
	// BackOff is the wait after failed attempt n before attempt n+1
	// (BackOff[n-1], the last value repeating); default 10s, 30s, 2m, 5m.
	BackOff []time.Duration
	// ShutdownGrace is how long calls in hand may run after Run's context
	// is cancelled before they are cancelled and handed back (default 30 s).
	ShutdownGrace time.Duration
	// PollWait is how long one fetch waits for work (default 5 s); it also
	// bounds how long an idle worker takes to notice shutdown.
	PollWait time.Duration
	// OpTimeout bounds each bookkeeping operation (state, publish, ack).
	OpTimeout time.Duration
	// AdministrativeTTL, if set, gives the result of a call labelled
	// administrative a JetStream message TTL ending this long after the
	// call: the server itself removes the transcript when the retention
	// period ends, even if no retention sweeper runs. The sweeper still
	// erases the rest (audio, state history) and overwrites on disk.
	AdministrativeTTL time.Duration
	// Log receives one event per call outcome. It never receives transcript
	// text, audio or caller identifiers.
	Log zerolog.Logger
	// OnDeadLetter, if set, is told the kind of each call this worker
	// dead-letters (metrics): the worker knows it first hand, so nobody
	// needs to read calls.failed.*, whose bodies hold the call's metadata.
	OnDeadLetter func(kind ErrorKind)
}

// worker is a Worker with defaults applied, plus run-time state.
type worker struct {
	Worker
	c   *Client
	log zerolog.Logger

	transcribed, failed, retried, objected, handedBack atomic.Int64
}

func (w *Worker) settings() (*worker, error) {
	cfg := *w
	if cfg.Client == nil {
		return nil, errors.New("worker: Client is nil")
	}
	if cfg.Processor == nil {
		return nil, errors.New("worker: Processor is nil")
	}
	if cfg.ID == "" {
		cfg.ID = defaultWorkerID()
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 1
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = cfg.AckWait / 3
	}
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = DefaultMaxDeliver
	}
	if len(cfg.BackOff) == 0 {
		cfg.BackOff = defaultBackOff
	}
	if cfg.ShutdownGrace == 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if cfg.PollWait == 0 {
		cfg.PollWait = DefaultPollWait
	}
	if cfg.OpTimeout == 0 {
		cfg.OpTimeout = DefaultOpTimeout
	}
	switch {
	case cfg.Concurrency < 0:
		return nil, fmt.Errorf("worker: concurrency %d: must be positive", cfg.Concurrency)
	case cfg.AckWait < time.Second:
		return nil, fmt.Errorf("worker: ack wait %s: at least 1s", cfg.AckWait)
	case cfg.Heartbeat <= 0 || cfg.Heartbeat >= cfg.AckWait:
		return nil, fmt.Errorf("worker: heartbeat %s: must be positive and less than ack wait %s", cfg.Heartbeat, cfg.AckWait)
	case cfg.MaxDeliver < 1:
		return nil, fmt.Errorf("worker: max deliver %d: at least 1", cfg.MaxDeliver)
	case cfg.ShutdownGrace < 0:
		return nil, fmt.Errorf("worker: shutdown grace %s: must not be negative", cfg.ShutdownGrace)
	case cfg.PollWait < 100*time.Millisecond:
		return nil, fmt.Errorf("worker: poll wait %s: at least 100ms", cfg.PollWait)
	case cfg.OpTimeout <= 0:
		return nil, fmt.Errorf("worker: op timeout %s: must be positive", cfg.OpTimeout)
	}
	for _, d := range cfg.BackOff {
		if d < 0 {
			return nil, fmt.Errorf("worker: back-off %s: must not be negative", d)
		}
	}
	return &worker{
		Worker: cfg,
		c:      cfg.Client,
		log:    cfg.Log.With().Str("component", "worker").Str("worker", cfg.ID).Logger(),
	}, nil
}

// Run processes calls until ctx is cancelled, then stops fetching, lets the
// calls in hand finish for up to ShutdownGrace, hands back the rest, and
// returns nil. It returns an error if it cannot start (bad settings, no
// streams) or the connection is closed under it.
func (w *Worker) Run(ctx context.Context) error {
	wk, err := w.settings()
	if err != nil {
		return err
	}
	return wk.run(ctx)
}

func (w *worker) run(ctx context.Context) error {
	cons, err := w.ensureConsumer(ctx)
	if err != nil {
		return err
	}
	began := time.Now()
	w.c.activity.slots.Add(int64(w.Concurrency))
	defer w.c.activity.slots.Add(-int64(w.Concurrency))
	w.log.Info().
		Int("concurrency", w.Concurrency).
		Float64("ack_wait_ms", msec(w.AckWait)).
		Int("max_deliver", w.MaxDeliver).
		Msg("worker started")

	// Processing gets its own context: cancelling Run's context stops
	// fetching at once, but calls in hand are only cancelled after the grace.
	procCtx, cancelProc := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelProc()

	var wg sync.WaitGroup
	slots := make(chan struct{}, w.Concurrency)
	var runErr error

fetching:
	for ctx.Err() == nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break fetching
		}
		free := 1
		for free < w.Concurrency && trySlot(slots) {
			free++
		}

		batch, err := cons.Fetch(free, jetstream.FetchMaxWait(w.PollWait))
		if err != nil {
			releaseSlots(slots, free)
			if w.c.nc.IsClosed() || errors.Is(err, nats.ErrConnectionClosed) {
				runErr = fmt.Errorf("worker %s: fetch: %w", w.ID, err)
				break fetching
			}
			w.log.Warn().Err(err).Msg("fetch failed; retrying")
			sleepCtx(ctx, time.Second)
			continue
		}
		used := 0
		for msg := range batch.Messages() {
			if ctx.Err() != nil {
				// Arrived after shutdown began: hand it straight back.
				w.handBackUnstarted(msg)
				continue
			}
			used++
			wg.Add(1)
			w.c.activity.busy.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				defer w.c.activity.busy.Add(-1)
				w.handle(ctx, procCtx, msg)
			}()
		}
		releaseSlots(slots, free-used)

		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			if w.c.nc.IsClosed() {
				runErr = fmt.Errorf("worker %s: fetch: %w", w.ID, err)
				break fetching
			}
			w.log.Warn().Err(err).Msg("fetch ended with an error; retrying")
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
				if c, cerr := w.ensureConsumer(ctx); cerr == nil {
					cons = c
				}
			}
			sleepCtx(ctx, time.Second)
		}
	}

	// Shutdown: calls in hand get the grace period, then their context is
	// cancelled and handle() hands them back.
	stopping := time.Now()
	grace := time.AfterFunc(w.ShutdownGrace, cancelProc)
	wg.Wait()
	grace.Stop()
	w.log.Info().
		Int64("transcribed", w.transcribed.Load()).
		Int64("failed", w.failed.Load()).
		Int64("retried", w.retried.Load()).
		Int64("objected", w.objected.Load()).
		Int64("handed_back", w.handedBack.Load()).
		Float64("ran_ms", msec(time.Since(began))).
		Float64("shutdown_ms", msec(time.Since(stopping))).
		Msg("worker stopped")
	return runErr
}

// ensureConsumer creates or updates the shared durable consumer. MaxDeliver
// is unlimited on the server on purpose: the worker enforces w.MaxDeliver
// and dead-letters, whereas the server would silently park the message (see
// the package documentation). The worker's limit is recorded in the
// consumer's metadata for anyone inspecting it.
func (w *worker) ensureConsumer(ctx context.Context) (jetstream.Consumer, error) {
	cons, err := w.c.js.CreateOrUpdateConsumer(ctx, StreamCalls, jetstream.ConsumerConfig{
		Durable:       ConsumerTranscribers,
		Description:   "callscribe transcription workers (attempts are bounded by the workers, see metadata)",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       w.AckWait,
		MaxDeliver:    -1,
		FilterSubject: subjectRecorded + "*",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		Metadata: map[string]string{
			"callscribe.max_deliver": strconv.Itoa(w.MaxDeliver),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("worker %s: consumer %s on %s: %w", w.ID, ConsumerTranscribers, StreamCalls, err)
	}
	return cons, nil
}

// backOff is the wait before the attempt after failed attempt n.
func (w *worker) backOff(attempt int) time.Duration {
	i := attempt - 1
	if i < 0 {
		i = 0
	}
	if i >= len(w.BackOff) {
		i = len(w.BackOff) - 1
	}
	return w.BackOff[i]
}

// opCtx bounds one bookkeeping operation. It does not inherit cancellation:
// settling a call (ack, state, dead letter) must finish during shutdown.
func (w *worker) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), w.OpTimeout)
}

// trySlot takes a free slot if there is one, without waiting.
func trySlot(slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func releaseSlots(slots chan struct{}, n int) {
	for range n {
		<-slots
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func defaultWorkerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail on supported platforms
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
