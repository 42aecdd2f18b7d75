package attack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsConn is the attacker's own nats.go connection: no callscribe code
// between it and the server, so what it may do is what the server allows.
type natsConn struct {
	nc         *nats.Conn
	js         jetstream.JetStream
	violations chan error
}

// dial connects to url with the nkey seed in seedFile ("" for none) and
// replies arriving under inbox ("" for nats.go's default _INBOX).
func dial(url, seedFile, inbox string) (*natsConn, error) {
	c := &natsConn{violations: make(chan error, 256)}
	opts := []nats.Option{
		nats.Name("attack-suite"), nats.Timeout(5 * time.Second), nats.MaxReconnects(0),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				select {
				case c.violations <- err:
				default:
				}
			}
		}),
	}
	if seedFile != "" {
		o, err := nats.NkeyOptionFromSeed(seedFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o)
	}
	if inbox != "" {
		opts = append(opts, nats.CustomInboxPrefix(inbox))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, err
	}
	c.nc = nc
	if c.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// dialAs connects as identity with its seed from s, using the identity's
// own inbox (the only one it may read): the best a thief of that seed can
// do.
func dialAs(t testing.TB, s *serveProc, identity string) *natsConn {
	t.Helper()
	c, err := dial(s.natsURL, s.seed(identity), "_INBOX_"+identity)
	if err != nil {
		t.Fatalf("connect with the %s seed: %v", identity, err)
	}
	t.Cleanup(c.nc.Close)
	return c
}

// attempt runs op until it ends or the server refuses one of its
// requests. A refused publish or request gets no reply, only an
// asynchronous permissions violation, so waiting for the op's own timeout
// would make every refusal cost seconds. nil means op succeeded.
func (c *natsConn) attempt(op func(ctx context.Context) error) error {
	c.dropViolations()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	select {
	case err := <-done:
		return err
	case err := <-c.violations:
		cancel()
		<-done
		return err
	}
}

// attackCanary is a subject no identity may publish or subscribe to.
// Violations arrive in order, so the canary's proves that the verdict on
// whatever was sent before it has arrived too.
const attackCanary = "$SYS.REQ.SERVER.PING.ATTACK-CANARY"

// subscribeRefused subscribes to subject and reports the server's verdict:
// nil if the subscription stands, the permissions violation if not (it
// comes asynchronously, before the canary subscription's).
func (c *natsConn) subscribeRefused(subject string) error {
	c.dropViolations()
	sub, err := c.nc.SubscribeSync(subject)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	can, err := c.nc.SubscribeSync(attackCanary)
	if err != nil {
		return err
	}
	defer can.Unsubscribe()
	return c.verdict("subscription")
}

// publishRefused publishes on subject with plain NATS and reports the
// server's verdict as subscribeRefused does, with a canary publish.
func (c *natsConn) publishRefused(subject string, data []byte) error {
	c.dropViolations()
	if err := c.nc.Publish(subject, data); err != nil {
		return err
	}
	if err := c.nc.Publish(attackCanary, nil); err != nil {
		return err
	}
	return c.verdict("publish")
}

// dropViolations forgets violations that belong to earlier operations.
func (c *natsConn) dropViolations() {
	for len(c.violations) > 0 {
		<-c.violations
	}
}

// verdict flushes and reads violations until the canary's arrives,
// returning the last one before it (nil: what was sent was allowed).
func (c *natsConn) verdict(what string) error {
	if err := c.nc.Flush(); err != nil {
		return err
	}
	var refused error
	timeout := time.After(10 * time.Second)
	for {
		select {
		case err := <-c.violations:
			if strings.Contains(err.Error(), attackCanary) {
				return refused
			}
			refused = err
		case <-timeout:
			return errors.New("no verdict on the canary " + what)
		}
	}
}

// apiRequest sends a raw JetStream API request and fails on an API error
// in the reply, so a reply that only says "no" is not taken for success.
func (c *natsConn) apiRequest(ctx context.Context, subject string, body any) ([]byte, error) {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	m, err := c.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		return nil, err
	}
	if st := m.Header.Get("Status"); st != "" && st != "200" {
		return nil, fmt.Errorf("%s: status %s %s", subject, st, m.Header.Get("Description"))
	}
	var apiErr struct {
		Error *struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if json.Unmarshal(m.Data, &apiErr) == nil && apiErr.Error != nil {
		return nil, fmt.Errorf("%s: API error %d %s", subject, apiErr.Error.Code, apiErr.Error.Description)
	}
	return m.Data, nil
}

// lastBySubject reads the last message on subject of stream by a direct
// get (the reply's body is the message itself).
func (c *natsConn) lastBySubject(ctx context.Context, stream, subject string) ([]byte, error) {
	return c.apiRequest(ctx, "$JS.API.DIRECT.GET."+stream, map[string]string{"last_by_subj": subject})
}

// msgGet reads the last message on subject of stream through the stream's
// ordinary get (the reply is JSON holding the message base64-encoded).
func (c *natsConn) msgGet(ctx context.Context, stream, subject string) ([]byte, error) {
	data, err := c.apiRequest(ctx, "$JS.API.STREAM.MSG.GET."+stream, map[string]string{"last_by_subj": subject})
	if err != nil {
		return nil, err
	}
	var r struct {
		Message struct {
			Data []byte `json:"data"`
		} `json:"message"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	return r.Message.Data, nil
}
