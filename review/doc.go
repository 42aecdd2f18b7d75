// Package review holds what happens to a classified call after the
// pipeline: clinical calls become proposals for the medical record, and
// uncertain calls wait in a triage queue for a person to decide. A clinician
// confirms a proposal (optionally amending the text), or rejects it with a
// reason; a confirmed proposal is published as FHIR R4 on
// records.confirmed.<id>.
//
// # Layout on the server
//
//	REVIEW   key/value, key = call ID        the proposal or triage item, with its full history
//	RECORDS  stream, records.confirmed.<id>  FHIR transaction Bundles of confirmed calls
//
// Both live on the pipeline's NATS server: no second database. Every change
// is a compare-and-set on the item's KV revision, so two clinicians acting on
// the same proposal cannot both win; the loser is told to reload. The item
// carries its own history (who, when, what, why), and the bucket also keeps
// past revisions, so the audit trail survives a bad write.
//
// Items are made from RESULTS by a durable consumer ("review"), so a
// restart resumes where it stopped and a result is never turned into two
// proposals (creation is create-if-absent on the call ID).
//
// No result is trusted for what it claims: its subject and body must name
// the same valid call, and its metadata must be what the pipeline received
// for that call (pipeline.VerifyResult), else it is parked — terminated
// once with its reason, left on RESULTS — and never becomes an item.
//
// # Privacy
//
// Items hold health data (NHS number, amended text, reasons); logs carry
// call IDs, states and actors only.
package review
