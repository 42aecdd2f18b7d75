// Package retention applies the privacy notice's records-management rules
// to calls: administrative-only calls are deleted four weeks after the call
// (recording, transcript, decision, review item, everything), confirmed
// clinical calls are deleted locally a set time after confirmation (the
// medical record now holds them), and uncertain or undecided calls are never
// deleted automatically. It also erases a call everywhere when the caller
// objects to recording.
//
// A Sweeper does the deleting. It reads the decision of every call from
// CALL_STATE and REVIEW on each pass, so a restart loses nothing: a call that
// fell due while no sweeper ran is deleted on the next pass. Each deletion
// leaves a tombstone without content in CALL_STATE (so the same call ID
// cannot be submitted again) and is reported to OnErase for the audit trail.
package retention
