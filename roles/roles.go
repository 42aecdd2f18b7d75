// Package roles names the roles of the people who use callscribe, in one
// place for every package that checks them (review's transitions, the
// audit trail's readers, the web's pages and API). People reach patient
// data only through the web component; programs reach NATS as component
// identities (pipeline.Identities), never as people.
package roles

const (
	// Clinician: full access, the only role that changes the record.
	Clinician = "clinician"
	// Admin: administrative staff: call time, line and state; the
	// transcripts of administrative calls only with identifiers redacted
	// (web /admin-calls); never clinical content or audio.
	Admin = "admin"
	// DPO: data protection officer: states, history and retention, subject
	// access exports, the audit trail.
	DPO = "dpo"
	// Auditor: the audit trail only.
	Auditor = "auditor"
	// Safety: the clinical safety officer and the rules owner: accuracy
	// monitoring only (counts of reviewers' decisions by rule and week),
	// never a call, its state or its words.
	Safety = "safety"
	// System: callscribe itself, in audit events and review histories.
	System = "system"
)

// People lists the roles a person can hold.
var People = []string{Clinician, Admin, DPO, Auditor, Safety}

// SeesClinical reports whether a role may see transcripts and hear audio.
func SeesClinical(role string) bool { return role == Clinician }

// MonitorsAccuracy reports whether a role may see the accuracy-monitoring
// statistics. They hold no call content, but which rules misfire is the
// safety case's business, not every reader's.
func MonitorsAccuracy(role string) bool { return role == Safety }

// SeesCalls reports whether a role may see individual calls at all (time,
// line, state); the safety role works from aggregates only.
func SeesCalls(role string) bool { return role != Safety }

// ReadsAudit reports whether a role may read the audit trail.
func ReadsAudit(role string) bool { return role == DPO || role == Auditor }
