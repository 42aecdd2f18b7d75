package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Outcome is how a call ended, as published: a result or a dead letter,
// with when this process saw it.
type Outcome struct {
	ID      string
	Result  *ResultMessage // set for calls.transcribed.<id>
	Failed  *FailedMessage // set for calls.failed.<id>
	Arrived time.Time
}

// WatchOutcomes calls f with every result and dead letter published from now
// on, as each is published (a plain subscription: arrival times are real),
// until stop is called. f runs on the client's delivery goroutine, one
// message at a time: keep it short. A message whose body does not parse, or
// names another call than its subject does, is not passed on: nothing on the
// bus is trusted for what it claims.
func (c *Client) WatchOutcomes(f func(Outcome)) (stop func() error, err error) {
	sub, err := c.nc.Subscribe("calls.*.*", func(m *nats.Msg) {
		if o, ok := parseOutcome(m.Subject, m.Data); ok {
			o.Arrived = time.Now()
			f(o)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("watch outcomes: %w", err)
	}
	return sub.Unsubscribe, nil
}

// parseOutcome reads a message on calls.transcribed.<id> or calls.failed.<id>
// with the same rule as every other reader (ResultOn).
func parseOutcome(subject string, data []byte) (Outcome, bool) {
	switch {
	case strings.HasPrefix(subject, subjectTranscribed):
		r, err := ResultOn(subject, data)
		if err != nil {
			return Outcome{}, false
		}
		return Outcome{ID: r.Call.ID, Result: r}, true
	case strings.HasPrefix(subject, subjectFailed):
		f, err := failedOn(subject, data)
		if err != nil {
			return Outcome{}, false
		}
		return Outcome{ID: f.CallID, Failed: f}, true
	}
	return Outcome{}, false
}

// Connected reports whether the client holds a connection to a server now.
func (c *Client) Connected() bool { return c.nc.IsConnected() }
