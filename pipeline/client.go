package pipeline

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
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
	identity     string // WithIdentity's, "" otherwise
	log          zerolog.Logger
	maxRecording int64

	mu         sync.Mutex
	recordings jetstream.ObjectStore
	state      jetstream.KeyValue
	intake     jetstream.KeyValue
	results    jetstream.Stream
	failed     jetstream.Stream

	activity activity
}

// ErrNoServer means no NATS server answered at any of the URLs Connect was
// given: nothing listens there, or it cannot be reached.
var ErrNoServer = errors.New("no NATS server answers")

// Option adjusts Connect.
type Option func(*clientOptions)

type clientOptions struct {
	log          zerolog.Logger
	name         string
	token        string
	user         string
	password     string
	credsFile    string
	nkeySeedFile string
	tlsCA        string
	tlsCert      string
	tlsKey       string
	maxRecording int64
	inboxPrefix  string
	identity     string
	nkeyPair     nkeys.KeyPair
	inProcess    bool
	nats         []nats.Option
}

// WithLogger sets where the client logs (ingest events, reconnects).
func WithLogger(l zerolog.Logger) Option { return func(o *clientOptions) { o.log = l } }

// WithName names the connection as the server sees it (monitoring).
func WithName(name string) Option { return func(o *clientOptions) { o.name = name } }

// WithToken authenticates with a token (see EmbeddedConfig.Token).
func WithToken(token string) Option { return func(o *clientOptions) { o.token = token } }

// WithUserPassword authenticates with a user name and password (see
// EmbeddedConfig.Users, or a cluster's own accounts).
func WithUserPassword(user, password string) Option {
	return func(o *clientOptions) { o.user, o.password = user, password }
}

// WithCredsFile authenticates with a NATS credentials file (user JWT and
// nkey seed, as written by nsc), the usual form on an operator-managed
// cluster. The file is read at every (re)connect, so it can be rotated in
// place.
func WithCredsFile(path string) Option { return func(o *clientOptions) { o.credsFile = path } }

// WithNkeySeedFile authenticates with the nkey whose seed is in path. The
// seed is checked when Connect is called and re-read to sign each
// connection's nonce.
func WithNkeySeedFile(path string) Option { return func(o *clientOptions) { o.nkeySeedFile = path } }

// WithTLS requires TLS and sets its files: caFile is the PEM bundle the
// server's certificate must chain to (empty: the system roots); certFile
// and keyFile are this client's certificate, for servers that verify
// clients (give both or neither). Any file given makes a plain-text
// connection an error, so a misconfigured server cannot silently receive
// health data in the clear.
func WithTLS(caFile, certFile, keyFile string) Option {
	return func(o *clientOptions) { o.tlsCA, o.tlsCert, o.tlsKey = caFile, certFile, keyFile }
}

// WithMaxRecordingBytes changes the largest recording Ingest accepts.
func WithMaxRecordingBytes(n int64) Option {
	return func(o *clientOptions) { o.maxRecording = n }
}

// WithNATSOptions passes options straight to nats.Connect, for anything the
// other options do not cover. They are applied last.
func WithNATSOptions(opts ...nats.Option) Option {
	return func(o *clientOptions) { o.nats = append(o.nats, opts...) }
}

// SplitURLs turns a comma-separated server list ("nats://a:4222,
// nats://b:4222") into its URLs, trimming spaces and dropping empty items.
func SplitURLs(list string) []string {
	var out []string
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// Connect dials the NATS server at url, which may be a comma-separated list
// of the servers of one cluster (see ConnectServers).
func Connect(ctx context.Context, url string, opts ...Option) (*Client, error) {
	return ConnectServers(ctx, SplitURLs(url), opts...)
}

// ConnectServers dials one of urls, all servers of the same cluster, and
// reconnects to any of them (or to servers the cluster announces) when the
// connection is lost. It reconnects forever after the first connection,
// because a worker that gives up during a server restart or the loss of a
// node would leave calls waiting with nobody to notice.
//
// Authentication and TLS files are checked before dialling, so a wrong path
// is reported as such rather than as a refused connection.
func ConnectServers(ctx context.Context, urls []string, opts ...Option) (*Client, error) {
	o := clientOptions{name: "callscribe", maxRecording: DefaultMaxRecordingBytes}
	for _, opt := range opts {
		opt(&o)
	}
	where := redactURLs(urls)
	if len(urls) == 0 && !o.inProcess {
		return nil, errors.New("connect: no NATS server URL given")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connect %s: %w", where, err)
	}
	log := o.log.With().Str("component", "pipeline").Logger()
	authOpts, err := o.natsAuthOptions()
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", where, err)
	}
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
	nopts = append(nopts, authOpts...)
	if o.inboxPrefix != "" {
		nopts = append(nopts, nats.CustomInboxPrefix(o.inboxPrefix))
	}
	if dl, ok := ctx.Deadline(); ok {
		nopts = append(nopts, nats.Timeout(time.Until(dl)))
	}
	nopts = append(nopts, o.nats...)

	began := time.Now()
	nc, err := nats.Connect(strings.Join(urls, ","), nopts...)
	if errors.Is(err, nats.ErrNoServers) {
		return nil, fmt.Errorf("connect %s: %w (%w)", where, ErrNoServer, err)
	}
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", where, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("connect %s: jetstream: %w", where, err)
	}
	log.Debug().Str("url", nc.ConnectedUrlRedacted()).Int("servers", len(urls)).Float64("took_ms", msec(time.Since(began))).Msg("nats connected")
	return &Client{nc: nc, js: js, log: log, maxRecording: o.maxRecording, identity: o.identity}, nil
}

