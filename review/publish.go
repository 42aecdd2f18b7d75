package review

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/record"
	"github.com/callscribe/callscribe/transcribe"
)

// SchemaHeader carries the record message's schema name.
const (
	SchemaHeader = "Callscribe-Schema"
	SchemaRecord = "fhir.r4.bundle.transaction"
)

// ErrNotDelivered means a confirmation stands but its record has not yet
// reached NATS or the FHIR server; PublishPending retries it.
var ErrNotDelivered = errors.New("confirmed, but the record has not been delivered yet; it will be retried")

// publish builds a confirmed item's record, publishes it on
// records.confirmed.<id> and, if a FHIR server is configured, posts it
// there, noting each success on the item. Nats-Msg-Id = call ID, so a retry
// after a lost acknowledgement does not publish a second record; the FHIR
// post is a conditional create for the same reason.
func (s *Store) publish(ctx context.Context, it Item) (Item, error) {
	data, err := s.Bundle(ctx, it)
	if err != nil {
		return s.noteFailure(ctx, it, err)
	}
	if !it.Record.Published {
		seq, err := s.records.PublishOnce(ctx, SubjectConfirmed(it.CallID), it.CallID, data, map[string]string{SchemaHeader: SchemaRecord})
		if err != nil {
			return s.noteFailure(ctx, it, err)
		}
		it, err = s.update(ctx, it.CallID, 0, func(i *Item) error {
			now := s.cfg.Now().UTC()
			i.Record.Published, i.Record.PublishedAt, i.Record.Sequence, i.Record.LastError = true, now, seq, ""
			i.History = append(i.History, Event{At: now, Actor: System, Action: ActionPublished, From: i.State, To: i.State})
			return nil
		})
		if err != nil {
			return it, fmt.Errorf("record %s published, but noting it failed: %w", it.CallID, err)
		}
	}
	if s.cfg.FHIRServer != nil && !it.Record.Posted {
		return s.deliver(ctx, it, data)
	}
	return it, nil
}

// noteFailure keeps a publish failure on the item, where the UI shows it,
// and logs it (call ID and error only).
func (s *Store) noteFailure(ctx context.Context, it Item, cause error) (Item, error) {
	s.log.Error().Err(cause).Str("call", it.CallID).Str("to", "NATS").Msg("record not published; will retry")
	err := fmt.Errorf("%w (NATS: %v)", ErrNotDelivered, cause)
	got, uerr := s.update(ctx, it.CallID, 0, func(i *Item) error {
		i.Record.LastError = cause.Error()
		return nil
	})
	if uerr != nil {
		return it, fmt.Errorf("%w; and noting the failure failed: %v", err, uerr)
	}
	return got, err
}

// Bundle builds the FHIR Bundle for a confirmed item from its result.
func (s *Store) Bundle(ctx context.Context, it Item) ([]byte, error) {
	res, err := s.c.Result(ctx, it.CallID)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", it.CallID, err)
	}
	// The transcript must be the one about the patient the item names: a
	// record never joins one call's words to another's identity.
	if diff := pipeline.CallDiff(it.Call, res.Call); len(diff) > 0 {
		return nil, fmt.Errorf("record %s: %w: the result's %s differ from the review item's", it.CallID, pipeline.ErrUntrusted, strings.Join(diff, ", "))
	}
	machine := TranscriptText(res.Transcript)
	text := it.AmendedText
	if text == "" {
		text = machine
	}
	confirmer := Actor{}
	var confirmedAt time.Time
	for _, e := range it.History {
		if e.Action == ActionConfirm || e.Action == ActionAmendConfirm {
			confirmer, confirmedAt = e.Actor, e.At
		}
	}
	in := record.Input{
		CallID: it.CallID, CallStart: it.Call.StartedAt, Line: it.Call.Line, NHSNumber: it.Call.NHSNumber,
		Text: text, MachineText: machine, Amended: it.AmendedText != "", TranscribedAt: res.ProcessedAt,
		Clinician:   record.Person{ID: confirmer.ID, Name: confirmer.Name},
		ConfirmedAt: confirmedAt, Recogniser: recogniser(res.Transcript), IDs: s.cfg.IDs,
		CreatePatient: s.cfg.CreatePatient,
	}
	if it.CallDuration > 0 {
		in.CallEnd = it.Call.StartedAt.Add(it.CallDuration)
	}
	r, err := record.Build(in)
	if err != nil {
		return nil, err
	}
	return r.Bundle(s.cfg.Now())
}

// recogniser is the device a record names. A result from before
// transcripts named their recogniser says only its model file; the record
// says so rather than guess the engine.
func recogniser(t *transcribe.Transcript) record.Device {
	if t != nil && t.Recogniser != nil {
		r := t.Recogniser
		return record.Device{Engine: r.Engine, Version: r.Version, Model: r.Model, ModelSHA256: r.ModelSHA256}
	}
	d := record.Device{Engine: "speech recogniser", Version: "not recorded", Model: "not recorded"}
	if t != nil && t.Model != "" {
		d.Model = filepath.Base(t.Model)
	}
	return d
}

// PublishPending publishes the records of confirmed items whose publish
// failed earlier, and delivers those due to the FHIR server (see
// retryDelay). serve runs it at start and every 15 s.
func (s *Store) PublishPending(ctx context.Context) error {
	items, err := s.List(ctx, Filter{})
	if err != nil {
		return err
	}
	var firstErr error
	for _, it := range items {
		if it.Record == nil || (it.State != StateConfirmed && it.State != StateAmended) {
			continue
		}
		if it.Record.Published && (s.cfg.FHIRServer == nil || it.Record.Posted || s.cfg.Now().Before(it.Record.NextPostAt)) {
			continue
		}
		if _, err := s.publish(ctx, it); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// TranscriptText is the transcript as it goes into a record: one line per
// segment with its time and speaker.
func TranscriptText(t *transcribe.Transcript) string {
	if t == nil {
		return ""
	}
	var b strings.Builder
	for _, s := range t.Segments {
		fmt.Fprintf(&b, "[%s", Clock(s.Start))
		if s.Speaker != "" {
			fmt.Fprintf(&b, " %s", s.Speaker)
		}
		fmt.Fprintf(&b, "] %s\n", strings.TrimSpace(s.Text))
	}
	return b.String()
}

// Clock formats an audio offset as h:mm:ss.
func Clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// Follow turns results into review items until ctx ends, through the
// durable consumer "review" on RESULTS, so nothing is missed across
// restarts. A result that can never become an item (undecodable, subject
// and body naming different calls, or not matching the call received) is
// parked once with its reason and never retried (pipeline.FollowResults).
func (s *Store) Follow(ctx context.Context) error {
	err := s.c.FollowResults(ctx, ConsumerReview, "turns clinical and uncertain results into review items", s.log,
		func(ctx context.Context, r *pipeline.ResultMessage) error {
			_, err := s.FromResult(ctx, r)
			return err
		})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("review: %w", err)
	}
	return err
}
