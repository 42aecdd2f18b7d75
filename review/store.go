package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/record"
)

// Names on the NATS server.
const (
	BucketReview  = "REVIEW"
	StreamRecords = "RECORDS"
	// StreamOutcomes keeps the reviewer decisions of calls the retention
	// period has ended, content-free (Outcome), so that accuracy
	// monitoring outlives the calls it was measured on.
	StreamOutcomes   = "OUTCOMES"
	SubjectOutcomes  = "review.outcomes"
	ConsumerReview   = "review"
	subjectConfirmed = "records.confirmed."
)

// SubjectConfirmed is where a confirmed call's FHIR Bundle is published.
func SubjectConfirmed(id string) string { return subjectConfirmed + id }

// ErrConflict means the item changed since it was read (another user acted
// first); reload and try again.
var ErrConflict = errors.New("the proposal was changed by someone else; reload it")

// Config sets up a Store.
type Config struct {
	// Replicas for the bucket and stream; 0 means 1.
	Replicas int
	// Bind opens the existing bucket and stream without creating or
	// changing them (components at run time may not).
	Bind bool
	// IDs is the namespace of the identifiers records carry.
	IDs record.Namespace
	// FHIRServer, if set, receives every confirmed record as well.
	FHIRServer *record.Poster
	// CreatePatient lets a record create a minimal Patient when the FHIR
	// server has none with the NHS number. Off: such a record waits on
	// the item as "patient not found in the record system".
	CreatePatient bool
	// EscalateAfter is how long a patient may stay not found before the
	// item is marked escalated and an error logged; 0 means 24 h.
	EscalateAfter time.Duration
	// Deliveries counts delivery outcomes (metrics); optional.
	Deliveries DeliveryCounter
	// Outcomes counts items made and reviewers' decisions (metrics); optional.
	Outcomes OutcomeCounter
	Log      zerolog.Logger
	// Now is the clock; time.Now if nil.
	Now func() time.Time
}

// Items is the bucket review items are kept in (pipeline.Bucket): reads,
// writes at a revision, keys, erasure.
type Items interface {
	Get(ctx context.Context, key string) ([]byte, uint64, error)
	Create(ctx context.Context, key string, value []byte) (uint64, error)
	Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error)
	Keys(ctx context.Context) ([]string, error)
	Erase(ctx context.Context, key string) (uint64, error)
}

// Records is the stream confirmed records are published on
// (pipeline.Stream).
type Records interface {
	PublishOnce(ctx context.Context, subject, id string, data []byte, header map[string]string) (uint64, error)
	Last(ctx context.Context, subject string) ([]byte, error)
	Erase(ctx context.Context, subject string) (uint64, error)
}

// OutcomeLog is the stream retired calls' decisions are kept on
// (pipeline.Stream).
type OutcomeLog interface {
	PublishOnce(ctx context.Context, subject, id string, data []byte, header map[string]string) (uint64, error)
	Scan(ctx context.Context, subject string, from uint64, fn func(seq uint64, data []byte) error) error
}

var (
	_ Items      = (*pipeline.Bucket)(nil)
	_ Records    = (*pipeline.Stream)(nil)
	_ OutcomeLog = (*pipeline.Stream)(nil)
)

// Store keeps review items in the REVIEW bucket.
type Store struct {
	c        *pipeline.Client
	kv       Items
	records  Records
	outcomes OutcomeLog
	cfg      Config
	log      zerolog.Logger
}

// Open returns a Store on the REVIEW bucket and RECORDS stream, creating
// or updating them first unless cfg.Bind is set. The pipeline's streams
// must exist (EnsureStreams).
func Open(ctx context.Context, c *pipeline.Client, cfg Config) (*Store, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if !cfg.Bind {
		if err := Ensure(ctx, c, cfg.Replicas); err != nil {
			return nil, err
		}
	}
	kv, err := c.Bucket(ctx, BucketReview)
	if err != nil {
		return nil, fmt.Errorf("open review store: %w", err)
	}
	records, err := c.Stream(ctx, StreamRecords)
	if err != nil {
		return nil, fmt.Errorf("open review store: %w", err)
	}
	outcomes, err := c.Stream(ctx, StreamOutcomes)
	if err != nil {
		return nil, fmt.Errorf("open review store: %w", err)
	}
	return &Store{c: c, kv: kv, records: records, outcomes: outcomes, cfg: cfg,
		log: cfg.Log.With().Str("component", "review").Logger()}, nil
}

