package pipeline

import (
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Identities of the programs that reach the NATS server. People never do:
// they reach patient data through the web component's authenticated,
// audited API (issue 12). Each component connects as its own identity and
// the server itself limits it to the subjects its job needs, so a bug or a
// stolen credential in one component reaches no more than that component's
// job: the recorder cannot read a transcript, the web cannot forge a result,
// and nobody can delete or reconfigure a stream once serve has laid them out.
const (
	// IdentitySetup lays out streams, buckets and consumers when serve
	// starts; it may create and update them but never delete or purge.
	IdentitySetup = "setup"
	// IdentityRecorder submits calls, their recordings and their intake
	// (write-once) and follows their states; it reads no transcript and no
	// recording, and writes no call's state.
	IdentityRecorder = "recorder"
	// IdentityWorker takes queued calls, reads their audio and is the only
	// identity that may publish results and dead letters.
	IdentityWorker = "worker"
	// IdentityWeb serves people through the authenticated, audited review UI
	// and API: it reads calls, results, audio and the audit trail, keeps the
	// review bucket and publishes confirmed records.
	IdentityWeb = "web"
	// IdentityRetention erases calls whose retention period has ended.
	IdentityRetention = "retention"
	// IdentityObjections answers objections to recording by erasing the call.
	IdentityObjections = "objections"
	// IdentityMonitor reads counts for /metrics and /healthz: stream and
	// consumer info and call states, never a message body.
	IdentityMonitor = "monitor"
)

// Identities lists every identity, in the order credentials are made.
var Identities = []string{IdentitySetup, IdentityRecorder, IdentityWorker, IdentityWeb, IdentityRetention, IdentityObjections, IdentityMonitor}

// InboxPrefix is where an identity's replies arrive. Each identity may
// subscribe to its own inbox only, so no component (and no stolen
// credential) can read the replies another one asked for: issue 12 caught
// an auditor capturing 1.2 MB of a clinician's replies on _INBOX.>.
func InboxPrefix(identity string) string { return "_INBOX_" + identity }

// Streams named here rather than imported: review and audit build on this
// package.
const (
	streamReview  = "KV_REVIEW"
	streamRecords = "RECORDS"
	// streamOutcomes keeps retired calls' decisions, content-free
	// (review.StreamOutcomes, subject review.outcomes).
	streamOutcomes  = "OUTCOMES"
	subjectOutcomes = "review.outcomes"
	streamAudit     = "AUDIT"
	subjectAudit    = "audit.events"
	streamState     = "KV_" + BucketState
	streamIntake    = "KV_" + BucketIntake
	streamObjects   = "OBJ_" + BucketRecordings
)

// jsInfo lets a client bind to streams: their info only.
func jsInfo(streams ...string) []string {
	var s []string
	for _, st := range streams {
		s = append(s, "$JS.API.STREAM.INFO."+st)
	}
	return s
}

// jsGet lets a client read any message of the streams by sequence or
// subject (direct and ordinary gets).
func jsGet(streams ...string) []string {
	var s []string
	for _, st := range streams {
		s = append(s, "$JS.API.STREAM.INFO."+st, "$JS.API.STREAM.MSG.GET."+st,
			"$JS.API.DIRECT.GET."+st, "$JS.API.DIRECT.GET."+st+".>")
	}
	return s
}

// jsConsume lets a client create, use and delete consumers on the streams
// (watches, ordered consumers, durable pulls), with their acks and flow
// control.
func jsConsume(streams ...string) []string {
	var s []string
	for _, st := range streams {
		s = append(s,
			"$JS.API.CONSUMER.CREATE."+st, "$JS.API.CONSUMER.CREATE."+st+".>",
			"$JS.API.CONSUMER.DURABLE.CREATE."+st+".>",
			"$JS.API.CONSUMER.INFO."+st+".>", "$JS.API.CONSUMER.DELETE."+st+".>",
			"$JS.API.CONSUMER.MSG.NEXT."+st+".>",
			"$JS.ACK."+st+".>", "$JS.FC."+st+".>")
	}
	return s
}

// jsErase lets a client overwrite single messages of the streams (secure
// delete), never the stream itself.
func jsErase(streams ...string) []string {
	var s []string
	for _, st := range streams {
		s = append(s, "$JS.API.STREAM.MSG.DELETE."+st)
	}
	return s
}

// eraser is what retention and objections need: find a call anywhere and
// overwrite it, write its tombstone, stop a worker that holds it, and audit
// the erasure. A secure delete names the message by sequence, so finding
// a recording's chunks means reading them: erasers can read raw messages
// (never through a consumer or the object store's reader).
func eraser() []string {
	all := []string{StreamCalls, StreamResults, StreamFailed, streamState, streamIntake, streamObjects, streamReview, streamRecords}
	return slices.Concat(jsGet(all...), jsConsume(streamState, streamIntake, streamReview), jsErase(all...),
		[]string{"$JS.API.STREAM.PURGE." + streamObjects, "$O." + BucketRecordings + ".M.>",
			"$KV." + BucketState + ".>", "$KV.REVIEW.>", subjectErased + "*"},
		jsInfo(streamOutcomes), auditor())
}

// auditor appends to the audit trail (the append reads the chain's head).
func auditor() []string {
	return slices.Concat(jsGet(streamAudit), jsConsume(streamAudit), []string{subjectAudit})
}

// IdentityPermissions returns the server-side permissions of a component.
func IdentityPermissions(identity string) (*server.Permissions, error) {
	var pub, sub []string
	switch identity {
	case IdentitySetup:
		pub = []string{"$JS.API.STREAM.CREATE.*", "$JS.API.STREAM.UPDATE.*", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST"}
	case IdentityRecorder:
		pub = slices.Concat(jsInfo(StreamCalls, streamObjects), jsGet(streamState, streamIntake), jsConsume(streamState, streamIntake),
			[]string{subjectRecorded + "*", SubjectObjection(IdentityRecorder, "*"), "$JS.API.CONSUMER.INFO." + StreamCalls + ".>", "$O." + BucketRecordings + ".C.>", "$O." + BucketRecordings + ".M.>",
				"$JS.API.DIRECT.GET." + streamObjects + ".$O." + BucketRecordings + ".M.>",
				"$KV." + BucketIntake + ".>"})
	case IdentityWorker:
		pub = slices.Concat(jsGet(StreamCalls, streamObjects, streamState, streamIntake, StreamResults, StreamFailed),
			jsConsume(StreamCalls, streamObjects, streamState), jsErase(StreamCalls, streamObjects), auditor(),
			[]string{subjectTranscribed + "*", subjectFailed + "*", "$KV." + BucketState + ".>",
				"$JS.API.STREAM.PURGE." + streamObjects, "$O." + BucketRecordings + ".M.>"})
		sub = []string{subjectErased + "*"}
	case IdentityWeb:
		// Everything but the queue's consumers: CALLS is a work queue,
		// and a consumer there would take calls from the workers.
		content := []string{StreamResults, StreamFailed, streamState, streamIntake, streamObjects, streamReview, streamRecords, streamOutcomes}
		pub = slices.Concat(jsGet(append(content, StreamCalls)...), jsConsume(content...), auditor(),
			[]string{"$KV.REVIEW.>", "records.confirmed.*", SubjectObjection(IdentityWeb, "*"),
				"$JS.API.CONSUMER.INFO." + StreamCalls + ".>"})
	case IdentityRetention:
		// Retiring a call keeps its content-free decisions on OUTCOMES;
		// it may append there, never read or delete.
		pub = append(eraser(), subjectOutcomes)
	case IdentityObjections:
		pub = eraser()
		sub = []string{subjectObjection + "*.*"}
	case IdentityMonitor:
		pub = slices.Concat(jsInfo(StreamCalls, StreamResults, StreamFailed, streamObjects), jsGet(streamState, streamIntake),
			jsConsume(streamState, streamIntake), []string{"$JS.API.CONSUMER.INFO." + StreamCalls + ".>", "$JS.API.STREAM.NAMES"})
	default:
		return nil, fmt.Errorf("unknown identity %q; known: %v", identity, Identities)
	}
	pub = append(pub, "$JS.API.INFO")
	sub = append(sub, InboxPrefix(identity)+".>")
	p := &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: sub},
	}
	if identity == IdentityObjections {
		// The objections service answers requests on
		// calls.objection.<sender>.<id>: one reply to whatever inbox
		// asked, for a bounded time.
		p.Response = &server.ResponsePermission{MaxMsgs: 1, Expires: time.Minute}
	}
	return p, nil
}
