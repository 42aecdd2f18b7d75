package attack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
)

// Attack 2b: with the recorder's seed, replace the recording of a call
// that was already transcribed and is under review. The recorder's job is
// to submit new calls; if it can put an object under an existing call's
// name, the clinician hears audio the attacker chose beside the real
// transcript.
func TestAttack2bStolenRecorderReplacesRecording(t *testing.T) {
	c := suite.transcribedCall(t, "atk2b")
	clin := suite.session(t, "clinician")
	if r := clin.get(t, "/calls/"+c.meta.ID+"/audio"); r.code != http.StatusOK || r.body != string(c.audio) {
		t.Fatalf("control: the clinician's download before the attack: %d", r.code)
	}
	thief := dialAs(t, suite, pipeline.IdentityRecorder)
	fake := []byte("RIFF-attacker-chosen-audio-" + randHex(8))
	// Not through attempt: a refusal late in the put (purging the old
	// chunks) must not hide what the earlier steps did.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	var putErr error
	if obs, err := thief.js.ObjectStore(ctx, pipeline.BucketRecordings); err != nil {
		putErr = err
	} else {
		_, putErr = obs.PutBytes(ctx, c.meta.ID, fake)
	}
	cancel()
	r := clin.get(t, "/calls/"+c.meta.ID+"/audio")
	switch {
	case r.body == string(fake):
		t.Errorf("DEFECT: with the recorder's seed, the recording of transcribed call %s was replaced: the clinician now hears the attacker's audio (put: %v)", c.meta.ID, putErr)
	case r.code == http.StatusOK && r.body == string(c.audio):
		t.Logf("the recording could not be replaced (put: %v)", putErr)
	case r.code == http.StatusConflict:
		// Detected: the object no longer matches the digest the recorder
		// wrote at intake, and the UI refuses to play it. What remains is
		// availability: the call's original audio can no longer be heard.
		t.Logf("replacement detected, the UI refuses to play it (409); residual: the clinician can no longer hear the call's recording (put: %v)", putErr)
	default:
		t.Errorf("DEFECT: with the recorder's seed, the recording of transcribed call %s was destroyed: download now %d, %d bytes (put: %v)", c.meta.ID, r.code, len(r.body), putErr)
	}
}

// Attack 2c: with the recorder's seed, rewrite the pipeline state of a
// call that was already transcribed (here: mark it deleted). The recorder
// follows states and writes its own calls' first one; it has no business
// changing another call's.
func TestAttack2cStolenRecorderRewritesCallState(t *testing.T) {
	c := suite.transcribedCall(t, "atk2c")
	rec := suite.client(t, pipeline.IdentityRecorder)
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	before, err := rec.State(ctx, c.meta.ID)
	if err != nil {
		t.Fatal(err)
	}
	forged := before
	forged.State, forged.Reason, forged.UpdatedAt = pipeline.StateDeleted, "attack suite", time.Now().UTC()
	forged.ResultSeq = 0
	data, _ := json.Marshal(forged)
	thief := dialAs(t, suite, pipeline.IdentityRecorder)
	err = thief.attempt(func(ctx context.Context) error {
		_, err := thief.js.Publish(ctx, "$KV."+pipeline.BucketState+"."+c.meta.ID, data)
		return err
	})
	after, aerr := rec.State(ctx, c.meta.ID)
	if err == nil || (aerr == nil && after.State != before.State) {
		page := suite.session(t, "clinician").get(t, "/calls/"+c.meta.ID)
		t.Errorf("DEFECT: with the recorder's seed, transcribed call %s's state was rewritten from %q to %q (publish: %v); its review page now answers %d",
			c.meta.ID, before.State, after.State, err, page.code)
	}
}

// Attack 10: self-asserted identity. An objection sent on
// calls.objection.<id> (here with the recorder's seed, which may send
// them) names who recorded it in its body; the audit trail must record the
// authenticated sender, not whatever name the body gives.
func TestAttack10SelfAssertedIdentityInAudit(t *testing.T) {
	c := suite.transcribedCall(t, "atk10")
	impostor := "dr-impostor-" + randHex(3)
	rec := suite.client(t, pipeline.IdentityRecorder)
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	if _, err := rec.SendObjection(ctx, pipeline.Objection{CallID: c.meta.ID, By: impostor, Reason: "attack suite"}); err != nil {
		t.Logf("objection with a self-asserted name refused: %v", err)
		return
	}
	l := trail(t, suite)
	var deletes, asImpostor int
	actors := map[string]bool{}
	waitFor(t, "control: the erasure is on the audit trail", func() bool {
		deletes, asImpostor = 0, 0
		for _, e := range query(t, l, audit.Filter{ObjectID: c.meta.ID}) {
			if e.Event.Action == audit.ActionDelete {
				deletes++
				actors[e.Event.User+" ("+e.Event.Role+")"] = true
			}
			if e.Event.User == impostor {
				asImpostor++
			}
		}
		return deletes > 0
	})
	t.Logf("the erasure's %d audit event(s) name %v", deletes, actors)
	if asImpostor > 0 {
		t.Errorf("DEFECT: %d audit event(s) for the erasure of %s name the actor the message body asserted (%q), not the authenticated sender (the recorder component)",
			asImpostor, c.meta.ID, impostor)
	}
}

