package review

import "github.com/callscribe/callscribe/roles"

// The roles, as review's transitions enforce them (a bug in a handler must
// not let admin staff confirm a record); defined once, in package roles.
const (
	RoleClinician = roles.Clinician
	RoleAdmin     = roles.Admin
	RoleDPO       = roles.DPO
	RoleAuditor   = roles.Auditor
	RoleSafety    = roles.Safety
	RoleSystem    = roles.System
)

// SeesClinical reports whether a role may see transcripts and hear audio.
func SeesClinical(role string) bool { return roles.SeesClinical(role) }
