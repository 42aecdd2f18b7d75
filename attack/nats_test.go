package attack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/callscribe/callscribe/pipeline"
)

// Attack 1: connect to the bus with no credential, a made-up nkey, a
// guessed token or user: refused. Control: the web component's own seed
// connects and may use JetStream.
func TestAttack1AnonymousConnectRefused(t *testing.T) { playAnonymous(t, suite, suite.natsURL) }

// Attack 2: a stolen recorder seed reads no result, recording, review
// item or audit entry, publishes no result and sniffs no inbox.
func TestAttack2StolenRecorderSeed(t *testing.T) {
	c := suite.transcribedCall(t, "atk2")
	playStolenRecorder(t, suite, c)
}

// Attack 2 (streams): no identity may delete, purge or reconfigure a
// stream at run time.
func TestAttack2NoIdentityDeletesPurgesOrReconfigures(t *testing.T) {
	suite.transcribedCall(t, "atk2s") // something to lose
	playStreamAdmin(t, suite)
}

// playAnonymous connects to url (one server of s, or all of them).
func playAnonymous(t *testing.T, s *serveProc, url string) {
	seedDir := t.TempDir()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	madeUp := filepath.Join(seedDir, "made-up.nk")
	if err := os.WriteFile(madeUp, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		name string
		opts []nats.Option
	}{
		{"anonymous", nil},
		{"made-up nkey", []nats.Option{mustNkey(t, madeUp)}},
		{"guessed token", []nats.Option{nats.Token("callscribe")}},
		{"guessed user", []nats.Option{nats.UserInfo("web", "web")}},
		{"identity name as user", []nats.Option{nats.UserInfo(pipeline.IdentityWorker, "")}},
	} {
		opts := append([]nats.Option{nats.Timeout(5 * time.Second), nats.MaxReconnects(0)}, a.opts...)
		nc, err := nats.Connect(url, opts...)
		if err == nil {
			// Connected: see whether it can do anything at all.
			_, rerr := nc.Request("$JS.API.INFO", nil, 2*time.Second)
			nc.Close()
			t.Errorf("DEFECT: %s connection to NATS accepted (JetStream request: %v)", a.name, rerr)
			continue
		}
		if !strings.Contains(strings.ToLower(err.Error()), "authorization") {
			t.Errorf("%s connection refused, but not for authorization: %v", a.name, err)
		}
	}
	// Positive control: the same dial with the web component's seed works.
	c, err := dial(url, s.seed(pipeline.IdentityWeb), "_INBOX_web")
	if err != nil {
		t.Fatalf("control: connect with the web seed: %v", err)
	}
	defer c.nc.Close()
	if err := c.attempt(func(ctx context.Context) error { _, err := c.js.AccountInfo(ctx); return err }); err != nil {
		t.Fatalf("control: the web seed connects but cannot use JetStream: %v", err)
	}
}

