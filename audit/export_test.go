package audit

// Rechain does what an attacker who rewrites the log does: from index from
// on, it renumbers the entries, recomputes their leaf hashes and tree
// heads, and signs them with s.
func Rechain(entries []Entry, from int, s *Signer) {
	t := newTree()
	for i := range entries {
		e := &entries[i]
		if i >= from {
			e.Index = int64(i)
			e.Leaf, _ = LeafHash(e.Index, e.Event)
		}
		root, err := t.append(e.Leaf)
		if err != nil {
			panic(err)
		}
		if i >= from {
			e.Root, e.Size = root, t.size
			s.sign(e)
		}
	}
}

// BeforePublish makes l call f just before each publish, after it has
// caught up: where another publisher's message causes a conflict.
func BeforePublish(l *Log, f func()) { l.beforePublish = f }
