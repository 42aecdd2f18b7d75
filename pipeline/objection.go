package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/callscribe/callscribe/call"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Objections arrive as requests on calls.objection.<sender>.<id>, from the
// call recorder (the telephony system) or the web (a signed-in person);
// the reply says what was erased. A request, not a stream message: the
// sender learns whether the objection took effect, and retries if nobody
// answered. The sender token is the identity that sent it: each identity
// may publish only under its own name (IdentityPermissions), so the
// subject, not the body, says who sent an objection.
const subjectObjection = "calls.objection."

// SubjectObjection is where sender sends an objection to recording call id.
func SubjectObjection(sender, id string) string { return subjectObjection + sender + "." + id }

// unidentified is the sender token of a client that connected without an
// identity (a server without authentication: tests).
const unidentified = "unidentified"

// Limits on an objection's free text: it names who recorded the objection
// and why, and must not become a place to store call content.
const (
	maxObjectionBy     = 128
	maxObjectionReason = 500
)

// Objection is a caller's objection to the recording of a call, as a
// member of staff recorded it. It holds who and why, never call content.
type Objection struct {
	CallID string    `json:"call_id"`
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at,omitzero"`
	// ByRole is By's role, as the web authenticated them; empty from the
	// recorder, whose By is a staff ID the telephony system reported.
	ByRole string `json:"by_role,omitempty"`
	// Sender is the identity that sent the objection, from the subject it
	// came on (never from the body).
	Sender string `json:"-"`
}

// Validate checks the objection before anything is erased.
func (o Objection) Validate() error {
	if !ValidID(o.CallID) {
		return fmt.Errorf("%w: call ID %q: must match %s", ErrInvalidCall, truncate(o.CallID, 40), call.IDPattern)
	}
	if strings.TrimSpace(o.By) == "" {
		return fmt.Errorf("%w: objection to %s: who recorded it (by) is required", ErrInvalidCall, o.CallID)
	}
	if err := checkPrintable(o.By, maxObjectionBy); err != nil {
		return fmt.Errorf("%w: objection to %s: by: %w", ErrInvalidCall, o.CallID, err)
	}
	if err := checkPrintable(o.Reason, maxObjectionReason); err != nil {
		return fmt.Errorf("%w: objection to %s: reason: %w", ErrInvalidCall, o.CallID, err)
	}
	return nil
}

// Object honours an objection: the recording and everything derived from
// it are erased (a transcription in progress stops and publishes nothing),
// and the objection — who, when, why — stays as the call's tombstone, so
// the call is refused if it is submitted again, even if it never arrived.
//
// A tombstone for an ID never seen is deliberate (issue 12 asked): the
// telephony system may send the objection before the recording, and the
// privacy notice promises that an objected call is never transcribed, so
// the tombstone must be there when the call arrives. Call IDs name one
// call each, so it blocks only that call; a mistaken or malicious one fails
// safe (the call is refused at ingest, naming the objection and who
// recorded it, rather than transcribed against a caller's wish), and who
// may object at all is the NATS permissions' business, not this function's.
func (c *Client) Object(ctx context.Context, o Objection) (Erased, error) {
	if err := o.Validate(); err != nil {
		return Erased{CallID: o.CallID}, err
	}
	reason := "caller objected to recording; recording and everything derived from it erased"
	if o.Reason != "" {
		reason += ": " + o.Reason
	}
	e, err := c.Erase(ctx, o.CallID, CallState{State: StateObjected, By: o.By, Reason: reason})
	if err != nil {
		return e, fmt.Errorf("objection to %s: %w", o.CallID, err)
	}
	c.log.Info().Str("call_id", o.CallID).Bool("recording_erased", e.Recording).
		Uint64("results_erased", e.Results).Uint64("queued_erased", e.Queued).Msg("objection to recording honoured")
	return e, nil
}

