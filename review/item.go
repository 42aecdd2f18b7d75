package review

import (
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
)

// Kind says how an item entered review.
type Kind string

const (
	// KindProposal: the classifier labelled the call clinical.
	KindProposal Kind = "proposal"
	// KindTriage: the classifier was uncertain; a person decides.
	KindTriage Kind = "triage"
)

// State is where an item is in review.
type State string

const (
	// StateTriage: uncertain, waiting for a person to mark it clinical or administrative.
	StateTriage State = "triage"
	// StateProposed: clinical, waiting for a clinician.
	StateProposed State = "proposed"
	// StateConfirmed: added to the record as transcribed.
	StateConfirmed State = "confirmed"
	// StateAmended: added to the record with the clinician's amended text.
	StateAmended State = "amended-and-confirmed"
	// StateRejected: not added to the record; Reason says why.
	StateRejected State = "rejected"
	// StateAdministrative: triaged as administrative; never a proposal.
	StateAdministrative State = "administrative"
)

// Final reports whether nothing more can happen to the item.
func (s State) Final() bool {
	return s == StateConfirmed || s == StateAmended || s == StateRejected || s == StateAdministrative
}

// Retention says which records-management rule now governs the call. The
// governance work applies the rules; review only decides which one.
type Retention string

const (
	// RetentionPending: no decision yet; nothing may be deleted.
	RetentionPending Retention = "pending"
	// RetentionRecord: part of the medical record.
	RetentionRecord Retention = "clinical-record"
	// RetentionAdministrative: not clinical; administrative retention (deleted after 4 weeks).
	RetentionAdministrative Retention = "administrative"
	// RetentionClinicalNotRecorded: clinical, but the clinician chose not to
	// add it (e.g. already recorded elsewhere); kept as a clinical call.
	RetentionClinicalNotRecorded Retention = "clinical-not-recorded"
)

// Action names a change in an item's history.
type Action string

const (
	ActionCreated        Action = "created"
	ActionTriageClinical Action = "triaged-clinical"
	ActionTriageAdmin    Action = "triaged-administrative"
	ActionConfirm        Action = "confirmed"
	ActionAmendConfirm   Action = "amended-and-confirmed"
	ActionReject         Action = "rejected"
	ActionPublished      Action = "record-published"
	ActionPosted         Action = "record-sent-to-fhir-server"
)

// Actor is who made a change.
type Actor struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Role string `json:"role"`
}

// System is the actor for changes callscribe makes itself.
var System = Actor{ID: "callscribe", Role: "system"}

// Event is one change: who, when, what and why.
type Event struct {
	At     time.Time `json:"at"`
	Actor  Actor     `json:"actor"`
	Action Action    `json:"action"`
	From   State     `json:"from,omitempty"`
	To     State     `json:"to"`
	Reason string    `json:"reason,omitempty"`
	// Clarified records the clinician's statement that the entry was
	// clarified with the patient, as the privacy notice promises.
	Clarified bool `json:"clarified,omitempty"`
}

// Item is one call under review, stored under its call ID in REVIEW.
type Item struct {
	CallID    string            `json:"call_id"`
	Kind      Kind              `json:"kind"`
	State     State             `json:"state"`
	Retention Retention         `json:"retention"`
	Call      pipeline.CallMeta `json:"call"`
	// Label and Reasons are the classifier's, kept as they were.
	Label        classify.Label `json:"label"`
	Reasons      []string       `json:"reasons,omitempty"`
	RulesVersion string         `json:"rules_version,omitempty"`
	// Rules are the IDs of the rules whose clinical evidence counted (not
	// suppressed), and Uncertainty why a triage call was uncertain: kept
	// for accuracy monitoring (Summarise), IDs only, never matched words.
	Rules       []string             `json:"rules,omitempty"`
	Uncertainty classify.Uncertainty `json:"uncertainty,omitempty"`
	// CallDuration is the recording's length as transcribed.
	CallDuration time.Duration `json:"call_duration_ns,omitempty"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
	// AmendedText is the clinician's text when they amended before
	// confirming. The machine transcript stays untouched on RESULTS.
	AmendedText string `json:"amended_text,omitempty"`
	// Amendment is the amendment's size against the machine transcript,
	// measured at confirm time: numbers only, for monitoring.
	Amendment *AmendmentSize `json:"amendment,omitempty"`
	// Reason is why the item was rejected or triaged.
	Reason string `json:"reason,omitempty"`
	// Record is set once confirmed.
	Record  *RecordStatus `json:"record,omitempty"`
	History []Event       `json:"history"`
	// OutcomeKey is a random name for this item's decisions on OUTCOMES
	// (Retire): not derived from the call ID, so nothing links an
	// outcome kept there to the call once the item is gone.
	OutcomeKey string `json:"outcome_key,omitempty"`
	// Revision is the KV revision this item was read at; not stored.
	Revision uint64 `json:"-"`
}

// RecordStatus tracks the FHIR record of a confirmed item.
type RecordStatus struct {
	Subject     string    `json:"subject"`
	Published   bool      `json:"published"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	// Sequence is the Bundle's sequence on RECORDS.
	Sequence uint64 `json:"sequence,omitempty"`
	// LastError is the last publish failure, shown in the UI until a
	// publish succeeds.
	LastError string `json:"last_error,omitempty"`
	// Posted is set once a configured FHIR server accepted the record;
	// Locations are the resources it stored (e.g.
	// DocumentReference/1002/_history/1).
	Posted    bool      `json:"posted,omitempty"`
	PostedAt  time.Time `json:"posted_at,omitzero"`
	Locations []string  `json:"locations,omitempty"`
	// PostError is the last delivery failure in full (with the server's
	// OperationOutcome text), PostFailure its kind; both shown on the item
	// until a delivery succeeds.
	PostError   string      `json:"post_error,omitempty"`
	PostFailure PostFailure `json:"post_failure,omitempty"`
	// PostAttempts counts failed deliveries; NextPostAt is when the next
	// is due (durable back-off: it survives restarts).
	PostAttempts  int       `json:"post_attempts,omitempty"`
	FirstFailedAt time.Time `json:"first_failed_at,omitzero"`
	NextPostAt    time.Time `json:"next_post_at,omitzero"`
	// Escalated is set when the patient has still not been found in the
	// record system after Config.EscalateAfter.
	Escalated bool `json:"escalated,omitempty"`
}

// PostFailure is why a record has not reached the FHIR server.
type PostFailure string

const (
	// FailureUnavailable: the server could not be reached, timed out or answered 429/5xx.
	FailureUnavailable PostFailure = "unavailable"
	// FailureRejected: the server refused the record (4xx).
	FailureRejected PostFailure = "rejected"
	// FailurePatientNotFound: no Patient in the record system has the call's NHS number.
	FailurePatientNotFound PostFailure = "patient-not-found"
)
