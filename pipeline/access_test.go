package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
)

// TestRoleMatrixOnNATS walks every operation on the server's data with every
// role's credentials and checks that the server itself allows exactly what
// the role may do: admin staff never reach transcripts, audio, review items
// or records; auditors reach only the audit trail; only the service writes.
func TestRoleMatrixOnNATS(t *testing.T) {
	ctx := bg(t)
	var users []pipeline.User
	for _, r := range pipeline.Roles {
		users = append(users, pipeline.User{Name: r + "-user", Password: "pw-" + r, Role: r})
	}
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: t.TempDir(), Port: pipeline.RandomPort, Users: users, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	connect := func(role string) *pipeline.Client {
		c, err := pipeline.Connect(ctx, srv.ClientURL(), pipeline.WithNATSOptions(nats.UserInfo(role+"-user", "pw-"+role)))
		if err != nil {
			t.Fatalf("%s: connect: %v", role, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	if _, err := pipeline.Connect(ctx, srv.ClientURL()); err == nil {
		t.Error("connected without credentials")
	}

	// The service lays out the streams and fills them: one transcribed call
	// with its review item, record copy and an audit entry.
	svc := connect(pipeline.RoleService)
	if err := svc.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		t.Fatal(err)
	}
	js := svc.JetStream()
	reviewKV, err := pipeline.EnsureErasableKV(ctx, js, "REVIEW", "test", 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, subj := range map[string]string{"RECORDS": "records.confirmed.*", "AUDIT": "audit.>"} {
		if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subj}, AllowDirect: true}); err != nil {
			t.Fatal(err)
		}
	}
	const id = "rbac-1"
	if _, err := svc.Ingest(ctx, call(id), bytes.NewReader(audioFor(id))); err != nil {
		t.Fatal(err)
	}
	env := &testEnv{c: svc, logs: &logSink{t: t}}
	stop := runWorker(t, env.worker("w", &fakeProcessor{}))
	waitState(t, env, id, pipeline.StateTranscribed)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := reviewKV.Put(ctx, id, []byte(`{"call_id":"rbac-1"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "records.confirmed."+id, []byte(`{"resourceType":"Bundle"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "audit.events", []byte(`{"object":"rbac-1","action":"read"}`)); err != nil {
		t.Fatal(err)
	}
	octx, cancel := context.WithCancel(ctx)
	defer cancel()
	go pipeline.ServeObjections(octx, svc, svc.Object, nil)
	waitFor(t, func() bool {
		_, err := svc.SendObjection(ctx, pipeline.Objection{CallID: "warm-up", By: "test"})
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
		{"erase a call", func(ctx context.Context, c *pipeline.Client, role string) error {
			_, err := c.Erase(ctx, "erase-"+role, pipeline.CallState{State: pipeline.StateDeleted})
			return err
		}},
		{"write audit trail", func(ctx context.Context, c *pipeline.Client, _ string) error {
			_, err := c.JetStream().Publish(ctx, "audit.events", []byte(`{"forged":true}`))
			return err
		}},
	}
	// allowed[op] lists the roles that may do it.
	allowed := map[string]string{
		"ingest":            "service",
		"read state":        "service clinician admin dpo",
		"read transcript":   "service clinician dpo",
		"read audio":        "service clinician dpo",
		"read review item":  "service clinician dpo",
		"read record copy":  "service clinician dpo",
		"read audit trail":  "service dpo auditor",
		"record objection":  "service clinician admin",
		"erase a call":      "service",
		"write audit trail": "service dpo", // the DPO's subject access exports are audited
	}
	checked := 0
	for _, role := range pipeline.Roles {
		c := connect(role)
		for _, o := range ops {
			want := strings.Contains(" "+allowed[o.name]+" ", " "+role+" ")
			octx, cancel := context.WithTimeout(ctx, 750*time.Millisecond)
			err := o.do(octx, c, role)
			cancel()
			if want && err != nil {
				t.Errorf("%s may %s, but: %v", role, o.name, err)
			}
			if !want && err == nil {
				t.Errorf("%s must not %s, but could", role, o.name)
			}
			checked++
		}
	}
	t.Logf("role matrix: %d roles x %d operations = %d checks", len(pipeline.Roles), len(ops), checked)
}