// ObjectionReply answers a request on calls.objection.<id>: what was
// erased (Erased's fields, and any the serving process adds), or an error.
type ObjectionReply struct {
	Erased *Erased `json:"erased,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// SendObjection sends an objection to whichever process serves them and
// waits for its answer.
func (c *Client) SendObjection(ctx context.Context, o Objection) (Erased, error) {
	return RequestObjection[Erased](ctx, c, o)
}

// RequestObjection is SendObjection for a server whose reply says more than
// Erased (ServeObjections with an ObjectFunc of another result type, such
// as one that also erases review items): the reply decodes into E.
func RequestObjection[E any](ctx context.Context, c *Client, o Objection) (E, error) {
	var none E
	if err := o.Validate(); err != nil {
		return none, err
	}
	data, err := json.Marshal(o)
	if err != nil {
		return none, fmt.Errorf("encode objection: %w", err)
	}
	sender := c.identity
	if sender == "" {
		sender = unidentified
	}
	msg, err := c.nc.RequestWithContext(ctx, SubjectObjection(sender, o.CallID), data)
	if errors.Is(err, nats.ErrNoResponders) {
		return none, fmt.Errorf("objection to %s: no callscribe process is serving objections (is 'callscribe serve' running with the objections role?): %w", o.CallID, err)
	}
	if err != nil {
		return none, fmt.Errorf("objection to %s: %w", o.CallID, err)
	}
	var r struct {
		Erased *E     `json:"erased"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &r); err != nil {
		return none, fmt.Errorf("objection to %s: decode reply: %w", o.CallID, err)
	}
	if r.Error != "" || r.Erased == nil {
		return none, fmt.Errorf("objection to %s: %s", o.CallID, r.Error)
	}
	return *r.Erased, nil
}

// ObjectFunc honours an objection; Client.Object is the pipeline's own, a
// caller that keeps more (review items) passes one that erases those too.
type ObjectFunc[E any] func(ctx context.Context, o Objection) (E, error)

// ServeObjections answers objection requests until ctx ends, honouring each
// with object. Every process that serves them joins one queue group, so
// each objection is handled once. done, if set, is told about each
// objection handled or refused (the audit trail); err is nil when the
// erase succeeded.
func ServeObjections[E any](ctx context.Context, c *Client, object ObjectFunc[E], done func(o Objection, e E, err error)) error {
	sub, err := c.nc.QueueSubscribe(subjectObjection+"*.*", "callscribe-objections", func(m *nats.Msg) {
		o, e, err := handleObjection(ctx, m, object)
		if done != nil {
			done(o, e, err)
		}
		var reply any = struct {
			Erased E `json:"erased"`
		}{e}
		if err != nil {
			reply = ObjectionReply{Error: err.Error()}
		}
		data, _ := json.Marshal(reply)
		if m.Reply != "" {
			if rerr := m.Respond(data); rerr != nil {
				c.log.Warn().Err(rerr).Str("call_id", o.CallID).Msg("objection reply not sent")
			}
		}
	})
	if err != nil {
		return fmt.Errorf("serve objections: %w", err)
	}
	<-ctx.Done()
	return sub.Drain()
}

func handleObjection[E any](ctx context.Context, m *nats.Msg, object ObjectFunc[E]) (Objection, E, error) {
	sender, id, _ := strings.Cut(strings.TrimPrefix(m.Subject, subjectObjection), ".")
	var o Objection
	var none E
	if len(m.Data) > MaxCallMetaBytes {
		return Objection{CallID: id}, none, fmt.Errorf("%w: objection larger than %d bytes", ErrInvalidCall, MaxCallMetaBytes)
	}
	if err := json.Unmarshal(m.Data, &o); err != nil {
		return Objection{CallID: id}, none, fmt.Errorf("%w: objection: decode JSON: %w", ErrInvalidCall, err)
	}
	if o.CallID == "" {
		o.CallID = id
	}
	if o.CallID != id {
		return o, none, fmt.Errorf("%w: objection names call %q on the subject of %q", ErrInvalidCall, truncate(o.CallID, 40), id)
	}
	o.Sender = sender
	if o.At.IsZero() {
		o.At = time.Now().UTC()
	}
	op, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	e, err := object(op, o)
	return o, e, err
}