// rawIngest submits a call as the recorder's seed can without package
// pipeline's checks, each step as Client.Ingest does it at this commit:
// store the recording, write the call's intake (when, and the recording's
// digest), queue the metadata.
func rawIngest(t *testing.T, thief *natsConn, meta pipeline.CallMeta, audio []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	obs, err := thief.js.ObjectStore(ctx, pipeline.BucketRecordings)
	if err != nil {
		t.Fatalf("raw ingest %s: %v", meta.ID, err)
	}
	info, err := obs.PutBytes(ctx, meta.ID, audio)
	if err != nil {
		t.Fatalf("raw ingest %s: recording: %v", meta.ID, err)
	}
	in, _ := json.Marshal(pipeline.Intake{ReceivedAt: time.Now().UTC(), CallAt: meta.StartedAt.UTC(), RecordingDigest: info.Digest})
	if _, err := thief.js.Publish(ctx, "$KV."+pipeline.BucketIntake+"."+meta.ID, in, jetstream.WithExpectLastSequencePerSubject(0)); err != nil {
		t.Fatalf("raw ingest %s: intake: %v", meta.ID, err)
	}
	data, _ := json.Marshal(meta)
	if _, err := thief.js.Publish(ctx, pipeline.SubjectRecorded(meta.ID), data, jetstream.WithMsgID(meta.ID)); err != nil {
		t.Fatalf("raw ingest %s: queue: %v", meta.ID, err)
	}
}

// Attack 12: Unicode direction and format characters (U+202E, U+200B,
// U+2066) in a call's metadata, which would make the review page show
// text other than what is stored. Refused at ingest, and refused by the
// worker when the recorder's seed queues them past package pipeline's
// checks: such a call never reaches review.
func TestAttack12FormatCharactersInMetadata(t *testing.T) {
	w := suite.startWorker(t)
	rec := suite.client(t, pipeline.IdentityRecorder)
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	for _, bad := range []string{"h-\u202e24", "h\u200b42", "h-\u206642\u2069"} {
		c := newCall("atk12i")
		c.meta.HandlerID = bad
		if _, err := rec.Ingest(ctx, c.meta, bytes.NewReader(c.audio)); !errors.Is(err, pipeline.ErrInvalidCall) {
			t.Errorf("DEFECT: ingest with handler ID %+q: %v, want refused as invalid", bad, err)
		}
	}

	thief := dialAs(t, suite, pipeline.IdentityRecorder)
	clean, bad := newCall("atk12c"), newCall("atk12b")
	bad.meta.Line = "spa-\u202eniam"
	w.mu.Lock()
	w.texts[clean.meta.ID], w.texts[bad.meta.ID] = clean.text, bad.text
	w.mu.Unlock()
	rawIngest(t, thief, bad.meta, bad.audio)
	rawIngest(t, thief, clean.meta, clean.audio)
	// Control: the raw submission works, as the clean call shows.
	clin := suite.session(t, "clinician")
	waitFor(t, "control: the raw-ingested clean call reaches review", func() bool {
		return clin.get(t, "/calls/"+clean.meta.ID).code == http.StatusOK
	})
	var st pipeline.CallState
	waitFor(t, "the call with a format character settles", func() bool {
		var err error
		st, err = rec.State(ctx, bad.meta.ID)
		return err == nil && st.State.Settled()
	})
	if st.State == pipeline.StateTranscribed {
		t.Errorf("DEFECT: a call whose line holds U+202E was transcribed")
	}
	t.Logf("the raw-queued call with U+202E in its line settled as %q", st.State)
	if r := clin.get(t, "/calls/"+bad.meta.ID); r.code != http.StatusNotFound || strings.Contains(r.body, "\u202e") {
		t.Errorf("DEFECT: the review page of the call with U+202E in its line answered %d (shows the character: %v)", r.code, strings.Contains(r.body, "\u202e"))
	}
}