// natsAuthOptions turns the credential and TLS settings into nats options,
// reading every file once now so that a missing or malformed one is named
// in the error. At most one way of authenticating may be given: the server
// would pick one and ignore the others, which hides configuration mistakes.
func (o *clientOptions) natsAuthOptions() ([]nats.Option, error) {
	var methods []string
	if o.token != "" {
		methods = append(methods, "token")
	}
	if o.user != "" || o.password != "" {
		methods = append(methods, "user/password")
	}
	if o.credsFile != "" {
		methods = append(methods, "creds file")
	}
	if o.nkeySeedFile != "" || o.nkeyPair != nil {
		methods = append(methods, "nkey")
	}
	if len(methods) > 1 {
		return nil, fmt.Errorf("give one way to authenticate, not %s", strings.Join(methods, " and "))
	}

	var out []nats.Option
	switch {
	case o.token != "":
		out = append(out, nats.Token(o.token))
	case o.user != "" || o.password != "":
		if o.user == "" {
			return nil, errors.New("password given without a user name")
		}
		out = append(out, nats.UserInfo(o.user, o.password))
	case o.credsFile != "":
		if err := checkCredsFile(o.credsFile); err != nil {
			return nil, err
		}
		out = append(out, nats.UserCredentials(o.credsFile))
	case o.nkeyPair != nil:
		kp := o.nkeyPair
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("nkey: %w", err)
		}
		out = append(out, nats.Nkey(pub, kp.Sign))
	case o.nkeySeedFile != "":
		opt, err := nats.NkeyOptionFromSeed(o.nkeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nkey seed file %s: %w", o.nkeySeedFile, err)
		}
		out = append(out, opt)
	}

	if o.tlsCA == "" && o.tlsCert == "" && o.tlsKey == "" {
		return out, nil
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, fmt.Errorf("TLS client certificate %q and key %q: give both or neither", o.tlsCert, o.tlsKey)
	}
	if o.tlsCA != "" {
		if err := checkCAFile(o.tlsCA); err != nil {
			return nil, err
		}
		out = append(out, nats.RootCAs(o.tlsCA))
	}
	if o.tlsCert != "" {
		if _, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey); err != nil {
			return nil, fmt.Errorf("TLS client certificate %s with key %s: %w", o.tlsCert, o.tlsKey, err)
		}
		out = append(out, nats.ClientCert(o.tlsCert, o.tlsKey))
	}
	// Secure makes TLS mandatory: without it a server that does not offer
	// TLS would be spoken to in plain text despite the files above.
	return append(out, nats.Secure()), nil
}

// checkCredsFile reads a credentials file as nats.go will, so that a wrong
// path or a file of the wrong kind is reported with its name.
func checkCredsFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("creds file: %w", err)
	}
	defer clear(b) // it holds a private key
	if _, err := nkeys.ParseDecoratedJWT(b); err != nil {
		return fmt.Errorf("creds file %s: no user JWT: %w", path, err)
	}
	kp, err := nkeys.ParseDecoratedNKey(b)
	if err != nil {
		return fmt.Errorf("creds file %s: no nkey seed: %w", path, err)
	}
	kp.Wipe()
	return nil
}

// checkCAFile reads a CA bundle as nats.go will, naming the file on error.
func checkCAFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("TLS CA file: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return fmt.Errorf("TLS CA file %s: no PEM certificate in it", path)
	}
	return nil
}

// RedactURLs is a comma-separated server list fit for messages: any
// password in it is hidden.
func RedactURLs(list string) string { return redactURLs(SplitURLs(list)) }

// redactURLs joins urls for messages with any password in them hidden.
func redactURLs(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = u
		if p, err := neturl.Parse(u); err == nil && p.User != nil {
			out[i] = p.Redacted()
		}
	}
	return strings.Join(out, ",")
}

// Conn is the underlying NATS connection, for tests that play a hostile
// client on the bus. Product code outside this package never uses it
// (only pipeline speaks NATS: TestOnlyPipelineSpeaksNATS checks).
func (c *Client) Conn() *nats.Conn { return c.nc }

// JetStream is the underlying JetStream handle, for tests only, as Conn.
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
