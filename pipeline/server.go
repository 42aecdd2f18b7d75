package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"
)

// Defaults for the embedded server.
const (
	DefaultHost = "127.0.0.1"
	DefaultPort = 4222
	// RandomPort asks the server for any free port (tests).
	RandomPort = server.RANDOM_PORT
	// DefaultMaxPayload is raised from nats-server's 1 MiB because a long
	// call's result (segments with per-token timings) can exceed it.
	DefaultMaxPayload = 8 << 20
	// defaultReadyTimeout bounds start-up when the caller's context has no
	// deadline; recovering a large store can take a while, a hung bind should not.
	defaultReadyTimeout = 60 * time.Second
)

// EmbeddedConfig configures the in-process nats-server.
type EmbeddedConfig struct {
	// DataDir holds the JetStream store (calls, audio, results). Required:
	// a silent temporary default would lose recordings on restart.
	DataDir string
	// Host to listen on; default 127.0.0.1 so health data is not exposed to
	// the network by accident.
	Host string
	// Port to listen on; 0 means DefaultPort, RandomPort (-1) any free port.
	Port int
	// Credentials, when set, turn authentication on: only the identities
	// in it may connect, each with the permissions of its job (see
	// IdentityPermissions). serve always sets it; without it the server is
	// open to anyone who can reach it, so that is allowed on a loopback
	// address only (tests).
	Credentials *Credentials
	// NoListen starts the server without a network listener: only this
	// process reaches it, through WithInProcess (bench's private server).
	NoListen bool
	// MaxPayload is the largest message in bytes; 0 means DefaultMaxPayload.
	MaxPayload int32
	// MaxStore caps JetStream file storage in bytes; 0 leaves the server's
	// default (a share of the free disk).
	MaxStore int64
	// EncryptionKey, if set, encrypts the JetStream store at rest
	// (ChaCha20-Poly1305, keys derived from it per stream). It must come from
	// a file or the environment, never from the repository. A store written
	// with one key cannot be opened with another: StartEmbedded then fails
	// rather than start with an empty store.
	EncryptionKey string
	// Log receives the server's notices, warnings and errors. The zero value
	// discards them. Protocol tracing is never enabled: it would write message
	// payloads (transcripts) to the log.
	Log zerolog.Logger
}

// Embedded is a running in-process nats-server with JetStream.
type Embedded struct {
	srv  *server.Server
	log  zerolog.Logger
	lock *dataLock
}

// StartEmbedded starts nats-server with JetStream storing in cfg.DataDir and
// returns once it accepts connections, or fails if ctx ends first.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("start nats-server: DataDir is required")
	}
	if cfg.Host == "" {
		cfg.Host = DefaultHost
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	if !isLoopback(cfg.Host) && cfg.Credentials == nil {
		return nil, fmt.Errorf("start nats-server: refusing to listen on %s without authentication (set Credentials, or use a loopback host)", cfg.Host)
	}
	// 0700: the store holds health data; other local users have no business in it.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("start nats-server: data dir: %w", err)
	}
	lock, err := lockDataDir(cfg.DataDir, net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("start nats-server: %w", err)
	}
	e, err := startServer(ctx, cfg)
	if err != nil {
		lock.release()
		return nil, err
	}
	e.lock = lock
	return e, nil
}

// startServer starts nats-server on a data folder this process holds.
func startServer(ctx context.Context, cfg EmbeddedConfig) (*Embedded, error) {
	opts := &server.Options{
		ServerName:             "callscribe",
		Host:                   cfg.Host,
		Port:                   cfg.Port,
		JetStream:              true,
		StoreDir:               cfg.DataDir,
		JetStreamMaxStore:      cfg.MaxStore,
		MaxPayload:             cfg.MaxPayload,
		DontListen:             cfg.NoListen,
		NoSigs:                 true, // the host program owns signal handling
		DisableJetStreamBanner: true,
	}
	if cfg.Credentials != nil {
		users, err := cfg.Credentials.serverNkeys()
		if err != nil {
			return nil, fmt.Errorf("start nats-server: %w", err)
		}
		opts.Nkeys = users
	}
	if cfg.EncryptionKey != "" {
		opts.JetStreamKey = cfg.EncryptionKey
		opts.JetStreamCipher = server.ChaCha
	}
	held := storedStreams(cfg.DataDir)
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("start nats-server: %w", err)
	}
	adapter := newServerLog(cfg.Log)
	srv.SetLoggerV2(adapter, cfg.Log.GetLevel() <= zerolog.DebugLevel, false, false)

	began := time.Now()
	go srv.Start()

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultReadyTimeout)
		defer cancel()
	}
	for !srv.ReadyForConnections(100 * time.Millisecond) {
		select {
		case msg := <-adapter.fatal:
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("start nats-server on %s:%d: %s", cfg.Host, cfg.Port, msg)
		case <-ctx.Done():
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("start nats-server on %s:%d: not ready: %w", cfg.Host, cfg.Port, ctx.Err())
		default:
		}
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("start nats-server: JetStream did not start (store %s)", cfg.DataDir)
	}
	if held > 0 {
		// A wrong (or missing, or unexpected) key makes the server skip
		// every stream it cannot read and start empty: say so instead.
		if n := openedStreams(srv); n < held {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("start nats-server: store %s holds %d streams but only %d could be opened: is the encryption key right (or missing, or given for an unencrypted store)?", cfg.DataDir, held, n)
		}
	}
	e := &Embedded{srv: srv, log: cfg.Log}
	e.log.Info().
		Str("url", srv.ClientURL()).
		Str("data_dir", cfg.DataDir).
		Float64("startup_ms", msec(time.Since(began))).
		Msg("nats-server started")
	return e, nil
}

// WithInProcess connects to e in-process, without a socket (see
// EmbeddedConfig.NoListen); the URL given to Connect is then ignored.
func WithInProcess(e *Embedded) Option {
	return func(o *clientOptions) { o.nats = append(o.nats, nats.InProcessServer(e.srv)); o.inProcess = true }
}

// ClientURL is the URL clients connect to, e.g. nats://127.0.0.1:4222.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// Shutdown stops the server and waits until it has flushed its store and
// closed its listeners. Safe to call more than once.
func (e *Embedded) Shutdown() {
	began := time.Now()
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	e.lock.release()
	e.log.Info().Float64("took_ms", msec(time.Since(began))).Msg("nats-server stopped")
}

// isLoopback reports whether host only accepts local connections.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// storedStreams counts the streams in a JetStream store directory, to tell
// after start-up whether all of them were opened.
func storedStreams(dataDir string) int {
	entries, err := os.ReadDir(filepath.Join(dataDir, "jetstream", server.DEFAULT_GLOBAL_ACCOUNT, "streams"))
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	return n
}

// openedStreams counts the streams the running server has.
func openedStreams(srv *server.Server) int {
	info, err := srv.Jsz(&server.JSzOptions{})
	if err != nil {
		return 0
	}
	return info.Streams
}
