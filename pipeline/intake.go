package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BucketIntake holds the call recorder's one write about each call.
const BucketIntake = "INTAKE"

// Intake is what the recorder says about a call when it submits it: when,
// and the digest of the recording it stored. It is the recorder's only
// write outside the queue and the recordings: the call's state belongs to
// the worker and the erasers, so a stolen recorder key cannot rewrite a
// call's state (issue 12's attack suite had it turn a transcribed call into
// "deleted"). The bucket is write-once: its stream refuses a second message
// on a key (discard new per subject), so not even the recorder can change
// an intake once written, and the worker checks the recording it reads
// against the digest here before transcribing it.
type Intake struct {
	ReceivedAt time.Time `json:"received_at"`
	CallAt     time.Time `json:"call_at,omitzero"`
	// RecordingDigest is the object store's digest of the recording
	// ("SHA-256=<base64url>"); empty for a call recorded without consent.
	RecordingDigest string `json:"recording_digest,omitempty"`
}

// ensureIntake creates or updates the write-once INTAKE bucket: an
// erasable bucket keeping one revision, whose stream refuses a new message
// on a key that holds one, and no rollup (which would replace it).
func ensureIntake(ctx context.Context, js jetstream.JetStream, replicas int) error {
	sc := kvStreamConfig(BucketIntake, "call ID → the recorder's submission (time, recording digest); write-once", 1, replicas)
	sc.DiscardNewPerSubject, sc.AllowRollup = true, false
	if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
		return fmt.Errorf("ensure key/value %s: %w", BucketIntake, err)
	}
	return nil
}

// intakeStore is the INTAKE bucket, looked up once.
func (c *Client) intakeStore(ctx context.Context) (jetstream.KeyValue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.intake == nil {
		kv, err := c.js.KeyValue(ctx, BucketIntake)
		if err != nil {
			return nil, bucketErr(BucketIntake, err)
		}
		c.intake = kv
	}
	return c.intake, nil
}

// Intake returns what the recorder wrote about a call; the error wraps
// ErrNotFound if it wrote nothing (or the call was erased).
func (c *Client) Intake(ctx context.Context, id string) (Intake, error) {
	kv, err := c.intakeStore(ctx)
	if err != nil {
		return Intake{}, fmt.Errorf("intake %s: %w", id, err)
	}
	e, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return Intake{}, fmt.Errorf("intake %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Intake{}, fmt.Errorf("intake %s: %w", id, err)
	}
	var in Intake
	if err := json.Unmarshal(e.Value(), &in); err != nil {
		return Intake{}, fmt.Errorf("intake %s: decode: %w", id, err)
	}
	return in, nil
}

// writeIntake writes a call's intake once; created is false if one was
// already there (a retried or duplicate submission), which is left as it is.
func (c *Client) writeIntake(ctx context.Context, id string, in Intake) (created bool, err error) {
	kv, err := c.intakeStore(ctx)
	if err != nil {
		return false, fmt.Errorf("intake %s: %w", id, err)
	}
	data, err := json.Marshal(in)
	if err != nil {
		return false, fmt.Errorf("intake %s: encode: %w", id, err)
	}
	_, err = kv.Create(ctx, id, data)
	if err == nil {
		return true, nil
	}
	if _, gerr := c.Intake(ctx, id); gerr == nil {
		return false, nil // refused because it exists: the first write stands
	}
	return false, fmt.Errorf("intake %s: %w", id, err)
}

// intakeIDs lists the calls with an intake.
func (c *Client) intakeIDs(ctx context.Context) ([]string, error) {
	kv, err := c.intakeStore(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := kvKeys(ctx, kv)
	if err != nil {
		return nil, fmt.Errorf("list intakes: %w", err)
	}
	return keys, nil
}

// checkRecording holds the call's recording to the digest the recorder
// wrote in its intake, which nobody can change: a recording replaced since
// it was submitted is refused (ErrUntrusted), not transcribed. It reads the
// whole recording and hashes it itself: the description's digest field is
// only what its writer put there, and the processor may stop reading
// before the end, where the object store would check the chunks. A second
// read of a local recording costs milliseconds (a call is a few MB); the
// processor's own read is not drained afterwards, because a reader left
// idle for a long transcription times out. A call without an intake
// (submitted before intakes were kept) is not checked.
func (c *Client) checkRecording(ctx context.Context, id string) error {
	in, err := c.Intake(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && in.RecordingDigest == "") {
		return nil
	}
	if err != nil {
		return err
	}
	r, err := c.Recording(ctx, id)
	if err != nil {
		return err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); errors.Is(err, jetstream.ErrDigestMismatch) {
		return fmt.Errorf("%w: recording %s: its chunks do not match its description", ErrUntrusted, id)
	} else if err != nil {
		return fmt.Errorf("recording %s: %w", id, err)
	}
	if jetstream.GetObjectDigestValue(h) != in.RecordingDigest {
		return fmt.Errorf("%w: recording %s was replaced after it was submitted (digest differs from its intake)", ErrUntrusted, id)
	}
	return nil
}
