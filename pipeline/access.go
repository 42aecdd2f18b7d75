package pipeline

import (
	"fmt"
	"slices"

	"github.com/nats-io/nats-server/v2/server"
)

// Roles of the people and programs that reach the NATS server. The review
// UI enforces the same roles for people in their browsers; on NATS they are
// enforced by the server itself, through each user's subject permissions,
// so a command line or a script gets no more than its role allows.
const (
	// RoleService: callscribe's own processes (workers, web, retention,
	// objections) and the call recorder that ingests: everything.
	RoleService = "service"
	// RoleClinician: reads calls in full (state, transcripts, audio, review
	// items, records) and may record objections.
	RoleClinician = "clinician"
	// RoleAdmin: administrative staff: call states only, never transcripts,
	// audio, review items or records; may record objections.
	RoleAdmin = "admin"
	// RoleDPO: data protection officer: reads everything for subject access
	// requests, including the audit trail, and appends the audit events of
	// the exports; changes nothing else.
	RoleDPO = "dpo"
	// RoleAuditor: reads the audit trail only.
	RoleAuditor = "auditor"
)

// Roles lists every role.
var Roles = []string{RoleService, RoleClinician, RoleAdmin, RoleDPO, RoleAuditor}

// User is a NATS user of the embedded server.
type User struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// jsRead allows reading the named streams: stream info, direct and
// ordinary message gets, and ordered consumers (object store reads).
func jsRead(streams ...string) []string {
	var s []string
	for _, st := range streams {
		s = append(s,
			"$JS.API.STREAM.INFO."+st,
			"$JS.API.STREAM.MSG.GET."+st,
			"$JS.API.DIRECT.GET."+st,
			"$JS.API.DIRECT.GET."+st+".>",
			"$JS.API.CONSUMER.CREATE."+st+".>",
			"$JS.API.CONSUMER.CREATE."+st,
			"$JS.API.CONSUMER.DELETE."+st+".>",
			"$JS.API.CONSUMER.MSG.NEXT."+st+".>",
			"$JS.ACK."+st+".>",
		)
	}
	return s
}

// Streams as each role may read them. The audit stream is named here
// rather than imported because the audit package builds on this one.
var (
	contentStreams = []string{StreamResults, StreamFailed, "OBJ_" + BucketRecordings, "KV_REVIEW", "RECORDS"}
	stateStreams   = []string{"KV_" + BucketState}
	auditStreams   = []string{"AUDIT"}
	auditSubject   = "audit.events"
)

// Permissions returns the server-side permissions of a role.
func Permissions(role string) (*server.Permissions, error) {
	inbox := &server.SubjectPermission{Allow: []string{"_INBOX.>"}}
	switch role {
	case RoleService:
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{">"}},
			Subscribe: &server.SubjectPermission{Allow: []string{">"}},
		}, nil
	case RoleClinician:
		pub := append(jsRead(slices.Concat(stateStreams, contentStreams)...), subjectObjection+"*", "$JS.API.INFO")
		return &server.Permissions{Publish: &server.SubjectPermission{Allow: pub}, Subscribe: inbox}, nil
	case RoleAdmin:
		pub := append(jsRead(stateStreams...), subjectObjection+"*", "$JS.API.INFO")
		return &server.Permissions{Publish: &server.SubjectPermission{Allow: pub}, Subscribe: inbox}, nil
	case RoleDPO:
		pub := append(jsRead(slices.Concat(stateStreams, contentStreams, auditStreams, []string{StreamCalls})...), "$JS.API.INFO", "$JS.API.STREAM.NAMES", auditSubject)
		return &server.Permissions{Publish: &server.SubjectPermission{Allow: pub}, Subscribe: inbox}, nil
	case RoleAuditor:
		pub := append(jsRead(auditStreams...), "$JS.API.INFO")
		return &server.Permissions{Publish: &server.SubjectPermission{Allow: pub}, Subscribe: inbox}, nil
	}
	return nil, fmt.Errorf("unknown role %q; known: %v", role, Roles)
}

// serverUsers turns users into nats-server users with their permissions.
func serverUsers(users []User) ([]*server.User, error) {
	out := make([]*server.User, 0, len(users))
	seen := map[string]bool{}
	for _, u := range users {
		if u.Name == "" || u.Password == "" {
			return nil, fmt.Errorf("user %q: name and password are required", u.Name)
		}
		if seen[u.Name] {
			return nil, fmt.Errorf("user %q: listed twice", u.Name)
		}
		seen[u.Name] = true
		p, err := Permissions(u.Role)
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", u.Name, err)
		}
		out = append(out, &server.User{Username: u.Name, Password: u.Password, Permissions: p})
	}
	return out, nil
}
