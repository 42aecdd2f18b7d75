package review

// Roles. They are defined here rather than in the web package because the
// transitions enforce them: a bug in a handler must not let admin staff
// confirm a record.
const (
	// RoleClinician: full access, the only role that changes the record.
	RoleClinician = "clinician"
	// RoleAdmin: administrative staff: call time, line and state; the
	// transcripts of administrative calls only with identifiers redacted
	// (web /admin-calls); never clinical content or audio.
	RoleAdmin = "admin"
	// RoleDPO: data protection officer: states, history and retention.
	RoleDPO = "dpo"
	// RoleAuditor: read-only view of history.
	RoleAuditor = "auditor"
	// RoleSystem: callscribe itself.
	RoleSystem = "system"
)

// SeesClinical reports whether a role may see transcripts and hear audio.
func SeesClinical(role string) bool { return role == RoleClinician }
