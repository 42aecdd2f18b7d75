// Package audit keeps a tamper-evident trail of who read or changed a
// recording, transcript, decision, proposal or record entry, when, why, and
// whether they were allowed to.
//
// # Layout on the server
//
//	AUDIT   stream, limits, audit.events   one Entry per message, DenyDelete + DenyPurge, no age or count limit
//
// # Why it is tamper-evident, and what it is not
//
// The stream refuses message deletes and purges, and nats-server will not
// let a stream's configuration drop those flags again. That stops the
// ordinary API from removing history, but not somebody with the server's
// files. So every Entry is also a leaf of an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog): it carries its index, its leaf hash and the
// tree head (size and root hash) after it was appended, and an ed25519
// signature over all four. Verify rebuilds the tree from the entries and
// checks every signature, so it finds an entry that was modified, removed,
// inserted, reordered, duplicated or forged (the whole chain rewritten with
// recomputed hashes: the signatures fail without the key), and names it by
// index. A truncated tail leaves a shorter, perfectly consistent log; only a
// tree head kept somewhere else (VerifyOptions.Trusted, 'callscribe audit
// verify -trusted-head FILE') reveals it, so an auditor should keep the
// head from each verification.
//
// The signing key lives in a file outside the repository and the JetStream
// store (LoadOrCreateKey writes it 0600 on first use); only the process
// that writes the log needs it, and verifiers need only its public half.
//
// # One writer at a time
//
// Each append is published with an expected last stream sequence, so two
// writers (two serve processes, or a restarted one racing the old) cannot
// both extend the same tree head and fork the log: the loser reloads the
// entries it missed and tries again at the new tail.
//
// # Stray messages cannot stop the trail
//
// Whoever may publish on audit.events can put anything there, and the
// stream keeps it for good. So a writer treats the stream as untrusted:
// when it catches up it builds only on entries that are signed by a key it
// knows (its own, Config.Keys for retired ones) and extend its tree (next
// index, matching leaf and tree head). Anything else (not JSON, a bad
// signature, a replayed copy) is skipped and logged, and the next append
// extends the last valid entry; junk that arrives between catch-up and
// publish fails the expected-sequence check and is read past on the retry.
// Verify reports each such message by stream sequence (malformed,
// inserted, forged, duplicate), so it is an integrity finding, while the
// honest chain around it still verifies. What skipping cannot stop is a
// publisher flooding the subject faster than a writer retries (50 times):
// appends then fail and reads fail closed, which is why only the
// identities that write the trail should be allowed to publish on it.
//
// # Privacy
//
// Events are metadata about access to health data and hold none of it: no
// transcript text, audio, caller number or NHS number. Event has fixed
// fields only; the one free-text field, Reason, is short, single-line and
// refuses long digit runs (phone and NHS numbers), and logs written by this
// package carry indexes, call IDs and counts only.
package audit
