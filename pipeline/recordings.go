package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

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

// purgeRecording deletes a call's audio. Deleting an object only marks it
// deleted and removes its chunks, so the audio itself is gone. A recording
// that is already absent is not an error: the purge is idempotent.
func (c *Client) purgeRecording(ctx context.Context, id string) (existed bool, err error) {
	obs, err := c.recordingStore(ctx)
	if err != nil {
		return false, err
	}
	// GetInfo hides deleted objects; Delete would succeed on them anyway.
	if _, err := obs.GetInfo(ctx, id); errors.Is(err, jetstream.ErrObjectNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("purge recording %s: look up: %w", id, err)
	}
	err = obs.Delete(ctx, id)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("purge recording %s: %w", id, err)
	}
	return true, nil
}
