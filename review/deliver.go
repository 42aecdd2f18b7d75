package review

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/callscribe/callscribe/record"
)

// DeliveryCounter counts record deliveries by outcome: delivered, or a
// PostFailure, or "escalated". serve's metrics implement it.
type DeliveryCounter interface {
	CountDelivery(outcome string)
}

// deliver posts a published record to the FHIR server: unless patients may
// be created, first making sure the server has exactly one Patient with
// the NHS number, then the transaction. Success or failure is noted on the
// item; a failure schedules the next attempt (retryDelay).
func (s *Store) deliver(ctx context.Context, it Item, bundle []byte) (Item, error) {
	it, mine, err := s.claim(ctx, it)
	if err != nil || !mine {
		return it, err
	}
	p := s.cfg.FHIRServer
	start := time.Now()
	if !s.cfg.CreatePatient {
		err = p.CheckPatient(ctx, it.Call.NHSNumber)
	}
	var d *record.Delivered
	if err == nil {
		d, err = p.Post(ctx, bundle)
	}
	if err != nil {
		return s.notePostFailure(ctx, it, err)
	}
	s.count("delivered")
	s.log.Info().Str("call", it.CallID).Int("created", d.Created).Int("entries", len(d.Locations)).
		Int64("duration_ms", time.Since(start).Milliseconds()).Msg("record delivered to the FHIR server")
	return s.update(ctx, it.CallID, 0, func(i *Item) error {
		now := s.cfg.Now().UTC()
		r := i.Record
		r.Posted, r.PostedAt, r.Locations = true, now, d.Locations
		r.PostError, r.PostFailure, r.NextPostAt = "", "", time.Time{}
		i.History = append(i.History, Event{At: now, Actor: System, Action: ActionPosted, From: i.State, To: i.State})
		return nil
	})
}

// notePostFailure keeps the failure on the item (the UI shows it with the
// server's OperationOutcome text), schedules the next attempt, escalates a
// patient still not found after EscalateAfter, counts and logs it. Logs
// carry the kind and HTTP status only: the server's text may quote the NHS
// number.
func (s *Store) notePostFailure(ctx context.Context, it Item, cause error) (Item, error) {
	kind := failureOf(cause)
	s.count(string(kind))
	ev := s.log.Error().Str("call", it.CallID).Str("failure", string(kind))
	var se *record.ServerError
	if errors.As(cause, &se) {
		ev = ev.Int("http_status", se.Status)
	}
	ev.Msg("record not delivered to the FHIR server; will retry")
	escalated := false
	got, uerr := s.update(ctx, it.CallID, 0, func(i *Item) error {
		now := s.cfg.Now().UTC()
		r := i.Record
		r.PostError, r.PostFailure = cause.Error(), kind
		r.PostAttempts++
		if r.FirstFailedAt.IsZero() {
			r.FirstFailedAt = now
		}
		r.NextPostAt = now.Add(retryDelay(kind, r.PostAttempts))
		if kind == FailurePatientNotFound && !r.Escalated && now.Sub(r.FirstFailedAt) >= s.escalateAfter() {
			r.Escalated, escalated = true, true
		}
		return nil
	})
	if escalated {
		s.count("escalated")
		s.log.Error().Str("call", it.CallID).Float64("escalate_after_h", s.escalateAfter().Hours()).
			Msg("escalated: the patient of a confirmed record is still not found in the record system")
	}
	err := fmt.Errorf("%w (FHIR server: %v)", ErrNotDelivered, cause)
	if uerr != nil {
		return it, fmt.Errorf("%w; and noting the failure failed: %v", err, uerr)
	}
	return got, err
}

// deliveryLease is how long a claimed delivery keeps others off: longer
// than two requests at the Poster's 30 s timeout.
const deliveryLease = 2 * time.Minute

// claim takes the item's next delivery for this caller by a compare-and-set
// of NextPostAt to a lease, so that two deliverers (a clinician's confirm
// and the retry loop, or two serve processes) never post the same record
// at the same moment: concurrent conditional creates are only as atomic as
// the server makes them. Losing the race is not an error: the other
// deliverer notes the outcome.
func (s *Store) claim(ctx context.Context, it Item) (Item, bool, error) {
	got, err := s.update(ctx, it.CallID, it.Revision, func(i *Item) error {
		i.Record.NextPostAt = s.cfg.Now().UTC().Add(deliveryLease)
		return nil
	})
	if errors.Is(err, ErrConflict) {
		return it, false, nil
	}
	if err != nil {
		return it, false, fmt.Errorf("claim the delivery of %s: %w", it.CallID, err)
	}
	return got, true, nil
}

func failureOf(err error) PostFailure {
	switch {
	case errors.Is(err, record.ErrPatientNotFound):
		return FailurePatientNotFound
	case errors.Is(err, record.ErrRejected):
		return FailureRejected
	default:
		return FailureUnavailable
	}
}

// retryDelay is the wait before the next delivery after attempts failures
// of a kind, doubling from a first delay up to a cap:
//   - unavailable: 30 s up to 30 min — an outage or restart of the server;
//   - patient not found: 5 min up to 1 h — someone must register or merge
//     the patient, then the record goes on its own;
//   - rejected: 1 h up to 24 h — the same Bundle will be refused until the
//     server or callscribe changes, but nothing is ever given up.
func retryDelay(kind PostFailure, attempts int) time.Duration {
	first, most := 30*time.Second, 30*time.Minute
	switch kind {
	case FailurePatientNotFound:
		first, most = 5*time.Minute, time.Hour
	case FailureRejected:
		first, most = time.Hour, 24*time.Hour
	}
	d := first
	for i := 1; i < attempts && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}

func (s *Store) escalateAfter() time.Duration {
	if s.cfg.EscalateAfter > 0 {
		return s.cfg.EscalateAfter
	}
	return 24 * time.Hour
}

func (s *Store) count(outcome string) {
	if s.cfg.Deliveries != nil {
		s.cfg.Deliveries.CountDelivery(outcome)
	}
}
