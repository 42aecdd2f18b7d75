package audit_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/callscribe/callscribe/audit"
)

func TestAuditAppendChainsEntries(t *testing.T) {
	env := newEnv(t)
	entries := env.appendN(t, 20)
	for i, e := range entries {
		if e.Index != int64(i) || e.Size != int64(i+1) || e.Seq != uint64(i+1) || e.Key != env.signer.KeyID() {
			t.Fatalf("entry %d: index %d size %d seq %d key %s", i, e.Index, e.Size, e.Seq, e.Key)
		}
		if e.Event != event(i) {
			t.Fatalf("entry %d: event %+v, want %+v", i, e.Event, event(i))
		}
	}
	if h := env.log.Head(); h != entries[19].Head() {
		t.Fatalf("writer head %s, last entry's %s", h, entries[19].Head())
	}
	// A read-only Log (no key) verifies the live stream and appends nothing.
	ro, err := audit.Bind(bg(t), env.c, audit.Config{})
	if err != nil {
		t.Fatal(err)
	}
	head := entries[19].Head()
	o := env.opts()
	o.Trusted = &head
	r, err := ro.VerifyLog(bg(t), auditor, o)
	if err != nil || !r.OK() || r.Entries != 20 || r.Head != head {
		t.Fatalf("VerifyLog: %v %+v", err, r)
	}
	if _, err := ro.Append(bg(t), event(99)); !errors.Is(err, audit.ErrReadOnly) {
		t.Fatalf("Append without key: %v, want ErrReadOnly", err)
	}
	// The writer's own VerifyLog records the read of the trail itself.
	if r, err := env.log.VerifyLog(bg(t), auditor, env.opts()); err != nil || !r.OK() || r.Entries != 21 {
		t.Fatalf("writer VerifyLog: %v %+v", err, r)
	}
	all, _, _ := env.log.ReadAll(bg(t))
	if ev := all[20].Event; ev.Object.Kind != audit.KindAudit || ev.User != auditor.User || ev.Outcome != audit.Allowed {
		t.Fatalf("verification not audited: %+v", ev)
	}
}

// A restarted writer (a new Log on the same stream) continues the chain.
func TestAuditWriterResumesTail(t *testing.T) {
	env := newEnv(t)
	env.appendN(t, 3)
	l2, err := audit.Open(bg(t), env.c, audit.Config{Signer: env.signer})
	if err != nil {
		t.Fatal(err)
	}
	e, err := l2.Append(bg(t), event(3))
	if err != nil || e.Index != 3 {
		t.Fatalf("resumed Append: index %d, %v", e.Index, err)
	}
	all, _, _ := env.log.ReadAll(bg(t))
	if r, err := audit.Verify(all, env.opts()); err != nil || !r.OK() || r.Head.Size != 4 {
		t.Fatalf("after resume: %v %+v", err, r)
	}
}

func TestAuditStreamRefusesDeleteAndPurge(t *testing.T) {
	env := newEnv(t)
	env.appendN(t, 3)
	ctx := bg(t)
	s, err := env.c.JetStream().Stream(ctx, audit.StreamAudit)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if !cfg.DenyDelete || !cfg.DenyPurge || cfg.MaxAge != 0 || cfg.MaxMsgs != -1 || cfg.MaxBytes != -1 {
		t.Fatalf("stream config: deny delete %v purge %v max age %s msgs %d bytes %d", cfg.DenyDelete, cfg.DenyPurge, cfg.MaxAge, cfg.MaxMsgs, cfg.MaxBytes)
	}
	// nats-server error codes: 10057 message delete failed, 10110 purge
	// failed. nats.go flattens the delete error into text.
	err = s.DeleteMsg(ctx, 2)
	if !errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) || !strings.Contains(err.Error(), "err_code=10057") || !strings.Contains(err.Error(), "message delete not permitted") {
		t.Fatalf("DeleteMsg: %v, want message delete not permitted (10057)", err)
	}
	err = s.SecureDeleteMsg(ctx, 2)
	if !errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) || !strings.Contains(err.Error(), "err_code=10057") {
		t.Fatalf("SecureDeleteMsg: %v, want 10057", err)
	}
	err = s.Purge(ctx)
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != 10110 || !strings.Contains(apiErr.Description, "stream purge not permitted") {
		t.Fatalf("Purge: %v, want stream purge not permitted (10110)", err)
	}
	// Nor can the protection be lifted by updating the stream.
	cfg.DenyDelete, cfg.DenyPurge = false, false
	if _, err := env.c.JetStream().UpdateStream(ctx, cfg); err == nil {
		t.Fatal("UpdateStream lifting DenyDelete/DenyPurge succeeded")
	}
	info, err := s.Info(ctx)
	if err != nil || info.State.Msgs != 3 {
		t.Fatalf("after the attempts: %v, %d messages, want 3", err, info.State.Msgs)
	}
}

