package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Names of the pipeline's streams, buckets and consumer. They are fixed, not
// configurable: every process (serve, ingest, status) must agree on them.
const (
	StreamCalls          = "CALLS"
	StreamResults        = "RESULTS"
	StreamFailed         = "FAILED"
	BucketRecordings     = "RECORDINGS"
	BucketState          = "CALL_STATE"
	ConsumerTranscribers = "transcribers"
)

// Subject prefixes; the last token is the call ID.
const (
	subjectRecorded    = "calls.recorded."
	subjectTranscribed = "calls.transcribed."
	subjectFailed      = "calls.failed."
)

// SubjectRecorded is where a call waiting for transcription is published.
func SubjectRecorded(id string) string { return subjectRecorded + id }

// SubjectTranscribed is where a call's result is published.
func SubjectTranscribed(id string) string { return subjectTranscribed + id }

// SubjectFailed is where a call that will not be retried is published.
func SubjectFailed(id string) string { return subjectFailed + id }

// Defaults for Config.
const (
	DefaultDuplicateWindow = 24 * time.Hour
	DefaultStateHistory    = 16
)

// Config sizes the streams and buckets. The zero value is usable.
type Config struct {
	// Replicas for every stream and bucket; 0 means 1 (a single embedded
	// server). Use 3 on a clustered deployment.
	Replicas int
	// DuplicateWindow is how long a Nats-Msg-Id is remembered on CALLS,
	// RESULTS and FAILED; 0 means DefaultDuplicateWindow. Durable duplicate
	// detection for ingest is the CALL_STATE entry; this window makes retried
	// publishes and redelivered results idempotent.
	DuplicateWindow time.Duration
	// ResultsMaxAge and FailedMaxAge expire old messages; 0 keeps them. How
	// long transcripts are kept is a records-management decision made
	// elsewhere (administrative calls are deleted after 4 weeks), so the
	// default is not to throw anything away here.
	ResultsMaxAge time.Duration
	FailedMaxAge  time.Duration
	// RecordingsMaxBytes caps the audio bucket; 0 means no cap beyond the
	// server's store limit.
	RecordingsMaxBytes int64
	// StateHistory is how many state changes CALL_STATE keeps per call
	// (1–64); 0 means DefaultStateHistory. The history shows how a call got
	// where it is (received → transcribing → received (retry) → transcribed).
	StateHistory uint8
}

func (c Config) withDefaults() (Config, error) {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		return c, fmt.Errorf("replicas %d: want 1 to 5", c.Replicas)
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.DuplicateWindow < 0 {
		return c, fmt.Errorf("duplicate window %s: must be positive", c.DuplicateWindow)
	}
	if c.ResultsMaxAge < 0 || c.FailedMaxAge < 0 {
		return c, fmt.Errorf("max age must not be negative")
	}
	if c.ResultsMaxAge > 0 && c.ResultsMaxAge < c.DuplicateWindow ||
		c.FailedMaxAge > 0 && c.FailedMaxAge < c.DuplicateWindow {
		return c, fmt.Errorf("max age must be at least the duplicate window (%s)", c.DuplicateWindow)
	}
	if c.StateHistory == 0 {
		c.StateHistory = DefaultStateHistory
	}
	if c.StateHistory > 64 {
		return c, fmt.Errorf("state history %d: at most 64", c.StateHistory)
	}
	return c, nil
}

// EnsureStreams creates the streams and buckets, or updates them to cfg if
// they exist, so every start of 'serve' converges on the same layout. It fails
// if an existing stream cannot be changed to match (e.g. its retention
// policy), rather than running on a layout with different guarantees.
func (c *Client) EnsureStreams(ctx context.Context, cfg Config) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return fmt.Errorf("ensure streams: %w", err)
	}
	began := time.Now()

	streams := []jetstream.StreamConfig{{
		Name:        StreamCalls,
		Description: "recorded calls waiting for transcription (work queue: removed when a worker acknowledges)",
		Subjects:    []string{subjectRecorded + "*"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
		MaxMsgSize:  MaxCallMetaBytes,
		Discard:     jetstream.DiscardNew, // refuse new calls when full, never drop queued ones
	}, {
		Name:        StreamResults,
		Description: "transcripts and classifications, one subject per call",
		Subjects:    []string{subjectTranscribed + "*"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
		MaxAge:      cfg.ResultsMaxAge,
		AllowDirect: true,
		AllowMsgTTL: true, // administrative results expire with their retention period
		Discard:     jetstream.DiscardNew,
	}, {
		Name:        StreamFailed,
		Description: "dead letters: calls that failed permanently or ran out of attempts; audio stays in RECORDINGS",
		Subjects:    []string{subjectFailed + "*"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
		MaxAge:      cfg.FailedMaxAge,
		AllowDirect: true,
		Discard:     jetstream.DiscardNew,
	}}
	for _, sc := range streams {
		if _, err := c.js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("ensure stream %s: %w", sc.Name, err)
		}
	}

	obs, err := c.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      BucketRecordings,
		Description: "call audio, key = call ID",
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxBytes:    cfg.RecordingsMaxBytes,
	})
	if err != nil {
		return fmt.Errorf("ensure object store %s: %w", BucketRecordings, err)
	}
	kv, err := EnsureErasableKV(ctx, c.js, BucketState, "call ID → processing state", cfg.StateHistory, cfg.Replicas)
	if err != nil {
		return err
	}
	if err := ensureIntake(ctx, c.js, cfg.Replicas); err != nil {
		return err
	}

	c.mu.Lock()
	c.recordings, c.state, c.intake = obs, kv, nil
	c.results, c.failed = nil, nil // looked up again, with fresh config
	c.mu.Unlock()

	c.log.Info().
		Int("replicas", cfg.Replicas).
		Str("duplicate_window", cfg.DuplicateWindow.String()).
		Float64("took_ms", msec(time.Since(began))).
		Msg("streams ready")
	return nil
}