// Ensure creates or updates the REVIEW bucket, the RECORDS and OUTCOMES streams with
// replicas copies (0 means 1): serve's setup identity does, before the
// components bind to them.
func Ensure(ctx context.Context, c *pipeline.Client, replicas int) error {
	if err := c.EnsureBucket(ctx, BucketReview, "call ID → proposal or triage item with its history", 64, replicas); err != nil {
		return fmt.Errorf("open review store: %w", err)
	}
	err := c.EnsureStream(ctx, pipeline.StreamSpec{
		Name:        StreamRecords,
		Description: "FHIR R4 transaction Bundles (DocumentReference + Provenance) of confirmed calls",
		Subjects:    []string{subjectConfirmed + "*"},
		Replicas:    replicas,
		Duplicates:  pipeline.DefaultDuplicateWindow,
	})
	if err != nil {
		return fmt.Errorf("open review store: %w", err)
	}
	err = c.EnsureStream(ctx, pipeline.StreamSpec{
		Name:        StreamOutcomes,
		Description: "reviewer decisions of calls whose retention ended: content-free, no call ID (accuracy monitoring)",
		Subjects:    []string{SubjectOutcomes},
		Replicas:    replicas,
		MaxMsgSize:  64 << 10,
		Duplicates:  pipeline.DefaultDuplicateWindow,
	})
	if err != nil {
		return fmt.Errorf("open review store: %w", err)
	}
	return nil
}

// Pipeline is the pipeline client the store reads results and audio through.
func (s *Store) Pipeline() *pipeline.Client { return s.c }

// Get returns the item for a call; the error wraps pipeline.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Item, error) {
	if !pipeline.ValidID(id) {
		return Item{}, fmt.Errorf("review item: %w: malformed call ID", pipeline.ErrInvalidCall)
	}
	data, rev, err := s.kv.Get(ctx, id)
	if err != nil {
		return Item{}, fmt.Errorf("review item: %w", err) // wraps pipeline.ErrNotFound
	}
	var it Item
	if err := json.Unmarshal(data, &it); err != nil {
		return Item{}, fmt.Errorf("review item %s: decode revision %d: %w", id, rev, err)
	}
	it.Revision = rev
	return it, nil
}

// Filter narrows List. Zero fields match everything.
type Filter struct {
	Line   string
	State  State
	Kind   Kind
	From   time.Time // call started at or after
	Before time.Time // call started before
}

func (f Filter) match(it Item) bool {
	return (f.Line == "" || it.Call.Line == f.Line) &&
		(f.State == "" || it.State == f.State) &&
		(f.Kind == "" || it.Kind == f.Kind) &&
		(f.From.IsZero() || !it.Call.StartedAt.Before(f.From)) &&
		(f.Before.IsZero() || it.Call.StartedAt.Before(f.Before))
}

// List returns the matching items, oldest call first: the queue order, so
// nobody's call waits behind newer ones. It reads every key, which is fine
// for a review queue of thousands; a larger deployment would index by state.
func (s *Store) List(ctx context.Context, f Filter) ([]Item, error) {
	keys, err := s.kv.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list review items: %w", err)
	}
	var out []Item
	for _, k := range keys {
		it, err := s.Get(ctx, k)
		if errors.Is(err, pipeline.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list review items: %w", err)
		}
		if f.match(it) {
			out = append(out, it)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Call.StartedAt.Equal(out[j].Call.StartedAt) {
			return out[i].Call.StartedAt.Before(out[j].Call.StartedAt)
		}
		return out[i].CallID < out[j].CallID
	})
	return out, nil
}

