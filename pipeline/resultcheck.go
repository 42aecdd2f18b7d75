package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrUntrusted marks a result that names a call, patient or decision other
// than the ones the pipeline received and published for its call ID. Such
// a result must never reach a review item or a record: a forged body on a
// real call's subject would otherwise put one patient's transcript under
// another's NHS number. It is permanent: retrying cannot make it agree.
var ErrUntrusted = errors.New("result does not match the call the pipeline received")

// receivedSkew is how far an ingesting host's clock may run ahead of the
// server's before the pipeline's own result would be taken for one
// published before the call arrived (see firstResult).
const receivedSkew = time.Minute

// ResultOn decodes a message published on calls.transcribed.<id> and checks
// that the subject and the body name the same, valid call ID. It is the one
// rule every reader of results applies (WatchOutcomes, review): nothing on
// the bus is trusted for the call it claims. Errors wrap ErrInvalidCall.
func ResultOn(subject string, data []byte) (*ResultMessage, error) {
	id, err := subjectID(subject, subjectTranscribed)
	if err != nil {
		return nil, err
	}
	var r ResultMessage
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: result on %s: decode: %v", ErrInvalidCall, id, err)
	}
	if r.Call.ID != id {
		return nil, fmt.Errorf("%w: result on %s names call %q", ErrInvalidCall, id, truncate(r.Call.ID, 40))
	}
	return &r, nil
}

// failedOn is ResultOn's rule for dead letters on calls.failed.<id>.
func failedOn(subject string, data []byte) (*FailedMessage, error) {
	id, err := subjectID(subject, subjectFailed)
	if err != nil {
		return nil, err
	}
	var f FailedMessage
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: dead letter on %s: decode: %v", ErrInvalidCall, id, err)
	}
	if f.CallID != id {
		return nil, fmt.Errorf("%w: dead letter on %s names call %q", ErrInvalidCall, id, truncate(f.CallID, 40))
	}
	return &f, nil
}

// subjectID is the valid call ID ending subject, which must start with prefix.
func subjectID(subject, prefix string) (string, error) {
	id, ok := strings.CutPrefix(subject, prefix)
	if !ok || !ValidID(id) {
		return "", fmt.Errorf("%w: subject %q: want %s<call ID>", ErrInvalidCall, truncate(subject, 80), prefix)
	}
	return id, nil
}

// VerifyResult checks a result against what the pipeline received for its
// call: the metadata still queued on CALLS while the call is unsettled (the
// worker acknowledges only after recording its result's sequence), or else
// the result the pipeline published for it (see Result). The
// metadata must agree field for field (so the NHS number and caller number
// are the ingested ones), and once the call is transcribed the label must be
// the one recorded in CALL_STATE. Errors wrap ErrUntrusted or ErrInvalidCall
// when the result can never be accepted; anything else is transient.
func (c *Client) VerifyResult(ctx context.Context, r *ResultMessage) error {
	id := r.Call.ID
	if !ValidID(id) {
		return fmt.Errorf("verify result %q: %w: malformed call ID", truncate(id, 40), ErrInvalidCall)
	}
	st, err := c.State(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("verify result %s: %w: no call with this ID was received", id, ErrUntrusted)
	}
	if err != nil {
		return fmt.Errorf("verify result %s: %w", id, err)
	}
	want, err := c.Queued(ctx, id)
	if errors.Is(err, ErrNotFound) {
		var first *ResultMessage
		if first, err = c.Result(ctx, id); err == nil {
			want = first.Call
		}
	}
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("verify result %s: %w: the call (%s) is neither queued nor published by the pipeline", id, ErrUntrusted, st.State)
	}
	if err != nil {
		return fmt.Errorf("verify result %s: %w", id, err)
	}
	if diff := CallDiff(want, r.Call); len(diff) > 0 {
		// Field names only: the values are patient data.
		return fmt.Errorf("verify result %s: %w: %s differ from the call received", id, ErrUntrusted, strings.Join(diff, ", "))
	}
	if st.State == StateTranscribed && st.Label != "" && st.Label != r.Decision.Label {
		return fmt.Errorf("verify result %s: %w: label %q, the pipeline recorded %q", id, ErrUntrusted, r.Decision.Label, st.Label)
	}
	return nil
}

// CallDiff names the metadata fields (JSON names) in which a and b differ:
// names only, so it can be logged without patient data.
func CallDiff(a, b CallMeta) []string {
	fields := func(m CallMeta) map[string]json.RawMessage {
		out := map[string]json.RawMessage{}
		data, _ := json.Marshal(m) // CallMeta always encodes
		_ = json.Unmarshal(data, &out)
		return out
	}
	fa, fb := fields(a), fields(b)
	var diff []string
	for k, v := range fa {
		if !bytes.Equal(v, fb[k]) {
			diff = append(diff, k)
		}
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			diff = append(diff, k)
		}
	}
	sort.Strings(diff)
	return diff
}

// resultAt is the result at seq on RESULTS, which must be on id's subject.
func (c *Client) resultAt(ctx context.Context, id string, seq uint64) (*ResultMessage, error) {
	s, err := c.stream(ctx, StreamResults)
	if err != nil {
		return nil, err
	}
	m, err := s.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, ErrNotFound // expired (retention) or erased
	}
	if err != nil {
		return nil, fmt.Errorf("%s seq %d: %w", StreamResults, seq, err)
	}
	if m.Subject != SubjectTranscribed(id) {
		return nil, ErrNotFound // a state pointing at another call's message names no result of this one
	}
	return ResultOn(m.Subject, m.Data)
}

// firstResult is the earliest result on the call's subject stamped no
// earlier than the call was received (less receivedSkew) and, when want is
// given (the call is still queued), agreeing with it. The worker publishes
// once per call (Nats-Msg-Id = call ID) while the call is still queued, so
// this is the pipeline's own result; a message sent to the subject before
// the call arrived, or about another patient, cannot stand in for it.
func (c *Client) firstResult(ctx context.Context, id string, received time.Time, want *CallMeta) (*ResultMessage, uint64, error) {
	s, err := c.stream(ctx, StreamResults)
	if err != nil {
		return nil, 0, err
	}
	since := received.Add(-receivedSkew)
	for seq := uint64(1); ; {
		m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(SubjectTranscribed(id)))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, 0, ErrNotFound
		}
		if err != nil {
			return nil, 0, err
		}
		seq = m.Sequence + 1
		if !received.IsZero() && m.Time.Before(since) {
			continue
		}
		// Junk, another call's body or another patient on the subject is
		// not the pipeline's result either: look further.
		var r ResultMessage
		if json.Unmarshal(m.Data, &r) != nil || r.Call.ID != id || (want != nil && len(CallDiff(*want, r.Call)) > 0) {
			continue
		}
		return &r, m.Sequence, nil
	}
}
