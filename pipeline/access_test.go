package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
)

// TestIdentityMatrixOnNATS walks every operation on the server's data with
// every component identity's key and checks that the server itself allows
// exactly what the identity's job needs: the recorder never reads a
// transcript or a recording, only the worker publishes results, nobody
// deletes, purges or reconfigures a stream at run time, and nobody reads
// another identity's inbox.
func TestIdentityMatrixOnNATS(t *testing.T) {
	ctx := bg(t)
	creds, err := pipeline.LoadOrCreateCredentials(filepath.Join(t.TempDir(), "creds"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: t.TempDir(), Port: pipeline.RandomPort, Credentials: creds, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	connect := func(id string) *pipeline.Client {
		c, err := pipeline.Connect(ctx, srv.ClientURL(), pipeline.WithIdentity(creds, id))
		if err != nil {
			t.Fatalf("%s: connect: %v", id, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	if _, err := pipeline.Connect(ctx, srv.ClientURL()); err == nil {
		t.Error("connected without credentials")
	}

	// Setup lays out the streams; the recorder, worker and web fill them:
	// one transcribed call with its review item, record copy and an audit
	// entry.
	setup := connect(pipeline.IdentitySetup)
	if err := setup.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.EnsureErasableKV(ctx, setup.JetStream(), "REVIEW", "test", 8, 1); err != nil {
		t.Fatal(err)
	}
	for name, subj := range map[string]string{"RECORDS": "records.confirmed.*", "AUDIT": "audit.events", "OUTCOMES": "review.outcomes"} {
		if _, err := setup.JetStream().CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subj}, AllowDirect: true}); err != nil {
			t.Fatal(err)
		}
	}
	const id = "rbac-1"
	recorder := connect(pipeline.IdentityRecorder)
	for _, c := range append([]string{id}, pipeline.Identities...) {
		if c != id {
			c = "erase-" + c // each identity tries to erase a call with a recording
		}
		if _, err := recorder.Ingest(ctx, call(c), bytes.NewReader(audioFor(c))); err != nil {
			t.Fatal(err)
		}
	}
	worker := connect(pipeline.IdentityWorker)
	env := &testEnv{c: worker, logs: &logSink{t: t}}
	stop := runWorker(t, env.worker("w", &fakeProcessor{}))
	for _, c := range append([]string{id}, pipeline.Identities...) {
		if c != id {
			c = "erase-" + c
		}
		waitState(t, env, c, pipeline.StateTranscribed)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	web := connect(pipeline.IdentityWeb)
	reviewKV, err := web.JetStream().KeyValue(ctx, "REVIEW")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reviewKV.Put(ctx, id, []byte(`{"call_id":"rbac-1"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := web.JetStream().Publish(ctx, "records.confirmed."+id, []byte(`{"resourceType":"Bundle"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := web.JetStream().Publish(ctx, "audit.events", []byte(`{"object":"rbac-1","action":"read"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := connect(pipeline.IdentityRetention).JetStream().Publish(ctx, "review.outcomes", []byte(`{"verdict":"amended","week":"2026-W49"}`)); err != nil {
		t.Fatal(err)
	}
	objections := connect(pipeline.IdentityObjections)
	octx, cancel := context.WithCancel(ctx)
	defer cancel()
	go pipeline.ServeObjections(octx, objections, objections.Object, nil)
	waitFor(t, func() bool {
		_, err := web.SendObjection(ctx, pipeline.Objection{CallID: "warm-up", By: "test"})
		return err == nil
	})

	lastOn := func(c *pipeline.Client, stream, subject string) func(context.Context) error {
		return func(ctx context.Context) error {
			s, err := c.JetStream().Stream(ctx, stream)
			if err != nil {
				return err
			}
			_, err = s.GetLastMsgForSubject(ctx, subject)
			return err
		}
	}
	type op struct {
		name string
		do   func(ctx context.Context, c *pipeline.Client, role string) error
	}
	ops := []op{
		{"ingest", func(ctx context.Context, c *pipeline.Client, role string) error {
			_, err := c.Ingest(ctx, call("new-"+role), bytes.NewReader(audioFor(role)))
			return err
		}},
		{"read state", func(ctx context.Context, c *pipeline.Client, _ string) error { _, err := c.State(ctx, id); return err }},
		{"read transcript", func(ctx context.Context, c *pipeline.Client, _ string) error { _, err := c.Result(ctx, id); return err }},
		{"read audio", func(ctx context.Context, c *pipeline.Client, _ string) error {
			r, err := c.Recording(ctx, id)
			if err != nil {
				return err
			}
			defer r.Close()
			var b bytes.Buffer
			if _, err := b.ReadFrom(r); err != nil {
				return err
			}
			if !bytes.Equal(b.Bytes(), audioFor(id)) {
				return fmt.Errorf("audio differs")
			}
			return nil
		}},
		{"read review item", func(ctx context.Context, c *pipeline.Client, _ string) error {
			return lastOn(c, "KV_REVIEW", "$KV.REVIEW."+id)(ctx)
		}},
		{"read record copy", func(ctx context.Context, c *pipeline.Client, _ string) error {
			return lastOn(c, "RECORDS", "records.confirmed."+id)(ctx)
		}},
		{"read audit trail", func(ctx context.Context, c *pipeline.Client, _ string) error {
			return lastOn(c, "AUDIT", "audit.events")(ctx)
		}},
		{"record objection", func(ctx context.Context, c *pipeline.Client, role string) error {
			_, err := c.SendObjection(ctx, pipeline.Objection{CallID: "obj-" + role, By: role})
			return err
		}},
		{"erase a call", func(ctx context.Context, c *pipeline.Client, who string) error {
			e, err := c.Erase(ctx, "erase-"+who, pipeline.CallState{State: pipeline.StateDeleted})
			if err == nil && (!e.Recording || e.Results != 1) {
				return fmt.Errorf("erased %+v: want the recording and the result", e)
			}
			return err
		}},
		{"keep an outcome", func(ctx context.Context, c *pipeline.Client, who string) error {
			_, err := c.JetStream().Publish(ctx, "review.outcomes", []byte(`{"verdict":"confirmed","week":"2026-W49"}`))
			return err
		}},
		{"read kept outcomes", func(ctx context.Context, c *pipeline.Client, _ string) error {
			return lastOn(c, "OUTCOMES", "review.outcomes")(ctx)
		}},
		{"write audit trail", func(ctx context.Context, c *pipeline.Client, _ string) error {
			_, err := c.JetStream().Publish(ctx, "audit.events", []byte(`{"forged":true}`))
			return err
		}},
		{"publish a result", func(ctx context.Context, c *pipeline.Client, who string) error {
			_, err := c.JetStream().Publish(ctx, pipeline.SubjectTranscribed("forged-"+who), []byte(`{}`))
			return err
		}},
		{"take a queued call", func(ctx context.Context, c *pipeline.Client, _ string) error {
			cons, err := c.JetStream().Consumer(ctx, pipeline.StreamCalls, pipeline.ConsumerTranscribers)
			if err != nil {
				return err
			}
			batch, err := cons.FetchNoWait(1)
			if err != nil {
				return err
			}
			for m := range batch.Messages() {
				_ = m.Nak() // back to the queue
			}
			return batch.Error()
		}},
		{"write a call's state", func(ctx context.Context, c *pipeline.Client, _ string) error {
			_, err := c.JetStream().Publish(ctx, "$KV.CALL_STATE.state-probe", []byte(`{"state":"deleted"}`))
			return err
		}},
		{"rewrite an intake", func(ctx context.Context, c *pipeline.Client, _ string) error {
			_, err := c.JetStream().Publish(ctx, "$KV.INTAKE."+id, []byte(`{"recording_digest":"SHA-256=forged"}`))
			return err
		}},
		{"delete a stream", func(ctx context.Context, c *pipeline.Client, _ string) error {
			return c.JetStream().DeleteStream(ctx, "AUDIT")
		}},
		{"purge a stream", func(ctx context.Context, c *pipeline.Client, _ string) error {
			s, err := c.JetStream().Stream(ctx, pipeline.StreamResults)
			if err != nil {
				return err
			}
			return s.Purge(ctx)
		}},
		{"reconfigure a stream", func(ctx context.Context, c *pipeline.Client, _ string) error {
			_, err := c.JetStream().UpdateStream(ctx, jetstream.StreamConfig{Name: "RECORDS", Subjects: []string{"records.confirmed.*"}, AllowDirect: true, MaxAge: time.Hour})
			return err
		}},
		{"sniff all inboxes", func(ctx context.Context, c *pipeline.Client, _ string) error {
			return subscribeRefused(ctx, c, "_INBOX.>")
		}},
		{"sniff the web's inbox", func(ctx context.Context, c *pipeline.Client, _ string) error {
			return subscribeRefused(ctx, c, pipeline.InboxPrefix(pipeline.IdentityWeb)+".>")
		}},
		{"sniff results", func(ctx context.Context, c *pipeline.Client, _ string) error {
			return subscribeRefused(ctx, c, "calls.transcribed.*")
		}},
	}
	// allowed[op] lists the identities that may do it.
	allowed := map[string]string{
		"ingest":                "recorder",
		"read state":            "recorder worker web retention objections monitor",
		"read transcript":       "worker web retention objections",
		"read audio":            "worker web",
		"read review item":      "web retention objections",
		"read record copy":      "web retention objections",
		"read audit trail":      "worker web retention objections",
		"record objection":      "recorder web",
		"erase a call":          "retention objections",
		"keep an outcome":       "retention",
		"read kept outcomes":    "web",
		"write audit trail":     "worker web retention objections",
		"publish a result":      "worker",
		"write a call's state":  "worker retention objections",
		"take a queued call":    "worker",
		"rewrite an intake":     "",
		"delete a stream":       "",
		"purge a stream":        "",
		"reconfigure a stream":  "setup",
		"sniff all inboxes":     "",
		"sniff the web's inbox": "web",
		"sniff results":         "",
	}
	checked := 0
	for _, who := range pipeline.Identities {
		c := connect(who)
		watchViolations(c)
		for _, o := range ops {
			want := strings.Contains(" "+allowed[o.name]+" ", " "+who+" ")
			var err error
			if strings.HasPrefix(o.name, "sniff") { // reads the violations itself
				err = o.do(ctx, c, who)
			} else {
				err = refusedOrDone(c, func(ctx context.Context) error { return o.do(ctx, c, who) })
				settleViolations(t, c)
			}
			if want && err != nil {
				t.Errorf("%s may %s, but: %v", who, o.name, err)
			}
			if !want && err == nil {
				t.Errorf("%s must not %s, but could", who, o.name)
			}
			checked++
		}
	}
	t.Logf("identity matrix: %d identities x %d operations = %d checks", len(pipeline.Identities), len(ops), checked)
}

// violations carries a connection's permission violations, in the order
// the server sent them.
var violations = map[*nats.Conn]chan error{}

func watchViolations(c *pipeline.Client) {
	ch := make(chan error, 64)
	violations[c.Conn()] = ch
	c.Conn().SetErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			ch <- err
		}
	})
}

// refusedOrDone runs op until it ends or the server refuses one of its
// requests: a refused request gets no reply, only an asynchronous
// permissions violation, so waiting for the op's own timeout would make
// every refusal cost seconds.
func refusedOrDone(c *pipeline.Client, op func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	select {
	case err := <-done:
		return err
	case err := <-violations[c.Conn()]:
		cancel()
		<-done
		return err
	}
}

// canary is a subscription every identity is refused. Violations arrive in
// the order the server sent them, so the canary's proves that every
// verdict on what was sent before it has arrived too.
const canary = "$SYS.REQ.SERVER.PING.CANARY"

// untilCanary subscribes to the canary and reads c's violations until its
// refusal arrives, returning the last violation before it (nil if none).
func untilCanary(ctx context.Context, c *pipeline.Client) (before error, err error) {
	sub, err := c.Conn().SubscribeSync(canary)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	if err := c.Conn().FlushWithContext(ctx); err != nil {
		return nil, err
	}
	for {
		select {
		case v := <-violations[c.Conn()]:
			if strings.Contains(v.Error(), canary) {
				return before, nil
			}
			before = v
		case <-ctx.Done():
			return nil, fmt.Errorf("no verdict on the canary subscription: %w", ctx.Err())
		}
	}
}

// settleViolations waits until every violation an operation caused has
// arrived, and drops them, so none is taken for the next operation's: an
// operation stopped at its first refusal may have sent more (a recording's
// chunks and its description).
func settleViolations(t *testing.T, c *pipeline.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := untilCanary(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// subscribeRefused subscribes to subject and reports the server's verdict:
// nil if it let the subscription stand, the permissions violation if not
// (it comes asynchronously, before the canary's).
func subscribeRefused(ctx context.Context, c *pipeline.Client, subject string) error {
	sub, err := c.Conn().SubscribeSync(subject)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	refused, err := untilCanary(ctx, c)
	if err != nil {
		return err
	}
	return refused
}