// FromResult makes the review item for a pipeline result: a proposal for a
// clinical call, a triage item for an uncertain one, nothing for an
// administrative one. It is idempotent: a call that already has an item
// keeps it (created false), whatever has happened to it since, so a later
// result can never change the patient an item is about.
//
// The result is trusted for nothing it claims: it must agree with what the
// pipeline received for the call (pipeline.VerifyResult), or the error wraps
// pipeline.ErrUntrusted or pipeline.ErrInvalidCall and nothing is made.
func (s *Store) FromResult(ctx context.Context, r *pipeline.ResultMessage) (created bool, err error) {
	if !pipeline.ValidID(r.Call.ID) {
		return false, fmt.Errorf("review item %q: %w: malformed call ID", r.Call.ID, pipeline.ErrInvalidCall)
	}
	var kind Kind
	var state State
	switch r.Decision.Label {
	case classify.Clinical:
		kind, state = KindProposal, StateProposed
	case classify.Uncertain:
		kind, state = KindTriage, StateTriage
	default:
		// Nothing to make, so nothing to verify: an administrative result
		// may already have expired (its retention), which is no forgery.
		return false, nil
	}
	// A call erased (objection) after its result was read has nothing to
	// review; the retention sweeper removes any item that slips through.
	if st, err := s.c.State(ctx, r.Call.ID); err == nil && st.State.Erased() {
		return false, nil
	}
	if err := s.c.VerifyResult(ctx, r); err != nil {
		return false, fmt.Errorf("review item %s: %w", r.Call.ID, err)
	}
	now := s.cfg.Now().UTC()
	it := Item{
		CallID: r.Call.ID, Kind: kind, State: state, Retention: RetentionPending, Call: r.Call,
		Label: r.Decision.Label, Reasons: r.Decision.Reasons, RulesVersion: r.Decision.RulesVersion,
		Rules: clinicalRules(r.Decision.Hits), Uncertainty: r.Decision.Uncertainty,
		CreatedAt: now, UpdatedAt: now, OutcomeKey: newOutcomeKey(),
		History: []Event{{At: now, Actor: System, Action: ActionCreated, To: state, Reason: "classified " + string(r.Decision.Label)}},
	}
	if r.Transcript != nil {
		it.CallDuration = r.Transcript.Duration
	}
	data, err := json.Marshal(it)
	if err != nil {
		return false, fmt.Errorf("review item %s: encode: %w", r.Call.ID, err)
	}
	if _, err := s.kv.Create(ctx, r.Call.ID, data); errors.Is(err, pipeline.ErrExists) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("review item %s: create: %w", r.Call.ID, err)
	}
	s.log.Info().Str("call", r.Call.ID).Str("state", string(state)).Msg("review item created")
	if s.cfg.Outcomes != nil {
		s.cfg.Outcomes.CountItem(kind)
	}
	return true, nil
}

// update applies change to the item at the revision it was read and writes
// it back only if nobody changed it in between.
func (s *Store) update(ctx context.Context, id string, rev uint64, change func(*Item) error) (Item, error) {
	it, err := s.Get(ctx, id)
	if err != nil {
		return Item{}, err
	}
	if rev != 0 && it.Revision != rev {
		return Item{}, ErrConflict
	}
	if err := change(&it); err != nil {
		return Item{}, err
	}
	data, err := json.Marshal(it)
	if err != nil {
		return Item{}, fmt.Errorf("review item %s: encode: %w", id, err)
	}
	n, err := s.kv.Update(ctx, id, data, it.Revision)
	if errors.Is(err, pipeline.ErrChanged) {
		return Item{}, ErrConflict
	}
	if err != nil {
		return Item{}, fmt.Errorf("review item %s: write: %w", id, err)
	}
	it.Revision = n
	return it, nil
}

// Confirm confirms (or amends and confirms) a proposal read at revision rev
// (0: whatever is current), then delivers its FHIR record. If delivery
// fails the confirmation stands, the error wraps ErrNotDelivered, the
// failure is kept on the item for the UI, and PublishPending retries it.
func (s *Store) Confirm(ctx context.Context, id string, rev uint64, a Actor, in ConfirmInput) (Item, error) {
	size := s.measureAmendment(ctx, id, in.AmendedText)
	it, err := s.update(ctx, id, rev, func(it *Item) error {
		if err := it.Confirm(a, in, s.cfg.Now()); err != nil {
			return err
		}
		if it.State == StateAmended {
			it.Amendment = size
		}
		return nil
	})
	if err != nil {
		return Item{}, fmt.Errorf("confirm %s: %w", id, err)
	}
	s.countLast(it)
	s.log.Info().Str("call", id).Str("by", a.ID).Str("state", string(it.State)).Msg("proposal confirmed")
	return s.publish(ctx, it)
}

// Reject rejects a proposal read at revision rev.
func (s *Store) Reject(ctx context.Context, id string, rev uint64, a Actor, reason string, notClinical bool) (Item, error) {
	it, err := s.update(ctx, id, rev, func(it *Item) error { return it.Reject(a, reason, notClinical, s.cfg.Now()) })
	if err != nil {
		return Item{}, fmt.Errorf("reject %s: %w", id, err)
	}
	s.countLast(it)
	s.log.Info().Str("call", id).Str("by", a.ID).Str("retention", string(it.Retention)).Msg("proposal rejected")
	return it, nil
}

// Triage decides an uncertain call read at revision rev.
func (s *Store) Triage(ctx context.Context, id string, rev uint64, a Actor, label classify.Label, reason string) (Item, error) {
	it, err := s.update(ctx, id, rev, func(it *Item) error { return it.Triage(a, label, reason, s.cfg.Now()) })
	if err != nil {
		return Item{}, fmt.Errorf("triage %s: %w", id, err)
	}
	s.countLast(it)
	s.log.Info().Str("call", id).Str("by", a.ID).Str("state", string(it.State)).Msg("call triaged")
	return it, nil
}
