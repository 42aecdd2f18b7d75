package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/callscribe/callscribe/roles"
)

// ErrForbidden means the actor may not read the audit trail.
var ErrForbidden = errors.New("not allowed to read the audit trail")

// Authorizer decides whether an actor may read the audit trail (Query,
// VerifyLog); a non-nil error refuses. It is the hook for the access
// control that callers (CLI, web UI) wire in: they pass the
// authenticated Actor, and Config.Authorize decides.
type Authorizer func(ctx context.Context, a Actor, action Action) error

// DefaultAuthorize lets the data protection officer and auditors read the
// trail, and nobody else. People reach the trail only through the web
// component, which authenticates them; this check gives a clear refusal and
// an audit event for the attempt.
func DefaultAuthorize(_ context.Context, a Actor, _ Action) error {
	if roles.ReadsAudit(a.Role) {
		return nil
	}
	return fmt.Errorf("%w: role %q (want %s or %s)", ErrForbidden, a.Role, roles.DPO, roles.Auditor)
}

// auditObject is the audit trail as an object of its own events.
var auditObject = Object{Kind: KindAudit, ID: StreamAudit}

// authorize applies Config.Authorize and, when the Log can write, records
// the attempt in the trail itself: reading who read health data is itself
// worth knowing.
func (l *Log) authorize(ctx context.Context, a Actor, action Action) error {
	authErr := l.cfg.Authorize(ctx, a, action)
	if l.cfg.Signer != nil {
		ev := Allow(a, action, auditObject, PurposeAudit)
		if authErr != nil {
			ev = Deny(a, action, auditObject, PurposeAudit, "not an auditor or DPO")
		}
		if _, err := l.Append(ctx, ev); err != nil {
			return fmt.Errorf("record access to the audit trail: %w", err)
		}
	}
	return authErr
}