func mustNkey(t *testing.T, path string) nats.Option {
	o, err := nats.NkeyOptionFromSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// readOp reads patient data; found reports whether what came back is it.
type readOp struct {
	name  string
	read  func(ctx context.Context, c *natsConn) ([]byte, error)
	found func([]byte) bool
}

func readOps(call callData) []readOp {
	id := call.meta.ID
	has := func(s string) func([]byte) bool { return func(b []byte) bool { return bytes.Contains(b, []byte(s)) } }
	return []readOp{
		{"read the result (direct get)", func(ctx context.Context, c *natsConn) ([]byte, error) {
			return c.lastBySubject(ctx, pipeline.StreamResults, pipeline.SubjectTranscribed(id))
		}, has(call.text)},
		{"read the result (stream msg get)", func(ctx context.Context, c *natsConn) ([]byte, error) {
			return c.msgGet(ctx, pipeline.StreamResults, pipeline.SubjectTranscribed(id))
		}, has(call.text)},
		{"read the result (consumer)", func(ctx context.Context, c *natsConn) ([]byte, error) {
			cons, err := c.js.OrderedConsumer(ctx, pipeline.StreamResults, jetstream.OrderedConsumerConfig{
				FilterSubjects: []string{pipeline.SubjectTranscribed(id)}})
			if err != nil {
				return nil, err
			}
			m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
			if err != nil {
				return nil, err
			}
			return m.Data(), nil
		}, has(call.text)},
		{"read the recording (object store)", func(ctx context.Context, c *natsConn) ([]byte, error) {
			obs, err := c.js.ObjectStore(ctx, pipeline.BucketRecordings)
			if err != nil {
				return nil, err
			}
			r, err := obs.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			defer r.Close()
			return io.ReadAll(r)
		}, func(b []byte) bool { return bytes.Equal(b, call.audio) }},
		{"read recording chunks (direct get)", func(ctx context.Context, c *natsConn) ([]byte, error) {
			return c.apiRequest(ctx, "$JS.API.DIRECT.GET.OBJ_"+pipeline.BucketRecordings,
				map[string]any{"seq": 1, "next_by_subj": "$O." + pipeline.BucketRecordings + ".C.>"})
		}, has("RIFF-attack-suite-audio-")},
		{"read the review item", func(ctx context.Context, c *natsConn) ([]byte, error) {
			return c.lastBySubject(ctx, "KV_REVIEW", "$KV.REVIEW."+id)
		}, has(call.meta.NHSNumber)},
		{"read the audit trail", func(ctx context.Context, c *natsConn) ([]byte, error) {
			return c.lastBySubject(ctx, "AUDIT", "audit.events")
		}, has(`"index"`)},
	}
}

func playStolenRecorder(t *testing.T, s *serveProc, call callData) {
	thief := dialAs(t, s, pipeline.IdentityRecorder)
	web := dialAs(t, s, pipeline.IdentityWeb)
	for _, op := range readOps(call) {
		var got []byte
		err := thief.attempt(func(ctx context.Context) (err error) { got, err = op.read(ctx, thief); return err })
		if err == nil {
			t.Errorf("DEFECT: recorder seed could %s (patient data returned: %v)", op.name, op.found(got))
		}
		// Positive control: the web identity, whose job it is, can.
		// On a cluster just started, a JetStream request can meet no
		// responder while the stream's leader is elected: the control is
		// asked again then, for up to 10 s, and must still succeed.
		var ctl []byte
		var cerr error
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			cerr = web.attempt(func(ctx context.Context) (err error) { ctl, err = op.read(ctx, web); return err })
			if !errors.Is(cerr, nats.ErrNoResponders) || time.Now().After(deadline) {
				break
			}
		}
		if cerr != nil || !op.found(ctl) {
			t.Errorf("control: web could not %s (%v): the attack proves nothing", op.name, cerr)
		}
	}

	// Publish a result for the call, through JetStream and plain NATS.
	forged, _ := json.Marshal(pipeline.ResultMessage{Schema: pipeline.SchemaResult, Call: call.meta})
	if err := thief.attempt(func(ctx context.Context) error {
		_, err := thief.js.Publish(ctx, pipeline.SubjectTranscribed(call.meta.ID), forged)
		return err
	}); err == nil {
		t.Errorf("DEFECT: recorder seed published a result on %s", pipeline.SubjectTranscribed(call.meta.ID))
	}
	if err := thief.publishRefused(pipeline.SubjectTranscribed(call.meta.ID), forged); err == nil {
		t.Errorf("DEFECT: recorder seed published on %s (core NATS) without refusal", pipeline.SubjectTranscribed(call.meta.ID))
	}
	// Control: the worker may publish a result (on a call nobody
	// received, so review parks it and no real call is touched).
	worker := dialAs(t, s, pipeline.IdentityWorker)
	ctlID := "atk-ctl-" + randHex(4)
	ctlBody, _ := json.Marshal(pipeline.ResultMessage{Schema: pipeline.SchemaResult, Call: pipeline.CallMeta{ID: ctlID}})
	if err := worker.attempt(func(ctx context.Context) error {
		_, err := worker.js.Publish(ctx, pipeline.SubjectTranscribed(ctlID), ctlBody)
		return err
	}); err != nil {
		t.Errorf("control: the worker could not publish a result: %v", err)
	}

	// Sniff replies and traffic.
	for _, subj := range []string{"_INBOX.>", "_INBOX_web.>", "_INBOX_worker.>", "calls.>", "audit.events", "$KV.REVIEW.>", ">"} {
		if err := thief.subscribeRefused(subj); err == nil {
			t.Errorf("DEFECT: recorder seed may subscribe to %s", subj)
		}
	}
	// Controls: an identity's own inbox is allowed, so the canary method
	// does report an accepted subscription.
	if err := thief.subscribeRefused("_INBOX_recorder.>"); err != nil {
		t.Errorf("control: recorder refused its own inbox: %v", err)
	}
	if err := web.subscribeRefused("_INBOX_web.>"); err != nil {
		t.Errorf("control: web refused its own inbox: %v", err)
	}
	// Every other identity is refused _INBOX.> and the web's inbox too.
	for _, id := range s.stealable(t) {
		c := dialAs(t, s, id)
		if err := c.subscribeRefused("_INBOX.>"); err == nil {
			t.Errorf("DEFECT: %s seed may subscribe to _INBOX.>", id)
		}
		if id != pipeline.IdentityWeb {
			if err := c.subscribeRefused("_INBOX_web.>"); err == nil {
				t.Errorf("DEFECT: %s seed may subscribe to the web's inbox _INBOX_web.>", id)
			}
		}
	}
}

// adminOp changes a stream's existence, content or configuration.
type adminOp struct {
	name string
	do   func(ctx context.Context, c *natsConn) error
}

