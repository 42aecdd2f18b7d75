package review

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/callscribe/callscribe/classify"
)

// Errors a transition can return; the web UI shows them to the user.
var (
	ErrNotClarified   = errors.New(`nothing goes to the record until it has been clarified with the patient: tick "clarified with the patient"`)
	ErrReasonRequired = errors.New("a reason is required")
	ErrWrongState     = errors.New("not allowed in this state")
	ErrNoPatient      = errors.New("the call has no NHS number, so there is no record to add it to")
	ErrForbidden      = errors.New("your role may not do this")
)

// maxReason bounds free text typed into a reason or an amendment, so a
// pasted document cannot bloat every revision of the item.
const (
	maxReason  = 2000
	maxAmended = 200_000
)

// ConfirmInput is a clinician's confirmation.
type ConfirmInput struct {
	// Clarified must be true: the patient was told what goes in the record.
	Clarified bool
	// AmendedText, when set, replaces the transcript in the record.
	AmendedText string
}

// Confirm moves a proposal to confirmed, or to amended-and-confirmed when
// the clinician changed the text. Only clinicians may confirm.
func (it *Item) Confirm(a Actor, in ConfirmInput, now time.Time) error {
	if a.Role != RoleClinician {
		return ErrForbidden
	}
	if it.State != StateProposed {
		return fmt.Errorf("confirm %s: %w (it is %s)", it.CallID, ErrWrongState, it.State)
	}
	if !in.Clarified {
		return ErrNotClarified
	}
	if it.Call.NHSNumber == "" {
		return ErrNoPatient
	}
	to, action := StateConfirmed, ActionConfirm
	amended := strings.TrimSpace(in.AmendedText)
	if amended != "" {
		if len(amended) > maxAmended {
			return fmt.Errorf("amended text is %d bytes, at most %d", len(amended), maxAmended)
		}
		to, action = StateAmended, ActionAmendConfirm
		it.AmendedText = amended
	}
	it.move(a, action, to, "", true, now)
	it.Retention = RetentionRecord
	it.Record = &RecordStatus{Subject: it.Call.NHSNumber}
	return nil
}

// Reject moves a proposal to rejected. notClinical says the call was never
// clinical, which puts it under administrative retention.
func (it *Item) Reject(a Actor, reason string, notClinical bool, now time.Time) error {
	if a.Role != RoleClinician {
		return ErrForbidden
	}
	if it.State != StateProposed {
		return fmt.Errorf("reject %s: %w (it is %s)", it.CallID, ErrWrongState, it.State)
	}
	reason, err := cleanReason(reason)
	if err != nil {
		return err
	}
	it.move(a, ActionReject, StateRejected, reason, false, now)
	it.Reason = reason
	it.Retention = RetentionClinicalNotRecorded
	if notClinical {
		it.Retention = RetentionAdministrative
	}
	return nil
}

// Triage decides an uncertain call: clinical makes it a proposal,
// administrative closes it under administrative retention. A reason is
// required either way. Clinicians and admin staff may triage, since it
// needs only the call's administrative details plus, for clinicians, the
// transcript.
func (it *Item) Triage(a Actor, label classify.Label, reason string, now time.Time) error {
	if a.Role != RoleClinician && a.Role != RoleAdmin {
		return ErrForbidden
	}
	if it.State != StateTriage {
		return fmt.Errorf("triage %s: %w (it is %s)", it.CallID, ErrWrongState, it.State)
	}
	reason, err := cleanReason(reason)
	if err != nil {
		return err
	}
	switch label {
	case classify.Clinical:
		it.move(a, ActionTriageClinical, StateProposed, reason, false, now)
	case classify.Administrative:
		it.move(a, ActionTriageAdmin, StateAdministrative, reason, false, now)
		it.Retention = RetentionAdministrative
	default:
		return fmt.Errorf("triage %s: label %q: want clinical or administrative", it.CallID, label)
	}
	it.Reason = reason
	return nil
}

func (it *Item) move(a Actor, action Action, to State, reason string, clarified bool, now time.Time) {
	it.History = append(it.History, Event{At: now.UTC(), Actor: a, Action: action, From: it.State, To: to, Reason: reason, Clarified: clarified})
	it.State = to
	it.UpdatedAt = now.UTC()
}

func cleanReason(r string) (string, error) {
	r = strings.TrimSpace(r)
	if r == "" {
		return "", ErrReasonRequired
	}
	if len(r) > maxReason {
		return "", fmt.Errorf("reason is %d bytes, at most %d", len(r), maxReason)
	}
	return r, nil
}
