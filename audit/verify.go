package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Tamper is a kind of damage Verify finds.
type Tamper string

// Kinds of damage. Each Problem names the entry it concerns.
const (
	// Modified: the entry's event no longer matches the leaf hash its
	// signature covers (a field was changed after it was written).
	Modified Tamper = "modified"
	// Removed: an entry index is missing although later entries exist.
	Removed Tamper = "removed"
	// Inserted: an extra entry claims the index of a genuine one, without a
	// valid signature or with altered content.
	Inserted Tamper = "inserted"
	// Reordered: the entry is genuine but stands after entries it preceded.
	Reordered Tamper = "reordered"
	// Truncated: the log is shorter than a tree head trusted from before.
	Truncated Tamper = "truncated"
	// Forged: the entry's signature does not verify with any known key. A
	// chain rewritten with recomputed hashes shows as every rewritten entry
	// forged: only the key holder can sign.
	Forged Tamper = "forged"
	// Duplicate: an exact copy of an entry that is already in the log.
	Duplicate Tamper = "duplicate"
	// Forked: signed tree heads disagree with the entries before them or
	// with the trusted head: two histories were signed with the key.
	Forked Tamper = "forked"
	// Malformed: a stream message is not an entry at all.
	Malformed Tamper = "malformed"
)

// Problem is one finding.
type Problem struct {
	Kind Tamper `json:"kind"`
	// Index is the entry index concerned; -1 if it cannot be told.
	Index int64 `json:"index"`
	// Position in the list verified (from 0); -1 for an entry that is
	// not there (removed, truncated).
	Position int `json:"position"`
	// Seq is the stream sequence of the message, 0 if not from the stream.
	Seq    uint64 `json:"seq,omitempty"`
	Detail string `json:"detail"`
}

func (p Problem) String() string {
	where := fmt.Sprintf("entry %d", p.Index)
	if p.Index < 0 {
		where = "entry ?"
	}
	// A message that is no entry has no position but still a stream
	// sequence, which is how an operator finds it.
	var at []string
	if p.Position >= 0 {
		at = append(at, fmt.Sprintf("position %d", p.Position))
	}
	if p.Seq > 0 {
		at = append(at, fmt.Sprintf("stream seq %d", p.Seq))
	}
	if len(at) > 0 {
		where += " (" + strings.Join(at, ", ") + ")"
	}
	return fmt.Sprintf("%s: %s: %s", where, p.Kind, p.Detail)
}

// Report is the result of a verification.
type Report struct {
	// Entries is how many entries were examined.
	Entries int `json:"entries"`
	// Head is the tree head of the longest run of genuine entries from
	// index 0, in order: after a clean verification, the head to keep and
	// pass as VerifyOptions.Trusted next time.
	Head     Head      `json:"head"`
	Problems []Problem `json:"problems"`
}

// OK reports whether nothing was found.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Count is how many problems of a kind were found.
func (r Report) Count(k Tamper) int {
	n := 0
	for _, p := range r.Problems {
		if p.Kind == k {
			n++
		}
	}
	return n
}

// Find returns the problems of a kind.
func (r Report) Find(k Tamper) []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Kind == k {
			out = append(out, p)
		}
	}
	return out
}

// WriteText writes the report for people, at most limit problems (0: all).
func (r Report) WriteText(w io.Writer, limit int) error {
	if r.OK() {
		_, err := fmt.Fprintf(w, "audit log OK: %d entries, %s\n", r.Entries, r.Head)
		return err
	}
	if _, err := fmt.Fprintf(w, "audit log TAMPERED: %d problem(s) in %d entries; intact up to %s\n", len(r.Problems), r.Entries, r.Head); err != nil {
		return err
	}
	for i, p := range r.Problems {
		if limit > 0 && i == limit {
			_, err := fmt.Fprintf(w, "  ... %d more\n", len(r.Problems)-limit)
			return err
		}
		if _, err := fmt.Fprintf(w, "  %s\n", p); err != nil {
			return err
		}
	}
	return nil
}