// Two writers (separate connections, separate Logs, as two processes)
// appending at once produce one chain, not a fork.
func TestAuditConcurrentWritersDoNotFork(t *testing.T) {
	env := newEnv(t)
	const writers, each = 3, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	got := make([][]int64, writers)
	for w := range writers {
		l, err := audit.Open(bg(t), connect(t, env.url), audit.Config{Signer: env.signer})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e, err := l.Append(bg(t), event(w*each+i))
				if err != nil {
					errs <- err
					return
				}
				got[w] = append(got[w], e.Index)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	all, bad, err := env.log.ReadAll(bg(t))
	if err != nil || len(bad) > 0 || len(all) != writers*each {
		t.Fatalf("ReadAll: %v, %d malformed, %d entries, want %d", err, len(bad), len(all), writers*each)
	}
	r, err := audit.Verify(all, env.opts())
	if err != nil || !r.OK() || r.Head.Size != writers*each {
		t.Fatalf("Verify after concurrent appends: %v %+v", err, r)
	}
	var indexes []int64
	for _, g := range got {
		indexes = append(indexes, g...)
	}
	slices.Sort(indexes)
	for i, x := range indexes {
		if x != int64(i) {
			t.Fatalf("indexes returned to writers: %v (want each of 0..%d once)", indexes, writers*each-1)
		}
	}
}

// Somebody with publish rights on the subject (but not the key) slips
// messages into the live stream: VerifyLog names them, and a writer
// started afterwards skips them and extends the genuine chain.
func TestAuditVerifyLogFindsMessagesSlippedIn(t *testing.T) {
	env := newEnv(t)
	entries := env.appendN(t, 4)
	ctx := bg(t)
	forged := entries[1]
	forged.Event.User = "mallory"
	data, _ := json.Marshal(forged)
	if _, err := env.c.JetStream().Publish(ctx, audit.SubjectEvents, data); err != nil {
		t.Fatal(err)
	}
	if _, err := env.c.JetStream().Publish(ctx, audit.SubjectEvents, []byte(`{"index":9,"transcript":"I feel worse"}`)); err != nil {
		t.Fatal(err)
	}
	ro, err := audit.Bind(ctx, env.c, audit.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ro.VerifyLog(ctx, auditor, env.opts())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 2 {
		t.Fatalf("problems %v, want a malformed and an inserted entry", r.Problems)
	}
	if m := r.Find(audit.Malformed); len(m) != 1 || m[0].Seq != 6 {
		t.Errorf("malformed: %v, want stream seq 6", m)
	}
	if in := r.Find(audit.Inserted); len(in) != 1 || in[0].Index != 1 || in[0].Seq != 5 {
		t.Errorf("inserted: %v, want entry 1 at stream seq 5", in)
	}
	fresh, err := audit.Open(ctx, env.c, audit.Config{Signer: env.signer})
	if err != nil {
		t.Fatal(err)
	}
	if e, err := fresh.Append(ctx, event(4)); err != nil || e.Index != 4 {
		t.Fatalf("Append after the slipped-in messages: entry %d, %v; want entry 4", e.Index, err)
	}
}

func TestAuditQuery(t *testing.T) {
	env := newEnv(t)
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	admin := audit.Actor{User: "b.admin", Role: "admin"}
	evs := []audit.Event{
		audit.Allow(clinician, audit.ActionRead, audit.Object{Kind: audit.KindTranscript, ID: "call-a"}, audit.PurposeDirectCare),
		audit.Deny(admin, audit.ActionRead, audit.Object{Kind: audit.KindTranscript, ID: "call-a"}, audit.PurposeAdministration, "admin may not read transcripts"),
		audit.Allow(clinician, audit.ActionUpdate, audit.Object{Kind: audit.KindProposal, ID: "call-b"}, audit.PurposeReview),
		audit.Allow(clinician, audit.ActionRead, audit.Object{Kind: audit.KindRecording, ID: "call-a"}, audit.PurposeDirectCare),
	}
	for i := range evs {
		evs[i].Time = base.Add(time.Duration(i) * time.Hour)
		if _, err := env.log.Append(bg(t), evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	ro, err := audit.Bind(bg(t), env.c, audit.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		f    audit.Filter
		want []int
	}{
		{"object", audit.Filter{ObjectID: "call-a"}, []int{0, 1, 3}},
		{"user", audit.Filter{User: "b.admin"}, []int{1}},
		{"since", audit.Filter{Since: base.Add(2 * time.Hour)}, []int{2, 3}},
		{"since-until", audit.Filter{Since: base.Add(time.Hour), Until: base.Add(3 * time.Hour)}, []int{1, 2}},
		{"action", audit.Filter{Action: audit.ActionUpdate}, []int{2}},
		{"object and kind", audit.Filter{ObjectID: "call-a", ObjectKind: audit.KindRecording}, []int{3}},
		{"nothing", audit.Filter{User: "nobody"}, nil},
	}
	for _, c := range cases {
		got, err := ro.Query(bg(t), auditor, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var idx []int
		for _, e := range got {
			idx = append(idx, int(e.Index))
			if e.Event != evs[e.Index] {
				t.Errorf("%s: entry %d event %+v, want %+v", c.name, e.Index, e.Event, evs[e.Index])
			}
		}
		if !slices.Equal(idx, c.want) {
			t.Errorf("%s: entries %v, want %v", c.name, idx, c.want)
		}
	}
	// Only auditors and the DPO may read the trail; the writer records the refusal.
	if _, err := env.log.Query(bg(t), clinician, audit.Filter{}); !errors.Is(err, audit.ErrForbidden) {
		t.Fatalf("clinician Query: %v, want ErrForbidden", err)
	}
	denied, err := ro.Query(bg(t), audit.Actor{User: "d.dpo", Role: "dpo"}, audit.Filter{ObjectID: audit.StreamAudit})
	if err != nil || len(denied) != 1 || denied[0].Event.Outcome != audit.Denied || denied[0].Event.User != clinician.User {
		t.Fatalf("refusal not recorded: %v %+v", err, denied)
	}
}

// Events hold metadata only: these are all the keys there are, and the
// one free-text field refuses what looks like an identifier.
func TestAuditEventHasNoContentFields(t *testing.T) {
	ev := event(1)
	ev.Reason = "short note"
	keysOf := func(v any) []string {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	}
	if got, want := keysOf(ev), []string{"action", "object", "outcome", "purpose", "reason", "role", "time", "user"}; !slices.Equal(got, want) {
		t.Errorf("event keys %v, want %v", got, want)
	}
	if got, want := keysOf(ev.Object), []string{"id", "kind"}; !slices.Equal(got, want) {
		t.Errorf("object keys %v, want %v", got, want)
	}
	if got, want := keysOf(audit.Entry{Event: ev}), []string{"event", "index", "key", "leaf", "root", "sig", "size"}; !slices.Equal(got, want) {
		t.Errorf("entry keys %v, want %v", got, want)
	}
	if _, err := audit.DecodeEntry([]byte(`{"index":0,"event":{"user":"x","transcript":"hello"}}`)); err == nil {
		t.Error("DecodeEntry accepted an unknown (content) field")
	}
}

func TestAuditValidateRefusesContent(t *testing.T) {
	env := newEnv(t)
	obj := audit.Object{Kind: audit.KindTranscript, ID: "call-1"}
	bad := map[string]audit.Event{
		"NHS number in reason":   audit.Deny(clinician, audit.ActionRead, obj, audit.PurposeDirectCare, "caller 943 476 5919 asked"),
		"phone number in reason": audit.Deny(clinician, audit.ActionRead, obj, audit.PurposeDirectCare, "from 07700900123"),
		"long reason":            audit.Deny(clinician, audit.ActionRead, obj, audit.PurposeDirectCare, strings.Repeat("feels worse ", 20)),
		"multi-line reason":      audit.Deny(clinician, audit.ActionRead, obj, audit.PurposeDirectCare, "line one\nline two"),
		"unknown action":         audit.Allow(clinician, "listen", obj, audit.PurposeDirectCare),
		"unknown kind":           audit.Allow(clinician, audit.ActionRead, audit.Object{Kind: "notes", ID: "call-1"}, audit.PurposeDirectCare),
		"text as object ID":      audit.Allow(clinician, audit.ActionRead, audit.Object{Kind: audit.KindRecording, ID: "Mr Smith"}, audit.PurposeDirectCare),
		"sentence as purpose":    audit.Allow(clinician, audit.ActionRead, obj, "because he said so"),
		"no user":                audit.Allow(audit.Actor{Role: "clinician"}, audit.ActionRead, obj, audit.PurposeDirectCare),
		"no outcome":             {User: "x", Role: "clinician", Action: audit.ActionRead, Object: obj, Purpose: audit.PurposeReview},
		"unknown outcome":        {User: "x", Role: "clinician", Action: audit.ActionRead, Object: obj, Purpose: audit.PurposeReview, Outcome: "maybe"},
	}
	for name, ev := range bad {
		if _, err := env.log.Append(bg(t), ev); !errors.Is(err, audit.ErrInvalidEvent) {
			t.Errorf("%s: Append: %v, want ErrInvalidEvent", name, err)
		}
	}
	ok := audit.Deny(clinician, audit.ActionRead, obj, audit.PurposeDirectCare, "role admin may not read transcripts (policy 2026-03)")
	if _, err := env.log.Append(bg(t), ok); err != nil {
		t.Fatalf("valid event: %v", err)
	}
	// An action that was allowed but did not happen is its own outcome.
	failed := audit.Fail(clinician, audit.ActionUpdate, obj, audit.PurposeReview, "HTTP 409 Conflict")
	if _, err := env.log.Append(bg(t), failed); err != nil {
		t.Fatalf("failed event: %v", err)
	}
	all, _, _ := env.log.ReadAll(bg(t))
	if len(all) != 2 || all[1].Event.Outcome != audit.Failed {
		t.Fatalf("stream holds %d entries, want only the 2 valid ones, the last failed", len(all))
	}
}

func TestAuditSigningKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "audit.key")
	s1, err := audit.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %o, want 0600", err, info.Mode().Perm())
	}
	s2, err := audit.LoadOrCreateKey(path)
	if err != nil || s2.KeyID() != s1.KeyID() {
		t.Fatalf("reload: %v, key %s want %s", err, s2.KeyID(), s1.KeyID())
	}
	pub, err := audit.LoadPublicKey(path + ".pub")
	if err != nil || !pub.Equal(s1.Public()) {
		t.Fatalf("public key: %v", err)
	}
	if _, err := audit.LoadPublicKey(path); err == nil {
		t.Error("LoadPublicKey accepted the private key file")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("world-readable key: %v, want refused", err)
	}
}

func TestAuditTrustedHeadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "head.json")
	if h, err := audit.ReadHead(path); h != nil || err != nil {
		t.Fatalf("missing head file: %v %v", h, err)
	}
	env := newEnv(t)
	e := env.appendN(t, 2)
	if err := audit.WriteHead(path, e[1].Head()); err != nil {
		t.Fatal(err)
	}
	h, err := audit.ReadHead(path)
	if err != nil || h == nil || *h != e[1].Head() {
		t.Fatalf("ReadHead: %v %v, want %s", h, err, e[1].Head())
	}
}
