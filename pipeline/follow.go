package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// FollowResults hands every result on RESULTS to handle, through the
// durable consumer name, so nothing is missed across restarts, until ctx
// ends. Each message is read with the rule every reader applies
// (ResultOn). A result that can never be handled (undecodable, subject and
// body naming different calls, or handle's ErrInvalidCall/ErrUntrusted) is
// parked: terminated once with its reason, never retried, and left on
// RESULTS for a person to look at. Other failures are retried after a
// second. What happens to each refused or failed result is logged to log,
// the follower's own.
func (c *Client) FollowResults(ctx context.Context, name, description string, log zerolog.Logger, handle func(context.Context, *ResultMessage) error) error {
	cons, err := c.js.CreateOrUpdateConsumer(ctx, StreamResults, jetstream.ConsumerConfig{
		Durable:       name,
		Description:   description,
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1,
	})
	if err != nil {
		return fmt.Errorf("%s: consumer on %s: %w", name, StreamResults, err)
	}
	log = log.With().Str("consumer", name).Logger()
	cc, err := cons.Consume(func(m jetstream.Msg) {
		r, err := ResultOn(m.Subject(), m.Data())
		if err == nil {
			hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err = handle(hctx, r)
			cancel()
		}
		switch {
		case err == nil:
			_ = m.Ack()
		case errors.Is(err, ErrInvalidCall) || errors.Is(err, ErrUntrusted):
			park(log, m, err)
		default:
			log.Error().Err(err).Str("subject", m.Subject()).Msg("result not handled; will retry")
			_ = m.NakWithDelay(time.Second)
		}
	})
	if err != nil {
		return fmt.Errorf("%s: consume %s: %w", name, StreamResults, err)
	}
	<-ctx.Done()
	cc.Stop()
	return ctx.Err()
}

// park terminates a result that can never be handled. RESULTS keeps
// messages by limits, so terminating only ends delivery: the message stays
// for a person, and the reason goes to the log and to the server's
// termination advisory. The reason holds call IDs and field names, never
// the values.
func park(log zerolog.Logger, m jetstream.Msg, cause error) {
	var seq uint64
	if md, err := m.Metadata(); err == nil {
		seq = md.Sequence.Stream
	}
	log.Error().Err(cause).Str("subject", m.Subject()).Uint64("results_seq", seq).
		Msg("result refused and parked: it is not handled and not retried")
	reason := cause.Error()
	if len(reason) > 200 {
		reason = reason[:200]
	}
	if err := m.TermWithReason(reason); err != nil {
		log.Warn().Err(err).Uint64("results_seq", seq).Msg("parking not confirmed; a redelivery parks it again")
	}
}
