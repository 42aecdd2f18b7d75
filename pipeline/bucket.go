package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Errors of Bucket and Stream.
var (
	// ErrExists means a key that must be new is already there.
	ErrExists = errors.New("already exists")
	// ErrChanged means the key or stream changed since it was read:
	// someone else wrote first.
	ErrChanged = errors.New("changed since read")
)

// Bucket is a key/value bucket of documents with optimistic concurrency,
// for the packages that keep state on the server (review's items) without
// speaking NATS themselves: only this package does.
type Bucket struct {
	c    *Client
	name string
	kv   jetstream.KeyValue
}

// EnsureBucket creates or updates an erasable bucket (EnsureErasableKV),
// keeping history revisions per key: serve's setup identity does.
func (c *Client) EnsureBucket(ctx context.Context, name, description string, history uint8, replicas int) error {
	_, err := EnsureErasableKV(ctx, c.js, name, description, history, replicas)
	return err
}

// Bucket opens an existing bucket; the error wraps ErrNotFound if there is
// none.
func (c *Client) Bucket(ctx context.Context, name string) (*Bucket, error) {
	kv, err := c.js.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("bucket %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", name, err)
	}
	return &Bucket{c: c, name: name, kv: kv}, nil
}

// Get returns a key's value and revision; the error wraps ErrNotFound.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	e, err := b.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, fmt.Errorf("%s %s: %w", b.name, key, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", b.name, key, err)
	}
	return e.Value(), e.Revision(), nil
}

// Create writes a new key; the error wraps ErrExists if it is there.
func (b *Bucket) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := b.kv.Create(ctx, key, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("%s %s: %w", b.name, key, ErrExists)
	}
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", b.name, key, err)
	}
	return rev, nil
}

// Update replaces a key's value if it is still at revision rev; the error
// wraps ErrChanged if someone else wrote first.
func (b *Bucket) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	n, err := b.kv.Update(ctx, key, value, rev)
	if isWrongLastSequence(err) {
		return 0, fmt.Errorf("%s %s: %w", b.name, key, ErrChanged)
	}
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", b.name, key, err)
	}
	return n, nil
}

// Keys lists the bucket's keys.
func (b *Bucket) Keys(ctx context.Context) ([]string, error) {
	keys, err := kvKeys(ctx, b.kv)
	if err != nil {
		return nil, fmt.Errorf("%s keys: %w", b.name, err)
	}
	return keys, nil
}

// kvKeys lists a bucket's keys.
func kvKeys(ctx context.Context, kv jetstream.KeyValue) ([]string, error) {
	lister, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for k := range lister.Keys() {
		out = append(out, k)
	}
	return out, nil
}

// Erase securely deletes every revision of key (EraseSubject) and says how
// many there were.
func (b *Bucket) Erase(ctx context.Context, key string) (uint64, error) {
	return b.c.EraseSubject(ctx, "KV_"+b.name, "$KV."+b.name+"."+key, 0)
}

// isWrongLastSequence reports a conditional write refused because the
// stream or subject moved on since the expected sequence (the second code
// is what a replicated stream answers).
func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
