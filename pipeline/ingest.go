package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrRecordingTooLarge means the audio exceeded the client's limit
// (WithMaxRecordingBytes). Nothing of it is kept.
var ErrRecordingTooLarge = errors.New("recording too large")

// ErrEmptyRecording means the audio reader had no bytes: there is nothing
// to transcribe, and queueing it would only produce a dead letter later.
var ErrEmptyRecording = errors.New("recording is empty")

// IngestResult says what Ingest did with a call.
type IngestResult struct {
	ID string
	// Duplicate is true when the call ID was already known (or the publish
	// was deduplicated). Nothing was changed: the stored audio was not
	// overwritten and the call will not be processed again.
	Duplicate bool
	// State is the call's state after ingest; for a duplicate, the state of
	// the original submission (e.g. transcribed).
	State State
	// Sequence is the message's sequence on CALLS; 0 when nothing was published.
	Sequence uint64
	// RecordingStored is true when this call stored the audio. It is false
	// for duplicates, for a resumed ingest whose audio was already stored,
	// and for calls where the caller objected to recording.
	RecordingStored bool
	RecordingBytes  uint64
}

// Ingest submits a recorded call: the audio goes to RECORDINGS (streamed in
// chunks, never held in memory whole), then the metadata is queued on
// calls.recorded.<id>.
//
// The order makes every step safe to repeat. First the call's state is
// read: if the ID is known and settled, erased or being worked on, this is
// a duplicate and nothing else happens. Audio is uploaded only if no
// recording exists under the ID, so a retry after a partial failure resumes
// without overwriting anything. Then the call's intake (when, and the
// recording's digest) is written once, before the publish, so a worker
// that picks the call up at once can check the audio against it; a retry
// finds it and leaves it. The recorder writes no call state: that belongs
// to the worker and the erasers (see Intake). The publish carries
// Nats-Msg-Id = ID, so two racing submissions queue one message.
//
// When meta.RecordingConsent is false the audio is not read or stored at all
// (the caller objected to being recorded); the call is still queued so the
// objection is recorded as state "objected" by a worker, which also purges any
// copy that might exist.
func (c *Client) Ingest(ctx context.Context, meta CallMeta, audio io.Reader) (IngestResult, error) {
	began := time.Now()
	if err := meta.Validate(); err != nil {
		return IngestResult{}, fmt.Errorf("ingest %s: %w", truncate(meta.ID, 40), err)
	}
	id := meta.ID
	res := IngestResult{ID: id}
	if meta.RecordingConsent && audio == nil {
		return res, fmt.Errorf("ingest %s: no audio given for a recorded call", id)
	}
	payload, err := json.Marshal(meta)
	if err != nil {
		return res, fmt.Errorf("ingest %s: encode metadata: %w", id, err)
	}

	// A call the pipeline has settled or erased is not taken again; one
	// still received (an earlier ingest that stopped part-way, or a
	// duplicate of a queued call) is finished idempotently below.
	existing, err := c.State(ctx, id)
	switch {
	case err == nil && existing.State != StateReceived:
		res.Duplicate, res.State = true, existing.State
		c.log.Info().Str("call_id", id).Bool("duplicate", true).Str("state", string(existing.State)).
			Float64("took_ms", msec(time.Since(began))).Msg("call ingest skipped: already known")
		return res, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return res, fmt.Errorf("ingest %s: %w", id, err)
	}

	var upload time.Duration
	var digest string
	if meta.RecordingConsent {
		upStart := time.Now()
		stored, n, d, err := c.storeRecording(ctx, id, audio)
		upload = time.Since(upStart)
		if err != nil {
			return res, fmt.Errorf("ingest %s: %w", id, err)
		}
		res.RecordingStored, res.RecordingBytes, digest = stored, n, d
	}
	created, err := c.writeIntake(ctx, id, Intake{ReceivedAt: time.Now().UTC(), CallAt: meta.StartedAt.UTC(), RecordingDigest: digest})
	if err != nil {
		return res, fmt.Errorf("ingest %s: %w", id, err)
	}

	msg := &nats.Msg{Subject: SubjectRecorded(id), Data: payload}
	ack, err := c.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(StreamCalls))
	if err != nil {
		// The outcome is unknown (a timeout may follow a stored message), so
		// the audio and state stay: retrying Ingest completes or dedups.
		return res, fmt.Errorf("ingest %s: queue on %s: %w", id, StreamCalls, err)
	}
	res.Sequence = ack.Sequence
	res.Duplicate = ack.Duplicate
	res.State = StateReceived

	c.log.Info().
		Str("call_id", id).
		Bool("duplicate", res.Duplicate).
		Bool("resumed", !created).
		Bool("recording_consent", meta.RecordingConsent).
		Bool("recording_stored", res.RecordingStored).
		Uint64("recording_bytes", res.RecordingBytes).
		Uint64("seq", ack.Sequence).
		Float64("upload_ms", msec(upload)).
		Float64("took_ms", msec(time.Since(began))).
		Msg("call ingested")
	return res, nil
}

// storeRecording uploads audio under id unless a recording is already there.
// It reports whether it stored anything and how many bytes the object holds.
// It also returns the object's digest, for the call's intake.
func (c *Client) storeRecording(ctx context.Context, id string, audio io.Reader) (bool, uint64, string, error) {
	obs, err := c.recordingStore(ctx)
	if err != nil {
		return false, 0, "", err
	}
	info, err := obs.GetInfo(ctx, id)
	switch {
	case err == nil:
		return false, info.Size, info.Digest, nil // never overwrite a call's audio
	case !errors.Is(err, jetstream.ErrObjectNotFound):
		return false, 0, "", fmt.Errorf("look up recording: %w", err)
	}

	br := bufio.NewReaderSize(audio, 64<<10)
	if _, err := br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			return false, 0, "", ErrEmptyRecording
		}
		return false, 0, "", fmt.Errorf("read recording: %w", err)
	}
	capped := &cappedReader{r: br, max: c.maxRecording}
	info, err = obs.Put(ctx, jetstream.ObjectMeta{Name: id}, capped)
	if err != nil {
		// Put purges the chunks of a failed upload itself.
		if capped.over {
			return false, 0, "", fmt.Errorf("store recording: %w: over %d bytes", ErrRecordingTooLarge, c.maxRecording)
		}
		return false, 0, "", fmt.Errorf("store recording: %w", err)
	}
	return true, info.Size, info.Digest, nil
}

// cappedReader fails once more than max bytes have been read, so an
// oversized upload is aborted mid-stream instead of being stored first.
type cappedReader struct {
	r    io.Reader
	max  int64
	n    int64
	over bool
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.over {
		return 0, ErrRecordingTooLarge
	}
	if room := c.max - c.n + 1; int64(len(p)) > room {
		p = p[:room] // one byte past the cap is enough to know
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		c.over = true
		return 0, ErrRecordingTooLarge
	}
	return n, err
}
