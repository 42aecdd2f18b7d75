package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
)

// Names on the NATS server. pipeline.Permissions grants auditors and DPOs
// read access to StreamAudit by this name.
const (
	StreamAudit   = "AUDIT"
	SubjectEvents = "audit.events"
)

// MaxEntryBytes bounds one message on the stream. An entry is a few hundred
// bytes; the limit is a backstop against content slipping into events.
const MaxEntryBytes = 4096

// defaultRetries is how many times Append reloads the tail and tries again
// when another writer appended first.
const defaultRetries = 50

// ErrReadOnly means Append was called on a Log opened without a Signer.
var ErrReadOnly = errors.New("audit log opened without a signing key: read only")

// Config sets up a Log.
type Config struct {
	// Replicas for the stream; 0 means 1, as pipeline.Config.Replicas.
	Replicas int
	// Signer signs appended entries; without it the Log is read only.
	Signer *Signer
	// Keys are retired public keys: a writer builds on entries signed
	// with them or with Signer's key, and skips any others.
	Keys []ed25519.PublicKey
	// Authorize decides who may Query and VerifyLog; nil means
	// DefaultAuthorize (DPO and auditor roles).
	Authorize Authorizer
	Log       zerolog.Logger
	// Now is the clock; time.Now if nil.
	Now func() time.Time
}

// Log is the audit trail on the AUDIT stream. Append is safe for
// concurrent use and serialised within the process; across processes the
// expected-last-sequence check serialises it.
type Log struct {
	stream Trail
	cfg    Config
	log    zerolog.Logger
	keys   map[string]ed25519.PublicKey // whose entries a writer builds on

	mu      sync.Mutex // serialises Append; guards the fields below
	tree    *tree      // Merkle tree of the entries up to lastSeq
	lastSeq uint64     // stream sequence of the last message read

	beforePublish func() // test hook: runs between catch-up and publish
}

