package audit_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/audit"
)

// publishRaw puts data on the audit subject as anyone with publish rights
// on it could, and returns its stream sequence.
func (env *testEnv) publishRaw(t *testing.T, data []byte) uint64 {
	t.Helper()
	ack, err := env.c.JetStream().Publish(bg(t), audit.SubjectEvents, data)
	if err != nil {
		t.Fatalf("publish junk: %v", err)
	}
	return ack.Sequence
}

// badlySigned is the entry an attacker without the key would write next:
// the right index, leaf and tree head after entries, claiming the real
// key, but signed with another.
func badlySigned(t *testing.T, entries []audit.Entry, key string) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fake := append(append([]audit.Entry(nil), entries...), audit.Entry{Event: event(66)})
	fake[len(fake)-1].Event.User = "mallory"
	audit.Rechain(fake, len(entries), audit.NewSigner(priv))
	e := fake[len(fake)-1]
	e.Key = key
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Attack: one junk message on audit.events made every later append fail
// ("stream seq 36 holds entry 0 where entry 35 belongs"), for good: the
// stream refuses deletes. Now the writer skips what does not extend the
// chain, later appends (and reads of the trail, which are audited) go on,
// and verify names each junk message by stream sequence.
func TestAuditJunkOnTheSubjectNeitherBreaksNorStopsTheChain(t *testing.T) {
	env := newEnv(t)
	honest := env.appendN(t, 2)
	ro, err := audit.Bind(bg(t), env.c, audit.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Positive control: the same verification passes before the junk.
	if r, err := ro.VerifyLog(bg(t), auditor, env.opts()); err != nil || !r.OK() {
		t.Fatalf("control: VerifyLog before the junk: %v %+v", err, r)
	}
	notJSON := env.publishRaw(t, []byte("not an audit entry at all"))
	env.appendAt(t, 2)
	all, _, _ := env.log.ReadAll(bg(t))
	forged := env.publishRaw(t, badlySigned(t, all, env.signer.KeyID()))
	env.appendAt(t, 3)
	replay, err := json.Marshal(honest[1])
	if err != nil {
		t.Fatal(err)
	}
	replayed := env.publishRaw(t, replay)
	// Reading the trail is itself audited: it must still be written.
	if _, err := env.log.Query(bg(t), auditor, audit.Filter{}); err != nil {
		t.Fatalf("Query after junk: %v", err)
	}
	last := env.appendAt(t, 5)

	r, err := ro.VerifyLog(bg(t), auditor, env.opts())
	if err != nil {
		t.Fatal(err)
	}
	if r.Head != last.Head() || r.Head != env.log.Head() {
		t.Errorf("verified head %s, want the honest chain's %s", r.Head, last.Head())
	}
	want := map[uint64]audit.Tamper{notJSON: audit.Malformed, forged: audit.Inserted, replayed: audit.Duplicate}
	if len(r.Problems) != len(want) {
		t.Fatalf("problems %v, want one for each junk message %v", r.Problems, want)
	}
	for _, p := range r.Problems {
		if want[p.Seq] != p.Kind {
			t.Errorf("problem %s: want %s at stream seq %d", p, want[p.Seq], p.Seq)
		}
		if s := p.String(); !strings.Contains(s, fmt.Sprintf("stream seq %d)", p.Seq)) {
			t.Errorf("problem %q does not name its stream sequence", s)
		}
	}
}

// appendAt appends an event and checks it became entry index.
func (env *testEnv) appendAt(t *testing.T, index int64) audit.Entry {
	t.Helper()
	e, err := env.log.Append(bg(t), event(int(index)))
	if err != nil {
		t.Fatalf("Append after junk: %v", err)
	}
	if e.Index != index {
		t.Fatalf("Append after junk: entry %d, want %d", e.Index, index)
	}
	return e
}

// Junk that lands between the writer's catch-up and its publish makes the
// expected-last-sequence check fail: the writer must read past it and
// retry, not give up.
func TestAuditJunkDuringAppendIsRetriedPast(t *testing.T) {
	env := newEnv(t)
	env.appendN(t, 2)
	var junkSeq uint64
	audit.BeforePublish(env.log, func() {
		if junkSeq == 0 {
			junkSeq = env.publishRaw(t, []byte("junk between catch-up and publish"))
		}
	})
	e := env.appendAt(t, 2)
	if junkSeq == 0 || e.Seq != junkSeq+1 {
		t.Fatalf("junk at seq %d, entry at seq %d: the race was not exercised", junkSeq, e.Seq)
	}
	r, err := env.log.VerifyLog(context.Background(), auditor, env.opts())
	if err != nil {
		t.Fatal(err)
	}
	if m := r.Find(audit.Malformed); len(r.Problems) != 1 || len(m) != 1 || m[0].Seq != junkSeq {
		t.Fatalf("problems %v, want the junk at stream seq %d as malformed", r.Problems, junkSeq)
	}
}
