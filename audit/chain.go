package audit

import (
	"bytes"
	"encoding/json"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Entry is one message on the AUDIT stream: an event with its place in the
// Merkle tree and a signature over that place.
type Entry struct {
	// Index is the entry's position in the log, from 0.
	Index int64 `json:"index"`
	Event Event `json:"event"`
	// Leaf is the tree's record hash of Index and Event (LeafHash).
	Leaf tlog.Hash `json:"leaf"`
	// Size and Root are the tree head after this entry was appended; Size
	// is always Index+1.
	Size int64     `json:"size"`
	Root tlog.Hash `json:"root"`
	// Key identifies the signing key (KeyID) and Sig is its ed25519
	// signature over Index, Leaf, Size and Root (signedText).
	Key string `json:"key"`
	Sig []byte `json:"sig"`
	// Seq is the stream sequence the entry was read from; 0 when the entry
	// did not come from the stream. It is not part of the entry.
	Seq uint64 `json:"-"`
}

// Head is a tree head: the size of the log and the root hash of its Merkle
// tree. Knowing the head of an earlier verification is what lets Verify
// notice that the log has since lost its tail.
type Head struct {
	Size int64     `json:"size"`
	Root tlog.Hash `json:"root"`
}

// Head is the tree head recorded in the entry.
func (e Entry) Head() Head { return Head{Size: e.Size, Root: e.Root} }

// String is "size N root BASE64".
func (h Head) String() string { return fmt.Sprintf("size %d root %s", h.Size, h.Root) }

// leafRecord is what a leaf hash covers. The index is included so that an
// entry copied to another position cannot pass for the original there.
type leafRecord struct {
	Index int64 `json:"index"`
	Event Event `json:"event"`
}

// LeafHash is the RFC 6962 record hash of an entry's index and event, as
// JSON. Encoding a decoded event gives back the same bytes (fixed field
// order, UTC times), so it can be recomputed from what was stored.
func LeafHash(index int64, ev Event) (tlog.Hash, error) {
	data, err := json.Marshal(leafRecord{Index: index, Event: ev})
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("leaf hash of entry %d: %w", index, err)
	}
	return tlog.RecordHash(data), nil
}

// DecodeEntry parses a stream message strictly: unknown fields (say, a
// transcript added to an event) make it fail rather than be ignored.
func DecodeEntry(data []byte) (Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("decode audit entry: %w", err)
	}
	if dec.More() {
		return Entry{}, fmt.Errorf("decode audit entry: trailing data")
	}
	return e, nil
}

// tree is the part of a Merkle tree needed to append to it and compute its
// root: the hashes of the complete subtrees along its right edge, at most
// one per level. Memory stays O(log n) however long the log grows.
type tree struct {
	size   int64
	hashes map[int64]tlog.Hash // stored-hash index → hash
}

func newTree() *tree { return &tree{hashes: map[int64]tlog.Hash{}} }

// ReadHashes serves tlog the hashes it asks for; it only ever asks for
// frontier hashes, so a missing one is a bug here.
func (t *tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := t.hashes[x]
		if !ok {
			return nil, fmt.Errorf("merkle tree of size %d: hash %d not held", t.size, x)
		}
		out[i] = h
	}
	return out, nil
}

// append adds a leaf and returns the new root.
func (t *tree) append(leaf tlog.Hash) (tlog.Hash, error) {
	hs, err := tlog.StoredHashesForRecordHash(t.size, leaf, t)
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("append leaf %d: %w", t.size, err)
	}
	base := tlog.StoredHashCount(t.size)
	for i, h := range hs {
		t.hashes[base+int64(i)] = h
	}
	t.size++
	keep := map[int64]bool{}
	for l := 0; l < 63; l++ {
		if t.size>>l&1 == 1 {
			keep[tlog.StoredHashIndex(l, t.size>>l-1)] = true
		}
	}
	for x := range t.hashes {
		if !keep[x] {
			delete(t.hashes, x)
		}
	}
	return t.root()
}

// root is the tree hash at the current size.
func (t *tree) root() (tlog.Hash, error) {
	h, err := tlog.TreeHash(t.size, t)
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("tree hash of size %d: %w", t.size, err)
	}
	return h, nil
}

func (t *tree) clone() *tree {
	c := &tree{size: t.size, hashes: make(map[int64]tlog.Hash, len(t.hashes))}
	for k, v := range t.hashes {
		c.hashes[k] = v
	}
	return c
}
