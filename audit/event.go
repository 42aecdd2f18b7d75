package audit

import (
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/callscribe/callscribe/pipeline"
)

// ErrInvalidEvent means an event was refused before it reached the log.
var ErrInvalidEvent = errors.New("invalid audit event")

// Action is what was done to the object.
type Action string

// Actions. They are a closed set so a caller cannot smuggle details into
// the action name.
const (
	ActionRead   Action = "read"
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
	ActionExport Action = "export"
)

// ObjectKind is the kind of thing that was touched.
type ObjectKind string

// Object kinds: the health data the issue asks to audit, and the audit
// trail itself (an auditor reading it is audited too).
const (
	KindRecording  ObjectKind = "recording"
	KindTranscript ObjectKind = "transcript"
	KindDecision   ObjectKind = "decision"
	KindProposal   ObjectKind = "proposal"
	KindRecord     ObjectKind = "record"
	KindAudit      ObjectKind = "audit"
	// KindSession is a review UI session: signing in creates one, signing
	// out deletes it; a refused sign-in is a denied create.
	KindSession ObjectKind = "session"
)

// Purpose is why the object was touched (lawful basis in data-protection
// terms). It is a short lower-case token, e.g. PurposeDirectCare; new
// purposes need no change here, but a token cannot carry content.
type Purpose string

// Common purposes.
const (
	PurposeDirectCare     Purpose = "direct-care"
	PurposeReview         Purpose = "review"
	PurposeProcessing     Purpose = "processing"
	PurposeAdministration Purpose = "administration"
	PurposeSubjectAccess  Purpose = "subject-access"
	PurposeRetention      Purpose = "retention"
	PurposeObjection      Purpose = "objection"
	PurposeAudit          Purpose = "audit"
)

// Outcome says whether access was granted and, for an action, whether it
// was carried out.
type Outcome string

// Outcomes. Failed is access that was granted but did not happen (a
// conflict, a server error): recording it as allowed would claim a change
// or a read that never took place.
const (
	Allowed Outcome = "allowed"
	Denied  Outcome = "denied"
	Failed  Outcome = "failed"
)

// MaxReasonLen bounds Event.Reason in characters: room for "role admin may
// not read transcripts", not for a paragraph of a transcript.
const MaxReasonLen = 120

// maxDigitRun is the longest run of digits a reason may contain. Phone
// numbers (11 digits) and NHS numbers (10) are longer; dates and counts
// are shorter.
const maxDigitRun = 6

var (
	tokenPattern = regexp.MustCompile(`^[a-z][a-z_-]{0,31}$`)
	userPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)
)

// Actor is who acts: a staff member's user ID and role, or callscribe
// itself (User "callscribe", Role "system"). It is also how callers of
// Query and VerifyLog identify themselves to Reader.Authorize.
type Actor struct {
	User string `json:"user"`
	Role string `json:"role"`
}

// Object names what was touched by kind and identifier (a call ID). The
// identifier is an opaque ID, never a phone or NHS number.
type Object struct {
	Kind ObjectKind `json:"kind"`
	ID   string     `json:"id"`
}

// Event is one access to health data: who, in what role, did what to which
// object, why, when, and whether it was allowed.
//
// It must never hold content: no transcript text, audio, caller number or
// NHS number. That is why every field is fixed, Action and Kind are closed
// sets, Role and Purpose are short tokens, Object.ID is a call ID, and the
// only free text, Reason, is one short line without long digit runs. The
// audit trail cannot be erased (it is append-only by design), so content
// put here would outlive every retention period: Validate refuses what it
// can recognise, and the rest is on the caller.
type Event struct {
	Time    time.Time `json:"time"`
	User    string    `json:"user"`
	Role    string    `json:"role"`
	Action  Action    `json:"action"`
	Object  Object    `json:"object"`
	Purpose Purpose   `json:"purpose"`
	Outcome Outcome   `json:"outcome"`
	// Reason is optional: why access was denied, or a short note such as
	// "confirmed with amendments". At most MaxReasonLen characters.
	Reason string `json:"reason,omitempty"`
}

// Allow is the event for access that was granted; Log.Append sets the time.
func Allow(a Actor, action Action, obj Object, purpose Purpose) Event {
	return Event{User: a.User, Role: a.Role, Action: action, Object: obj, Purpose: purpose, Outcome: Allowed}
}

// Deny is the event for access that was refused, with why.
func Deny(a Actor, action Action, obj Object, purpose Purpose, reason string) Event {
	return Event{User: a.User, Role: a.Role, Action: action, Object: obj, Purpose: purpose, Outcome: Denied, Reason: reason}
}

// Fail is the event for access that was allowed but failed, with why.
func Fail(a Actor, action Action, obj Object, purpose Purpose, reason string) Event {
	return Event{User: a.User, Role: a.Role, Action: action, Object: obj, Purpose: purpose, Outcome: Failed, Reason: reason}
}

// Actor is who acted.
func (e Event) Actor() Actor { return Actor{User: e.User, Role: e.Role} }

// Validate reports every problem with the event at once; the error wraps
// ErrInvalidEvent. A zero Time is allowed (Append fills it in).
func (e Event) Validate() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !userPattern.MatchString(e.User) {
		bad("user %q: want 1-64 letters, digits, '.', '_', '@', '-'", e.User)
	}
	if !tokenPattern.MatchString(e.Role) {
		bad("role %q: want a short lower-case token", e.Role)
	}
	switch e.Action {
	case ActionRead, ActionCreate, ActionUpdate, ActionDelete, ActionExport:
	default:
		bad("action %q: unknown", e.Action)
	}
	switch e.Object.Kind {
	case KindRecording, KindTranscript, KindDecision, KindProposal, KindRecord, KindAudit, KindSession:
	default:
		bad("object kind %q: unknown", e.Object.Kind)
	}
	if !pipeline.ValidID(e.Object.ID) {
		bad("object ID %q: not a valid ID", e.Object.ID)
	}
	if !tokenPattern.MatchString(string(e.Purpose)) {
		bad("purpose %q: want a short lower-case token", e.Purpose)
	}
	switch e.Outcome {
	case Allowed, Denied, Failed:
	default:
		bad("outcome %q: want allowed, denied or failed", e.Outcome)
	}
	if err := checkReason(e.Reason); err != nil {
		bad("reason: %v", err)
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidEvent, joinProblems(problems))
}

// checkReason keeps Reason to one short line that cannot hold a phone or
// NHS number. The reason itself is not echoed in the error: it may be the
// very content that must not be logged.
func checkReason(r string) error {
	if !utf8.ValidString(r) {
		return errors.New("not UTF-8")
	}
	if n := utf8.RuneCountInString(r); n > MaxReasonLen {
		return fmt.Errorf("%d characters, at most %d", n, MaxReasonLen)
	}
	run := 0
	for _, c := range r {
		if unicode.IsControl(c) {
			return errors.New("control characters (one line only)")
		}
		if unicode.IsDigit(c) {
			run++
			if run > maxDigitRun {
				return fmt.Errorf("more than %d digits in a row (looks like a phone or NHS number)", maxDigitRun)
			}
		} else if c != ' ' {
			run = 0 // "943 476 5919" is still one number
		}
	}
	return nil
}

func joinProblems(p []string) string {
	out := p[0]
	for _, s := range p[1:] {
		out += "; " + s
	}
	return out
}
