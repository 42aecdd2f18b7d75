package retention

import (
	"fmt"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
)

// DefaultPeriod is the privacy notice's four weeks.
const DefaultPeriod = 28 * 24 * time.Hour

// Policy says how long calls are kept.
type Policy struct {
	// Administrative is how long an administrative-only call is kept after
	// the call (classifier labelled it administrative, a person triaged it
	// as administrative, or a clinician rejected it as not clinical).
	Administrative time.Duration
	// Confirmed is how long the local copy of a call confirmed into the
	// medical record is kept after confirmation. Negative keeps it.
	Confirmed time.Duration
}

// DefaultPolicy: four weeks for both.
func DefaultPolicy() Policy { return Policy{Administrative: DefaultPeriod, Confirmed: DefaultPeriod} }

// Validate refuses a policy that would delete at once or never for
// administrative calls, which the notice does not allow.
func (p Policy) Validate() error {
	if p.Administrative <= 0 {
		return fmt.Errorf("retention: administrative period %s: must be positive", p.Administrative)
	}
	return nil
}

// Due says when a call's content must be deleted and why; ok is false when
// the policy never deletes it automatically (uncertain, clinical not yet
// confirmed, clinical kept out of the record, failed, already erased).
// item is the call's review item, nil if it has none.
func (p Policy) Due(st pipeline.CallState, item *review.Item) (due time.Time, why string, ok bool) {
	if st.State.Erased() {
		return time.Time{}, "", false
	}
	callAt := st.CallAt
	if item != nil && !item.Call.StartedAt.IsZero() {
		callAt = item.Call.StartedAt
	}
	if callAt.IsZero() {
		callAt = st.UpdatedAt // later than the call: errs towards keeping
	}
	admin := func(how string) (time.Time, string, bool) {
		return callAt.Add(p.Administrative), fmt.Sprintf("administrative call (%s), kept %s after the call", how, p.Administrative), true
	}
	if item != nil {
		switch item.Retention {
		case review.RetentionAdministrative:
			return admin("decided in review: " + string(item.State))
		case review.RetentionRecord:
			if p.Confirmed < 0 {
				return time.Time{}, "", false
			}
			at, found := confirmedAt(item)
			if !found {
				return time.Time{}, "", false
			}
			return at.Add(p.Confirmed), fmt.Sprintf("confirmed into the medical record; local copy kept %s after confirmation", p.Confirmed), true
		}
		return time.Time{}, "", false
	}
	if st.State == pipeline.StateTranscribed && st.Label == classify.Administrative {
		return admin("classified")
	}
	return time.Time{}, "", false
}

// confirmedAt finds when a clinician confirmed the item.
func confirmedAt(it *review.Item) (time.Time, bool) {
	for i := len(it.History) - 1; i >= 0; i-- {
		switch it.History[i].Action {
		case review.ActionConfirm, review.ActionAmendConfirm:
			return it.History[i].At, true
		}
	}
	return time.Time{}, false
}