// adminOps are raw JetStream API requests, so the same code can be shown
// to work against a server that allows them. records and audit are the
// streams' configurations as serve laid them out.
func adminOps(records, auditCfg jetstream.StreamConfig) []adminOp {
	upd := records
	upd.Description = "reconfigured by the attack suite"
	// Ten years: harmless within the test, but whoever may set this may
	// set one second, and the trail deletes itself despite DenyDelete.
	short := auditCfg
	short.MaxAge = 10 * 365 * 24 * time.Hour
	update := func(name string, cfg jetstream.StreamConfig) func(ctx context.Context, c *natsConn) error {
		return func(ctx context.Context, c *natsConn) error {
			_, err := c.apiRequest(ctx, "$JS.API.STREAM.UPDATE."+name, cfg)
			return err
		}
	}
	del := func(name string) func(ctx context.Context, c *natsConn) error {
		return func(ctx context.Context, c *natsConn) error {
			_, err := c.apiRequest(ctx, "$JS.API.STREAM.DELETE."+name, nil)
			return err
		}
	}
	purge := func(name string) func(ctx context.Context, c *natsConn) error {
		return func(ctx context.Context, c *natsConn) error {
			_, err := c.apiRequest(ctx, "$JS.API.STREAM.PURGE."+name, map[string]any{})
			return err
		}
	}
	return []adminOp{
		{"purge stream RESULTS", purge("RESULTS")},
		{"purge stream KV_REVIEW", purge("KV_REVIEW")},
		{"reconfigure stream RECORDS (description)", update("RECORDS", upd)},
		{"change the AUDIT trail's retention (max age)", update("AUDIT", short)},
		{"delete stream RESULTS", del("RESULTS")},
		{"delete stream AUDIT", del("AUDIT")},
	}
}

func streamInfo(t *testing.T, c *natsConn, name string) *jetstream.StreamInfo {
	t.Helper()
	var info *jetstream.StreamInfo
	err := c.attempt(func(ctx context.Context) error {
		st, err := c.js.Stream(ctx, name)
		if err != nil {
			return err
		}
		info, err = st.Info(ctx)
		return err
	})
	if err != nil {
		t.Fatalf("stream %s info as web: %v", name, err)
	}
	return info
}

func playStreamAdmin(t *testing.T, s *serveProc) {
	web := dialAs(t, s, pipeline.IdentityWeb)
	records := streamInfo(t, web, "RECORDS").Config
	auditCfg := streamInfo(t, web, "AUDIT").Config
	before := map[string]uint64{}
	for _, st := range []string{"AUDIT", "RESULTS", "KV_REVIEW"} {
		before[st] = streamInfo(t, web, st).State.Msgs
	}
	for _, id := range s.stealable(t) {
		c := dialAs(t, s, id)
		for _, op := range adminOps(records, auditCfg) {
			if err := c.attempt(func(ctx context.Context) error { return op.do(ctx, c) }); err == nil {
				t.Errorf("DEFECT: the %s seed could %s at run time (pipeline.IdentityPermissions lets setup update any stream; "+
					"serve's setup disconnects after laying out, but its seed stays in -credentials)", id, op.name)
			}
		}
	}
	// Nothing was lost; what was reconfigured is put back, so later tests
	// see serve's layout.
	for st, n := range before {
		if got := streamInfo(t, web, st).State.Msgs; got < n {
			t.Errorf("stream %s lost messages: %d before the attacks, %d after", st, n, got)
		}
	}
	for name, cfg := range map[string]jetstream.StreamConfig{"RECORDS": records, "AUDIT": auditCfg} {
		now := streamInfo(t, web, name).Config
		if now.Description != cfg.Description || now.MaxAge != cfg.MaxAge {
			setup := dialAs(t, s, pipeline.IdentitySetup) // it was changed, so the seed is here
			if err := setup.attempt(func(ctx context.Context) error {
				_, err := setup.apiRequest(ctx, "$JS.API.STREAM.UPDATE."+name, cfg)
				return err
			}); err != nil {
				t.Errorf("restore %s's configuration: %v", name, err)
			}
		}
	}

	// Positive control: the same requests do purge, reconfigure and
	// delete on a server that allows them (a scratch server with no
	// authentication and copies of the streams).
	scratch := scratchServer(t)
	c, err := dial(scratch.ClientURL(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	records.Replicas, auditCfg.Replicas = 1, 1
	auditCfg.DenyDelete, auditCfg.DenyPurge = false, false // only so the control's delete can run
	for _, sc := range []jetstream.StreamConfig{
		auditCfg, {Name: "RESULTS", Subjects: []string{"calls.transcribed.*"}},
		{Name: "KV_REVIEW", Subjects: []string{"$KV.REVIEW.>"}}, records,
	} {
		if _, err := c.js.CreateStream(ctx, sc); err != nil {
			t.Fatalf("control: scratch stream %s: %v", sc.Name, err)
		}
	}
	for _, op := range adminOps(records, auditCfg) {
		if err := c.attempt(func(ctx context.Context) error { return op.do(ctx, c) }); err != nil {
			t.Errorf("control: %s on a server that allows it: %v", op.name, err)
		}
	}
}

// scratchServer is an in-process nats-server with JetStream and no
// authentication, for positive controls only.
func scratchServer(t *testing.T) *server.Server {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("scratch nats-server not ready")
	}
	t.Cleanup(srv.Shutdown)
	return srv
}
