package audit_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"slices"
	"testing"

	"github.com/callscribe/callscribe/audit"
)

// tamperEnv is a log of ten genuine entries read back from a real stream;
// each case tampers with a copy.
func tamperEnv(t *testing.T) (*testEnv, []audit.Entry) {
	env := newEnv(t)
	return env, env.appendN(t, 10)
}

func attacker(t *testing.T) *audit.Signer {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return audit.NewSigner(key)
}

// want asserts the report holds exactly the given problems (kind, index,
// position), in that order.
func want(t *testing.T, r audit.Report, problems ...audit.Problem) {
	t.Helper()
	if len(r.Problems) != len(problems) {
		t.Fatalf("got %d problems, want %d:\n%v", len(r.Problems), len(problems), r.Problems)
	}
	for i, w := range problems {
		g := r.Problems[i]
		if g.Kind != w.Kind || g.Index != w.Index || g.Position != w.Position {
			t.Errorf("problem %d: got %s, want kind %s index %d position %d", i, g, w.Kind, w.Index, w.Position)
		}
	}
}

func p(k audit.Tamper, index int64, pos int) audit.Problem {
	return audit.Problem{Kind: k, Index: index, Position: pos}
}

func verify(t *testing.T, env *testEnv, entries []audit.Entry, trusted *audit.Head) audit.Report {
	t.Helper()
	o := env.opts()
	o.Trusted = trusted
	r, err := audit.Verify(entries, o)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return r
}

func TestAuditVerifyIntactLog(t *testing.T) {
	env, entries := tamperEnv(t)
	head := entries[9].Head()
	r := verify(t, env, entries, &head)
	if !r.OK() || r.Head != head || r.Entries != 10 {
		t.Fatalf("intact log: %+v, want OK with head %s", r, head)
	}
	// An older trusted head is contained in a longer log.
	older := entries[4].Head()
	if r := verify(t, env, entries, &older); !r.OK() {
		t.Fatalf("intact log against an older head: %v", r.Problems)
	}
	if _, err := audit.Verify(entries, audit.VerifyOptions{}); err == nil {
		t.Fatal("Verify without a key: no error")
	}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	env, genuine := tamperEnv(t)
	copyOf := func() []audit.Entry { return slices.Clone(genuine) }

	t.Run("modified field", func(t *testing.T) {
		e := copyOf()
		e[4].Event.User = "mallory"
		want(t, verify(t, env, e, nil), p(audit.Modified, 4, 4))
		e = copyOf()
		e[6].Event.Outcome = audit.Denied
		want(t, verify(t, env, e, nil), p(audit.Modified, 6, 6))
	})
	t.Run("modified signed head", func(t *testing.T) {
		e := copyOf()
		e[5].Root = e[2].Root
		want(t, verify(t, env, e, nil), p(audit.Forged, 5, 5))
	})
	t.Run("removed", func(t *testing.T) {
		e := slices.Delete(copyOf(), 4, 5)
		want(t, verify(t, env, e, nil), p(audit.Removed, 4, -1))
	})
	t.Run("inserted forged entry", func(t *testing.T) {
		fake := genuine[4]
		fake.Event.User = "mallory"
		fake.Leaf, _ = audit.LeafHash(fake.Index, fake.Event)
		chain := []audit.Entry{fake}
		audit.Rechain(chain, 1, attacker(t)) // sign only; index kept
		fake = chain[0]
		fake.Key = env.signer.KeyID()
		e := slices.Insert(copyOf(), 5, fake)
		want(t, verify(t, env, e, nil), p(audit.Inserted, 4, 5))
	})
	t.Run("inserted copy with altered content", func(t *testing.T) {
		fake := genuine[7]
		fake.Event.Action = audit.ActionDelete
		e := slices.Insert(copyOf(), 8, fake)
		want(t, verify(t, env, e, nil), p(audit.Inserted, 7, 8))
	})
	t.Run("reordered swap", func(t *testing.T) {
		e := copyOf()
		e[3], e[6] = e[6], e[3]
		want(t, verify(t, env, e, nil), p(audit.Reordered, 3, 6), p(audit.Reordered, 6, 3))
	})
	t.Run("reordered move", func(t *testing.T) {
		e := copyOf()
		moved := e[2]
		e = append(slices.Delete(e, 2, 3), moved)
		want(t, verify(t, env, e, nil), p(audit.Reordered, 2, 9))
	})
	t.Run("truncated tail", func(t *testing.T) {
		e := copyOf()[:7]
		// Without a trusted head a shorter log is consistent: that is why
		// auditors keep the head.
		if r := verify(t, env, e, nil); !r.OK() {
			t.Fatalf("truncated log without trusted head: %v", r.Problems)
		}
		head := genuine[9].Head()
		want(t, verify(t, env, e, &head), p(audit.Truncated, 7, -1))
	})
	t.Run("whole chain rewritten with recomputed hashes", func(t *testing.T) {
		e := copyOf()
		e[3].Event.User = "mallory"
		e[3].Event.Outcome = audit.Denied
		audit.Rechain(e, 3, attacker(t))
		r := verify(t, env, e, nil)
		var wantP []audit.Problem
		for i := 3; i < 10; i++ {
			wantP = append(wantP, p(audit.Forged, int64(i), i))
		}
		want(t, r, wantP...)
		// Rewritten from the start, and claiming our key's ID.
		e = copyOf()
		e[0].Event.Purpose = "curiosity"
		evil := attacker(t)
		audit.Rechain(e, 0, evil)
		for i := range e {
			e[i].Key = env.signer.KeyID()
		}
		r = verify(t, env, e, nil)
		if r.Count(audit.Forged) != 10 || len(r.Problems) != 10 || r.Problems[0].Index != 0 {
			t.Fatalf("whole chain rewrite: %v", r.Problems)
		}
		// Only the key stops this: re-signed with it, the rewrite passes.
		e = copyOf()
		e[3].Event.User = "mallory"
		audit.Rechain(e, 3, env.signer)
		if r := verify(t, env, e, nil); !r.OK() {
			t.Fatalf("rewrite signed with the real key should verify (key compromise is out of scope): %v", r.Problems)
		}
	})
	t.Run("duplicated", func(t *testing.T) {
		e := slices.Insert(copyOf(), 8, genuine[5])
		want(t, verify(t, env, e, nil), p(audit.Duplicate, 5, 8))
	})
	t.Run("trusted head of another history", func(t *testing.T) {
		head := genuine[4].Head()
		head.Root = genuine[3].Root
		want(t, verify(t, env, copyOf(), &head), p(audit.Forked, 4, 4))
	})
}
