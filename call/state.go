package call

import (
	"errors"
	"time"

	"github.com/callscribe/callscribe/classify"
)

// State is where a call is in the pipeline.
type State string

const (
	// Received: stored and queued; also a call waiting for a retry or
	// handed back by a worker that shut down.
	Received State = "received"
	// Transcribing: a worker holds the call.
	Transcribing State = "transcribing"
	// Transcribed: a result is on RESULTS.
	Transcribed State = "transcribed"
	// Failed: dead-lettered on FAILED; the audio is kept for a person to look at.
	Failed State = "failed"
	// Objected: the caller objected to recording; audio purged, never transcribed.
	Objected State = "objected"
	// Deleted: removed under the retention policy; only this entry,
	// without content, remains.
	Deleted State = "deleted"
)

// Settled reports whether the call needs no more work from the pipeline.
func (s State) Settled() bool {
	return s == Transcribed || s == Failed || s == Objected || s == Deleted
}

// Status is the CALL_STATE entry for one call.
type Status struct {
	State     State          `json:"state"`
	Label     classify.Label `json:"label,omitempty"`
	UpdatedAt time.Time      `json:"updated_at"`
	// Attempts is how many times a worker has been handed the call.
	Attempts int `json:"attempts,omitempty"`
	// Reason explains failed states and pending retries.
	Reason string `json:"reason,omitempty"`
	// Worker is the worker that last changed the state.
	Worker string `json:"worker,omitempty"`
	// CallAt is when the call was made (Meta.StartedAt); retention
	// periods count from it.
	CallAt time.Time `json:"call_at,omitzero"`
	// By is the member of staff who recorded an objection.
	By string `json:"by,omitempty"`
	// ReceivedAt is when ingest queued the call; later states keep it.
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// StartedAt is when the worker took the call for the current attempt
	// (state transcribing).
	StartedAt time.Time `json:"started_at,omitzero"`
	// Stage is what the worker is doing with the call (state
	// transcribing); the stage began at UpdatedAt.
	Stage Stage `json:"stage,omitempty"`
	// ResultSeq is the RESULTS sequence of the result the worker published
	// (state transcribed): the call's one true result, whatever else is
	// later published on its subject (see Client.Result).
	ResultSeq uint64 `json:"result_seq,omitempty"`
	// Revision is the KV revision of this entry; not stored in the value.
	Revision uint64 `json:"-"`
}

// ErrErased means the call was erased (objection or retention) and its
// tombstone is final: no state change may overwrite it.
var ErrErased = errors.New("call was erased")

// Erased reports whether the state is a tombstone left by Erase.
func (s State) Erased() bool { return s == Objected || s == Deleted }

// Stage is what a worker is doing with a call it holds (state transcribing).
type Stage string

const (
	// StageReading: opening and reading the recording from the object
	// store; it lasts until the processor reports its first stage.
	StageReading Stage = "reading"
	// StageDecoding: decoding and resampling the audio.
	StageDecoding Stage = "decoding"
	// StageTranscribing: speech recognition (Whisper).
	StageTranscribing Stage = "transcribing"
	// StageClassifying: the rules deciding administrative, clinical or uncertain.
	StageClassifying Stage = "classifying"
	// StageConfirming: a second transcription (the second opinion) before an
	// administrative label stands.
	StageConfirming Stage = "confirming"
	// StagePublishing: writing the result and settling the call.
	StagePublishing Stage = "publishing"
)

// Stages lists the stages in the order a call goes through them.
var Stages = []Stage{StageReading, StageDecoding, StageTranscribing, StageClassifying, StageConfirming, StagePublishing}

// Field is the log field holding the stage's duration, e.g. "decode_ms".
func (s Stage) Field() string {
	switch s {
	case StageReading:
		return "read_ms"
	case StageDecoding:
		return "decode_ms"
	case StageTranscribing:
		return "transcribe_ms"
	case StageClassifying:
		return "classify_ms"
	case StageConfirming:
		return "confirm_ms"
	case StagePublishing:
		return "publish_ms"
	}
	return string(s) + "_ms"
}

// QueuedAt is when the call was received: ReceivedAt, or for entries
// written before it was recorded, the last update.
func (s Status) QueuedAt() time.Time {
	if !s.ReceivedAt.IsZero() {
		return s.ReceivedAt
	}
	return s.UpdatedAt
}
