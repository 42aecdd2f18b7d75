package pipeline

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Recording opens a call's stored audio for reading (re-transcription,
// export, a person reviewing a dead letter). The caller must close it. The
// error wraps ErrNotFound when no audio is stored, e.g. because the caller
// objected.
func (c *Client) Recording(ctx context.Context, id string) (io.ReadCloser, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("recording %q: %w: malformed call ID", truncate(id, 40), ErrInvalidCall)
	}
	obs, err := c.recordingStore(ctx)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", id, err)
	}
	r, err := obs.Get(ctx, id)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("recording %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", id, err)
	}
	return r, nil
}

// purgeRecording erases a call's audio: its chunks and then its
// description, each securely deleted from the object store's stream (see
// EraseSubject). The store's own Delete would leave the chunks' bytes on
// disk and a "deleted" entry naming the call. A recording that is already
// absent is not an error: the purge is idempotent.
func (c *Client) purgeRecording(ctx context.Context, id string) (existed bool, err error) {
	obs, err := c.recordingStore(ctx)
	if err != nil {
		return false, err
	}
	stream := "OBJ_" + BucketRecordings
	meta := "$O." + BucketRecordings + ".M." + base64.URLEncoding.EncodeToString([]byte(id))
	info, err := obs.GetInfo(ctx, id, jetstream.GetObjectInfoShowDeleted())
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("purge recording %s: look up: %w", id, err)
	}
	chunks := "$O." + BucketRecordings + ".C." + info.NUID
	n, err := c.EraseSubject(ctx, stream, chunks, 0)
	if err != nil {
		return false, fmt.Errorf("purge recording %s: %w", id, err)
	}
	if _, err := c.EraseSubject(ctx, stream, meta, 0); err != nil {
		return false, fmt.Errorf("purge recording %s: %w", id, err)
	}
	return n > 0 || !info.Deleted, nil
}

// RecordingInfo describes a stored recording without reading it.
type RecordingInfo struct {
	Size    int64
	ModTime time.Time
	// Digest is the object store's digest of the content (SHA-256=...).
	Digest string
}

// RecordingInfo returns what the store knows of a call's recording; the
// error wraps ErrNotFound when none is stored, and ErrUntrusted when the
// recording is not the one the recorder submitted (its digest differs from
// the call's write-once intake).
func (c *Client) RecordingInfo(ctx context.Context, id string) (RecordingInfo, error) {
	if !ValidID(id) {
		return RecordingInfo{}, fmt.Errorf("recording %q: %w: malformed call ID", truncate(id, 40), ErrInvalidCall)
	}
	obs, err := c.recordingStore(ctx)
	if err != nil {
		return RecordingInfo{}, fmt.Errorf("recording %s: %w", id, err)
	}
	info, err := obs.GetInfo(ctx, id)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return RecordingInfo{}, fmt.Errorf("recording %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return RecordingInfo{}, fmt.Errorf("recording %s: %w", id, err)
	}
	if in, err := c.Intake(ctx, id); err == nil && in.RecordingDigest != "" && in.RecordingDigest != info.Digest {
		return RecordingInfo{}, fmt.Errorf("%w: recording %s was replaced after it was submitted", ErrUntrusted, id)
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return RecordingInfo{}, fmt.Errorf("recording %s: %w", id, err)
	}
	return RecordingInfo{Size: int64(info.Size), ModTime: info.ModTime, Digest: info.Digest}, nil
}
