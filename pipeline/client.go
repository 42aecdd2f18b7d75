package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// DefaultMaxRecordingBytes bounds one recording at ingest. An hour of 16 kHz
// 16-bit stereo WAV is about 230 MB; a runaway upload should not fill the disk
// that also holds every other call.
const DefaultMaxRecordingBytes = 1 << 30

// Client is a connection to the pipeline's NATS server with the JetStream
// handles the pipeline uses. It is safe for concurrent use.
type Client struct {
	nc           *nats.Conn
	js           jetstream.JetStream
	log          zerolog.Logger
	maxRecording int64

	mu         sync.Mutex
	recordings jetstream.ObjectStore
	state      jetstream.KeyValue
	results    jetstream.Stream
	failed     jetstream.Stream
}

// Option adjusts Connect.
type Option func(*clientOptions)

type clientOptions struct {
	log          zerolog.Logger
	name         string
	token        string
	maxRecording int64
	nats         []nats.Option
}

// WithLogger sets where the client logs (ingest events, reconnects).
func WithLogger(l zerolog.Logger) Option { return func(o *clientOptions) { o.log = l } }

// WithName names the connection as the server sees it (monitoring).
func WithName(name string) Option { return func(o *clientOptions) { o.name = name } }

// WithToken authenticates with a token (see EmbeddedConfig.Token).
func WithToken(token string) Option { return func(o *clientOptions) { o.token = token } }

// WithMaxRecordingBytes changes the largest recording Ingest accepts.
func WithMaxRecordingBytes(n int64) Option {
	return func(o *clientOptions) { o.maxRecording = n }
}

// WithNATSOptions passes options straight to nats.Connect (TLS, credentials).
func WithNATSOptions(opts ...nats.Option) Option {
	return func(o *clientOptions) { o.nats = append(o.nats, opts...) }
}

// Connect dials the NATS server at url. It reconnects forever after the first
// connection, because a worker that gives up during a server restart would
// leave calls waiting with nobody to notice.
func Connect(ctx context.Context, url string, opts ...Option) (*Client, error) {
	o := clientOptions{name: "callscribe", maxRecording: DefaultMaxRecordingBytes}
	for _, opt := range opts {
		opt(&o)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connect %s: %w", url, err)
	}
	log := o.log.With().Str("component", "pipeline").Logger()
	nopts := []nats.Option{
		nats.Name(o.name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err == nil || nc.IsClosed() { // our own Close, not a lost server
				return
			}
			log.Warn().Err(err).Msg("nats disconnected")
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info().Str("url", nc.ConnectedUrlRedacted()).Msg("nats reconnected")
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			ev := log.Error().Err(err)
			if sub != nil {
				ev = ev.Str("subject", sub.Subject)
			}
			ev.Msg("nats async error")
		}),
	}
	if o.token != "" {
		nopts = append(nopts, nats.Token(o.token))
	}
	if dl, ok := ctx.Deadline(); ok {
		nopts = append(nopts, nats.Timeout(time.Until(dl)))
	}
	nopts = append(nopts, o.nats...)

	began := time.Now()
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("connect %s: jetstream: %w", url, err)
	}
	log.Debug().Str("url", nc.ConnectedUrlRedacted()).Dur("took", time.Since(began)).Msg("nats connected")
	return &Client{nc: nc, js: js, log: log, maxRecording: o.maxRecording}, nil
}

// Conn is the underlying NATS connection.
func (c *Client) Conn() *nats.Conn { return c.nc }

// JetStream is the underlying JetStream handle.
func (c *Client) JetStream() jetstream.JetStream { return c.js }

// Close drains the connection, so publishes and acks already sent reach the
// server, then closes it.
func (c *Client) Close() error {
	if c.nc.IsClosed() {
		return nil
	}
	if err := c.nc.Drain(); err != nil {
		c.nc.Close()
		return fmt.Errorf("close nats connection: %w", err)
	}
	// Drain is asynchronous; wait so the caller can shut the server down next.
	for !c.nc.IsClosed() {
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// recordingStore returns the RECORDINGS object store, looked up once.
func (c *Client) recordingStore(ctx context.Context) (jetstream.ObjectStore, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.recordings == nil {
		s, err := c.js.ObjectStore(ctx, BucketRecordings)
		if err != nil {
			return nil, bucketErr(BucketRecordings, err)
		}
		c.recordings = s
	}
	return c.recordings, nil
}

// stateStore returns the CALL_STATE key/value bucket, looked up once.
func (c *Client) stateStore(ctx context.Context) (jetstream.KeyValue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == nil {
		kv, err := c.js.KeyValue(ctx, BucketState)
		if err != nil {
			return nil, bucketErr(BucketState, err)
		}
		c.state = kv
	}
	return c.state, nil
}

// stream returns the RESULTS or FAILED stream handle, looked up once.
func (c *Client) stream(ctx context.Context, name string) (jetstream.Stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	slot := &c.results
	if name == StreamFailed {
		slot = &c.failed
	}
	if *slot == nil {
		s, err := c.js.Stream(ctx, name)
		if err != nil {
			return nil, bucketErr(name, err)
		}
		*slot = s
	}
	return *slot, nil
}

// bucketErr explains the usual cause of a missing stream or bucket.
func bucketErr(name string, err error) error {
	if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) {
		return fmt.Errorf("%s: %w (has EnsureStreams run, e.g. by 'callscribe serve'?)", name, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}