// VerifyOptions say what to trust.
type VerifyOptions struct {
	// Keys are the public keys whose signatures are accepted (the current
	// key and any retired ones). Required.
	Keys []ed25519.PublicKey
	// Trusted, if set, is a tree head known from before (an earlier
	// verification). The log must still contain it: shorter is Truncated,
	// different is Forked.
	Trusted *Head
}

// Verify checks an ordered list of entries (as read from the stream, or a
// copy of it) and reports every problem, each naming the entry. It is a
// pure function so that tests, and auditors working from an export, can
// run it on any list.
//
// How: every signature is checked first; an entry whose signature fails is
// forged (or, if a genuine entry holds its index, inserted). The genuine
// entries' content must match their signed leaf hashes (else modified);
// their indexes must appear once (else duplicate or inserted), in order
// (the entries off the longest increasing run are reordered), with no gaps
// (else removed). The tree rebuilt from them in index order must give each
// entry's signed root (else forked) and contain the trusted head (else
// truncated or forked).
func Verify(entries []Entry, opts VerifyOptions) (Report, error) {
	if len(opts.Keys) == 0 {
		return Report{}, errors.New("verify audit log: no public key given")
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range opts.Keys {
		keys[KeyID(k)] = k
	}
	r := Report{Entries: len(entries)}
	add := func(k Tamper, index int64, pos int, format string, args ...any) {
		var seq uint64
		if pos >= 0 {
			seq = entries[pos].Seq
		}
		r.Problems = append(r.Problems, Problem{Kind: k, Index: index, Position: pos, Seq: seq, Detail: fmt.Sprintf(format, args...)})
	}

	genuine := map[int64]int{} // index → position of its first genuine entry
	var order []int            // positions of first genuine entries, in list order
	var unsigned []int         // positions of entries whose signature fails
	sigErr := map[int]error{}
	maxIndex := int64(-1)
	for p, e := range entries {
		if err := checkEntrySig(keys, e); err != nil {
			unsigned = append(unsigned, p)
			sigErr[p] = err
			continue
		}
		leaf, err := LeafHash(e.Index, e.Event)
		contentOK := err == nil && leaf == e.Leaf
		if q, seen := genuine[e.Index]; seen {
			if contentOK {
				add(Duplicate, e.Index, p, "replayed copy of entry %d (position %d): does not extend the chain", e.Index, q)
			} else {
				add(Inserted, e.Index, p, "second entry %d, a genuine one's signature with altered content", e.Index)
			}
			continue
		}
		genuine[e.Index] = p
		order = append(order, p)
		maxIndex = max(maxIndex, e.Index)
		if !contentOK {
			add(Modified, e.Index, p, "event does not match its signed leaf hash (a field was changed)")
		}
	}

	indexes := make([]int64, len(order))
	for k, p := range order {
		indexes[k] = entries[p].Index
	}
	inRun := longestIncreasing(indexes)
	for k, p := range order {
		switch {
		case inRun[k]:
		case k > 0:
			add(Reordered, entries[p].Index, p, "out of order: comes after entry %d", entries[order[k-1]].Index)
		default:
			add(Reordered, entries[p].Index, p, "out of order: comes before entry %d", entries[order[1]].Index)
		}
	}

	claimed := map[int64]bool{}
	for _, p := range unsigned {
		e := entries[p]
		if _, ok := genuine[e.Index]; ok {
			add(Inserted, e.Index, p, "extra entry claiming index %d: bad signature: %v", e.Index, sigErr[p])
			continue
		}
		claimed[e.Index] = true
		add(Forged, e.Index, p, "%v: rewritten without the signing key", sigErr[p])
	}
	for i := int64(0); i < maxIndex; i++ {
		if _, ok := genuine[i]; !ok && !claimed[i] {
			add(Removed, i, -1, "missing, though entry %d exists", maxIndex)
		}
	}

	t := newTree()
	for i := int64(0); ; i++ {
		p, ok := genuine[i]
		if !ok {
			break
		}
		root, err := t.append(entries[p].Leaf)
		if err != nil {
			return r, fmt.Errorf("verify audit log: %w", err)
		}
		if root != entries[p].Root {
			add(Forked, i, p, "signed tree head does not match the entries before it")
		}
		if opts.Trusted != nil && t.size == opts.Trusted.Size && root != opts.Trusted.Root {
			add(Forked, i, p, "log does not contain the trusted head (%s)", *opts.Trusted)
		}
		r.Head = Head{Size: t.size, Root: root}
	}
	if tr := opts.Trusted; tr != nil && maxIndex+1 < tr.Size {
		add(Truncated, maxIndex+1, -1, "log ends at entry %d but the trusted head has %d entries: entries %d to %d are gone", maxIndex, tr.Size, maxIndex+1, tr.Size-1)
	}
	sort.SliceStable(r.Problems, func(i, j int) bool { return r.Problems[i].Index < r.Problems[j].Index })
	return r, nil
}

// checkEntrySig checks the signature and that the signed fields agree
// with each other.
func checkEntrySig(keys map[string]ed25519.PublicKey, e Entry) error {
	if err := checkSig(keys, e); err != nil {
		return err
	}
	if e.Index < 0 || e.Size != e.Index+1 {
		return fmt.Errorf("signed size %d does not follow index %d", e.Size, e.Index)
	}
	return nil
}

// longestIncreasing marks the elements of one longest strictly increasing
// subsequence of xs (patience sorting, O(n log n)). Genuine entries off it
// are the ones that moved.
func longestIncreasing(xs []int64) []bool {
	tails := []int{}             // tails[l] = position in xs ending the best run of length l+1
	prev := make([]int, len(xs)) // predecessor of each position in its run
	for i, x := range xs {
		l := sort.Search(len(tails), func(k int) bool { return xs[tails[k]] >= x })
		if l > 0 {
			prev[i] = tails[l-1]
		} else {
			prev[i] = -1
		}
		if l == len(tails) {
			tails = append(tails, i)
		} else {
			tails[l] = i
		}
	}
	in := make([]bool, len(xs))
	if len(tails) == 0 {
		return in
	}
	for i := tails[len(tails)-1]; i >= 0; i = prev[i] {
		in[i] = true
	}
	return in
}

// VerifyLog verifies the live stream after a passes Config.Authorize. It
// reads every entry (the whole log is held in memory while it runs) and
// adds what only the stream can tell: messages that are not entries, and
// messages the server counts as deleted. Without opts.Keys it trusts the
// Log's own keys (its Signer's and Config.Keys): an auditor who holds the
// public key apart from the server passes it instead.
func (l *Log) VerifyLog(ctx context.Context, a Actor, opts VerifyOptions) (Report, error) {
	if err := l.authorize(ctx, a, ActionRead); err != nil {
		return Report{}, fmt.Errorf("verify audit log: %w", err)
	}
	if len(opts.Keys) == 0 {
		for _, k := range l.keys {
			opts.Keys = append(opts.Keys, k)
		}
	}
	entries, bad, err := l.ReadAll(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("verify audit log: %w", err)
	}
	r, err := Verify(entries, opts)
	if err != nil {
		return r, err
	}
	r.Problems = append(bad, r.Problems...)
	r.Entries += len(bad)
	st, err := l.stream.State(ctx)
	if err != nil {
		return r, fmt.Errorf("verify audit log: %w", err)
	}
	if n := st.Deleted; n > 0 {
		r.Problems = append(r.Problems, Problem{Kind: Removed, Index: -1, Position: -1,
			Detail: fmt.Sprintf("the server counts %d deleted message(s) in the stream, which refuses deletes: its files were edited", n)})
	}
	l.log.Info().Int("entries", r.Entries).Int("problems", len(r.Problems)).Int64("head_size", r.Head.Size).Msg("audit log verified")
	return r, nil
}
