// Package attack holds no code: its tests (package attack_test) play the
// attacks of issue 12 against a real 'callscribe serve' process, started
// from a freshly built binary with default flags (embedded NATS server with
// per-component nkeys), and then against a 3-node nats-server cluster
// configured from 'callscribe nats-conf'.
//
// The tests act as an attacker on the same host: a nats.go client holding
// no credential, a made-up one or one component's stolen seed, and plain
// net/http against the review UI. Where realistic data is needed (a
// transcribed call), a test plays the recorder and the worker with their
// own seeds through package pipeline; that is setting the scene, not an
// attack, and is said so where it happens.
//
// Every attack asserts the refusal and has a positive control that shows
// the same machinery succeeds where it should (the right identity, the
// right origin, a call that was not erased), so a test that cannot reach
// its target fails instead of passing vacuously. A refusal that does not
// happen is reported as "DEFECT: ..." naming what the attacker could do.
//
// The bearer-token JSON API under /api/v1/ (people's door for status, sar,
// audit and object) was built on another branch while this suite was
// written; api_test.go plays its attacks and skips, saying so, when serve
// has none.
//
// TODO(/api/v1): attacks not played yet on the API: a token past its idle
// or maximum age (needs a clock serve does not expose), a revoked token
// after POST /api/v1/logout, the subject access export (POST /api/v1/sar)
// audited before its first byte and refused when the trail is down, and
// every API read refused while the audit trail cannot be appended to.
package attack
