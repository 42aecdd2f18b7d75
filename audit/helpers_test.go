package audit_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/roles"
)

// liveness bounds waits; it guards against hangs, it is not a speed test.
const liveness = 30 * time.Second

var (
	clinician = audit.Actor{User: "dr.jones", Role: "clinician"}
	auditor   = audit.Actor{User: "a.auditor", Role: roles.Auditor}
)

// testEnv is a real embedded nats-server with a client, a signing key in a
// temporary data dir and an audit Log on it.
type testEnv struct {
	c      *pipeline.Client
	url    string
	signer *audit.Signer
	log    *audit.Log
	dir    string
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx := bg(t)
	dir := t.TempDir()
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: filepath.Join(dir, "nats"), Port: pipeline.RandomPort, Log: zerolog.Nop()})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	c := connect(t, srv.ClientURL())
	signer, err := audit.LoadOrCreateKey(filepath.Join(dir, "keys", "audit.key"))
	if err != nil {
		t.Fatalf("LoadOrCreateKey: %v", err)
	}
	l, err := audit.Open(ctx, c, audit.Config{Signer: signer})
	if err != nil {
		t.Fatalf("audit.Open: %v", err)
	}
	return &testEnv{c: c, url: srv.ClientURL(), signer: signer, log: l, dir: dir}
}

func connect(t *testing.T, url string) *pipeline.Client {
	t.Helper()
	c, err := pipeline.Connect(bg(t), url)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	t.Cleanup(cancel)
	return ctx
}

// event is a valid event about call i.
func event(i int) audit.Event {
	ev := audit.Allow(clinician, audit.ActionRead, audit.Object{Kind: audit.KindTranscript, ID: fmt.Sprintf("call-%d", i)}, audit.PurposeDirectCare)
	ev.Time = time.Date(2026, 3, 2, 9, 0, i, 0, time.UTC)
	return ev
}

// appendN appends events 0..n-1 and returns the entries as the stream
// holds them.
func (env *testEnv) appendN(t *testing.T, n int) []audit.Entry {
	t.Helper()
	for i := range n {
		if _, err := env.log.Append(bg(t), event(i)); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
	entries, bad, err := env.log.ReadAll(bg(t))
	if err != nil || len(bad) > 0 {
		t.Fatalf("ReadAll: %v, malformed %v", err, bad)
	}
	if len(entries) != n {
		t.Fatalf("ReadAll: %d entries, want %d", len(entries), n)
	}
	return entries
}

func (env *testEnv) opts() audit.VerifyOptions {
	return audit.VerifyOptions{Keys: []ed25519.PublicKey{env.signer.Public()}}
}
