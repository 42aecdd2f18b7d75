// Package pipeline moves recorded calls through NATS JetStream: an embedded
// nats-server, the streams and buckets that hold calls, ingest, transcription
// workers, dead-lettering and results.
//
// # Layout on the server
//
//	CALLS       stream, work queue, calls.recorded.<id>    call metadata waiting for a worker
//	RECORDINGS  object store, key = call ID                the audio
//	CALL_STATE  key/value, key = call ID                   where each call is (received … transcribed)
//	RESULTS     stream, limits, calls.transcribed.<id>     transcript + classification
//	FAILED      stream, limits, calls.failed.<id>          dead letters: calls that will not be retried
//
// # Why these choices
//
// CALLS uses work-queue retention: a call's message stays until a worker
// acknowledges it (success, objection or dead letter), then it is removed, so
// the stream is exactly the backlog. One durable pull consumer,
// "transcribers", is shared by every worker; the server hands each message to
// one of them.
//
// Duplicate submissions are caught twice. The CALL_STATE entry is claimed
// with a create-if-absent write before anything else, which is durable and
// has no time limit: a call ID that is already known is reported as a
// duplicate and its audio is never overwritten. Nats-Msg-Id = call ID on
// CALLS, RESULTS and FAILED (duplicate window 24 h by default) makes the
// publishes themselves idempotent, so retries and redeliveries do not produce
// a second message. The window alone is not enough because a work-queue
// stream forgets acknowledged message IDs when the server restarts.
//
// Workers bound the number of attempts themselves (Worker.MaxDeliver) rather
// than letting the server stop redelivering: a server that exhausts
// MaxDeliver leaves the message parked in the work queue and only emits an
// advisory, which is a silent drop if nobody is listening. Here every
// delivery reaches a worker, and a call past its attempts is dead-lettered
// with a reason. Back-off between attempts is applied with a delayed NAK
// rather than the consumer BackOff list, because the server uses BackOff as
// the acknowledgement deadline too, which would tie "how long before a lost
// worker's call is retried" to "how long to wait after an error".
//
// # Privacy
//
// Transcripts, audio and identifiers (caller number, NHS number) are health
// data. They travel in messages and buckets but never appear in logs: log
// events carry call IDs, states, labels, sizes and timings only. A call whose
// caller objected to recording (CallMeta.RecordingConsent false) has its
// audio refused at ingest, purged by the worker if any copy exists, and is
// never transcribed.
package pipeline