// streamSpec is the AUDIT stream: kept forever, deletes and purges
// refused (and nats-server will not let an update lift that).
func streamSpec(replicas int) pipeline.StreamSpec {
	return pipeline.StreamSpec{
		Name:        StreamAudit,
		Description: "tamper-evident audit trail: who read or changed health data (no content); append only",
		Subjects:    []string{SubjectEvents},
		Replicas:    replicas,
		MaxMsgSize:  MaxEntryBytes,
		AppendOnly:  true,
	}
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.Replicas < 0 || cfg.Replicas > 5 {
		return cfg, fmt.Errorf("replicas %d: want 1 to 5", cfg.Replicas)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Authorize == nil {
		cfg.Authorize = DefaultAuthorize
	}
	return cfg, nil
}

// Open creates or updates the AUDIT stream and returns a Log on it.
func Open(ctx context.Context, c *pipeline.Client, cfg Config) (*Log, error) {
	if _, err := cfg.withDefaults(); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	if err := Ensure(ctx, c, cfg.Replicas); err != nil {
		return nil, err
	}
	return Bind(ctx, c, cfg)
}

// Ensure creates or updates the AUDIT stream with replicas copies (0
// means 1), for serve's setup identity; writers then Bind.
func Ensure(ctx context.Context, c *pipeline.Client, replicas int) error {
	if err := c.EnsureStream(ctx, streamSpec(replicas)); err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	return nil
}

// Bind returns a Log on the existing AUDIT stream without changing it: the
// components that append (with a Signer) and the readers.
func Bind(ctx context.Context, c *pipeline.Client, cfg Config) (*Log, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("bind audit log: %w", err)
	}
	s, err := c.Stream(ctx, StreamAudit)
	if errors.Is(err, pipeline.ErrNotFound) {
		return nil, fmt.Errorf("bind audit log: %w (has 'callscribe serve' opened it?)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("bind audit log: %w", err)
	}
	return newLog(s, cfg), nil
}

// Trail is the append-only stream a Log keeps its entries on
// (pipeline.Stream): conditional appends, an ordered scan, the server's
// counts.
type Trail interface {
	Append(ctx context.Context, subject string, data []byte, lastSeq uint64) (uint64, error)
	Scan(ctx context.Context, subject string, from uint64, fn func(seq uint64, data []byte) error) error
	State(ctx context.Context) (pipeline.StreamState, error)
}

var _ Trail = (*pipeline.Stream)(nil)

func newLog(s Trail, cfg Config) *Log {
	keys := map[string]ed25519.PublicKey{}
	for _, k := range cfg.Keys {
		keys[KeyID(k)] = k
	}
	if cfg.Signer != nil {
		keys[cfg.Signer.KeyID()] = cfg.Signer.Public()
	}
	return &Log{stream: s, cfg: cfg, keys: keys, log: cfg.Log.With().Str("component", "audit").Logger(), tree: newTree()}
}

// Append validates ev, stamps it with the time if it has none, and appends
// it as the next entry: leaf hash, new tree head, signature. If another
// writer appended in between, it reads their entries and tries again at
// the new tail. On an error other than a conflict the event may or may not
// have been written.
func (l *Log) Append(ctx context.Context, ev Event) (Entry, error) {
	if l.cfg.Signer == nil {
		return Entry{}, fmt.Errorf("audit append: %w", ErrReadOnly)
	}
	if ev.Time.IsZero() {
		ev.Time = l.cfg.Now()
	}
	ev.Time = ev.Time.UTC().Round(0) // what JSON gives back, so the leaf hash can be recomputed
	if err := ev.Validate(); err != nil {
		return Entry{}, fmt.Errorf("audit append: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for attempt := 1; ; attempt++ {
		if err := l.catchUp(ctx); err != nil {
			return Entry{}, fmt.Errorf("audit append: %w", err)
		}
		e, next, err := l.next(ev)
		if err != nil {
			return Entry{}, fmt.Errorf("audit append: %w", err)
		}
		data, err := json.Marshal(e)
		if err != nil {
			return Entry{}, fmt.Errorf("audit append: encode entry %d: %w", e.Index, err)
		}
		if l.beforePublish != nil {
			l.beforePublish()
		}
		seq, err := l.stream.Append(ctx, SubjectEvents, data, l.lastSeq)
		if errors.Is(err, pipeline.ErrChanged) && attempt < defaultRetries {
			l.log.Debug().Int64("index", e.Index).Int("attempt", attempt).Msg("another writer appended first; reloading the tail")
			select {
			case <-ctx.Done():
				return Entry{}, fmt.Errorf("audit append: %w", ctx.Err())
			case <-time.After(time.Duration(attempt) * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return Entry{}, fmt.Errorf("audit append: entry %d: %w", e.Index, err)
		}
		l.tree, l.lastSeq = next, seq
		e.Seq = seq
		l.log.Debug().Int64("index", e.Index).Str("object_kind", string(ev.Object.Kind)).Str("object_id", ev.Object.ID).
			Str("action", string(ev.Action)).Str("outcome", string(ev.Outcome)).Msg("audit event appended")
		return e, nil
	}
}

// next builds the entry for ev at the current tail, and the tree after it,
// leaving l.tree as it is until the publish succeeds.
func (l *Log) next(ev Event) (Entry, *tree, error) {
	t := l.tree.clone()
	e := Entry{Index: t.size, Event: ev}
	var err error
	if e.Leaf, err = LeafHash(e.Index, ev); err != nil {
		return Entry{}, nil, err
	}
	if e.Root, err = t.append(e.Leaf); err != nil {
		return Entry{}, nil, err
	}
	e.Size = t.size
	l.cfg.Signer.sign(&e)
	return e, t, nil
}

// catchUp reads the messages after lastSeq and adds to the tree each
// entry that extends it. Anyone allowed to publish on the subject can put
// anything there and the stream refuses deletes, so what cannot be the
// next entry (not an entry, not signed by a known key, not the next index
// or tree head) is skipped, never fatal: otherwise one stray message would
// stop auditing for good. Verify names each skipped message.
func (l *Log) catchUp(ctx context.Context) error {
	return l.scan(ctx, l.lastSeq+1, func(seq uint64, data []byte) error {
		t, err := l.extend(data)
		if err != nil {
			l.log.Warn().Uint64("seq", seq).Err(err).Msg("audit stream message skipped; 'callscribe audit verify' names it")
			l.lastSeq = seq
			return nil
		}
		l.tree, l.lastSeq = t, seq
		return nil
	})
}

// extend returns the tree after the entry in data, or why the entry
// cannot be the next one. Checking every signature costs about 75µs an
// entry on a restart (ed25519.Verify measured on a 2-core build machine,
// so about 75s a million entries); without it a forged entry could take
// a place in the chain that honest entries would then build on.
func (l *Log) extend(data []byte) (*tree, error) {
	e, err := DecodeEntry(data)
	if err != nil {
		return nil, fmt.Errorf("not an audit entry: %w", err)
	}
	if err := checkEntrySig(l.keys, e); err != nil {
		return nil, fmt.Errorf("entry %d: bad signature: %w", e.Index, err)
	}
	if e.Index != l.tree.size {
		return nil, fmt.Errorf("entry %d does not extend the chain: entry %d is next", e.Index, l.tree.size)
	}
	if leaf, err := LeafHash(e.Index, e.Event); err != nil || leaf != e.Leaf {
		return nil, fmt.Errorf("entry %d: event does not match its signed leaf hash", e.Index)
	}
	t := l.tree.clone()
	root, err := t.append(e.Leaf)
	if err != nil {
		return nil, err
	}
	if root != e.Root {
		return nil, fmt.Errorf("entry %d does not extend the chain: tree head differs", e.Index)
	}
	return t, nil
}

// scan calls fn for every message from stream sequence from to the last
// one when scan began, in order; holes are skipped (Verify reports what is
// missing).
func (l *Log) scan(ctx context.Context, from uint64, fn func(seq uint64, data []byte) error) error {
	return l.stream.Scan(ctx, SubjectEvents, from, fn)
}

// ReadAll returns every entry in stream order, each with its Seq, and a
// Malformed problem for each message that is not an entry.
func (l *Log) ReadAll(ctx context.Context) ([]Entry, []Problem, error) {
	var entries []Entry
	var bad []Problem
	err := l.scan(ctx, 1, func(seq uint64, data []byte) error {
		e, err := DecodeEntry(data)
		if err != nil {
			bad = append(bad, Problem{Kind: Malformed, Index: -1, Position: -1, Seq: seq, Detail: "not an audit entry: " + err.Error()})
			return nil
		}
		e.Seq = seq
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return entries, bad, nil
}

// Head is the tree head this process last appended or read; zero before
// the first Append.
func (l *Log) Head() Head {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, _ := l.tree.root()
	return Head{Size: l.tree.size, Root: r}
}
