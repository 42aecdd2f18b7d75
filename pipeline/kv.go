package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// EnsureErasableKV creates or updates a key/value bucket whose revisions can
// be securely erased (EraseSubject). It is the stream nats.go would make
// for the bucket, with one difference: nats.go marks every bucket "deny
// delete", which blocks secure deletion of single revisions, and a stream
// can never drop that mark later. callscribe's buckets hold health data
// that must really go when a call is erased, so they are made without it.
//
// A bucket created by an older version with the mark keeps it; EraseSubject
// then purges instead and logs a warning.
func EnsureErasableKV(ctx context.Context, js jetstream.JetStream, bucket, description string, history uint8, replicas int) (jetstream.KeyValue, error) {
	sc := kvStreamConfig(bucket, description, history, replicas)
	name := sc.Name
	if old, err := js.Stream(ctx, name); err == nil && old.CachedInfo().Config.DenyDelete {
		sc.DenyDelete = true // cannot be undone on an existing bucket
	}
	if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
		return nil, fmt.Errorf("ensure key/value %s: %w", bucket, err)
	}
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("ensure key/value %s: %w", bucket, err)
	}
	return kv, nil
}

// kvStreamConfig is the stream behind an erasable bucket: what nats.go
// would make, without "deny delete" (see EnsureErasableKV).
func kvStreamConfig(bucket, description string, history uint8, replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              "KV_" + bucket,
		Description:       description,
		Subjects:          []string{"$KV." + bucket + ".>"},
		MaxMsgsPerSubject: int64(history),
		MaxBytes:          -1,
		MaxMsgSize:        -1,
		MaxMsgs:           -1,
		MaxConsumers:      -1,
		Storage:           jetstream.FileStorage,
		Replicas:          max(replicas, 1),
		AllowRollup:       true,
		AllowDirect:       true,
		Duplicates:        2 * time.Minute,
		Discard:           jetstream.DiscardNew,
	}
}
