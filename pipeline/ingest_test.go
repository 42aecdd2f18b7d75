package pipeline_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/pipeline"
)

func TestIngestStoresAudioAndQueuesCall(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	meta := call("ingest-1")
	res := ingest(t, env, meta)
	if res.Duplicate || !res.RecordingStored || res.RecordingBytes != uint64(len(audioFor(meta.ID))) || res.Sequence == 0 {
		t.Fatalf("IngestResult %+v", res)
	}
	st, err := env.c.State(ctx, meta.ID)
	if err != nil || st.State != pipeline.StateReceived {
		t.Fatalf("state %+v, %v", st, err)
	}
	rc, err := env.c.Recording(ctx, meta.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, rc); !bytes.Equal(got, audioFor(meta.ID)) {
		t.Errorf("stored audio %q", got)
	}
	s, err := env.c.JetStream().Stream(ctx, pipeline.StreamCalls)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(ctx, pipeline.SubjectRecorded(meta.ID))
	if err != nil {
		t.Fatalf("queued message: %v", err)
	}
	queued, err := pipeline.ParseCallMeta(bytes.NewReader(m.Data))
	if err != nil || queued.ID != meta.ID || queued.NHSNumber != meta.NHSNumber {
		t.Errorf("queued metadata %+v, %v", queued, err)
	}
	if got := m.Header.Get("Nats-Msg-Id"); got != meta.ID {
		t.Errorf("Nats-Msg-Id %q, want the call ID", got)
	}
}

func TestIngestDuplicateKeepsFirstAudio(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	meta := call("dup-1")
	ingest(t, env, meta)
	res, err := env.c.Ingest(ctx, meta, strings.NewReader("different audio"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Duplicate || res.RecordingStored {
		t.Errorf("second ingest %+v, want duplicate without storing", res)
	}
	rc, err := env.c.Recording(ctx, meta.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, rc); !bytes.Equal(got, audioFor(meta.ID)) {
		t.Errorf("audio overwritten: %q", got)
	}
	info, err := env.c.JetStream().Stream(ctx, pipeline.StreamCalls)
	if err != nil {
		t.Fatal(err)
	}
	si, err := info.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if si.State.Msgs != 1 {
		t.Errorf("CALLS holds %d messages, want 1", si.State.Msgs)
	}
}

func TestIngestRejectsBadInput(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)

	bad := call("bad.id")
	if _, err := env.c.Ingest(ctx, bad, strings.NewReader("x")); !errors.Is(err, pipeline.ErrInvalidCall) {
		t.Errorf("dotted ID: %v, want ErrInvalidCall", err)
	}

	if _, err := env.c.Ingest(ctx, call("empty-1"), strings.NewReader("")); !errors.Is(err, pipeline.ErrEmptyRecording) {
		t.Errorf("empty audio: %v, want ErrEmptyRecording", err)
	}
	if _, err := env.c.State(ctx, "empty-1"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("state after rejected ingest: %v, want ErrNotFound (claim released)", err)
	}
}

func TestIngestRefusesOversizedRecording(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	small, err := pipeline.Connect(ctx, env.srv.ClientURL(), pipeline.WithMaxRecordingBytes(1000))
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()

	big := bytes.Repeat([]byte{1}, 300_000) // several object-store chunks
	_, err = small.Ingest(ctx, call("big-1"), bytes.NewReader(big))
	if !errors.Is(err, pipeline.ErrRecordingTooLarge) {
		t.Fatalf("got %v, want ErrRecordingTooLarge", err)
	}
	if _, err := small.Recording(ctx, "big-1"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("oversized audio kept: %v", err)
	}
	if _, err := small.State(ctx, "big-1"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("state after refused ingest: %v, want ErrNotFound", err)
	}
	// Exactly at the limit is fine.
	if _, err := small.Ingest(ctx, call("fits-1"), bytes.NewReader(big[:1000])); err != nil {
		t.Errorf("recording at the limit: %v", err)
	}
	// And the ID refused earlier can be submitted again with sane audio.
	if _, err := small.Ingest(ctx, call("big-1"), bytes.NewReader(big[:10])); err != nil {
		t.Errorf("re-submitting after refusal: %v", err)
	}
}

// unreadable fails the test if anyone reads it: objected-to audio must not
// even be read, let alone stored.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("objected-to recording was read")
	return 0, errors.New("must not be read")
}

func TestIngestObjectedDoesNotStoreAudio(t *testing.T) {
	env := newEnv(t)
	ctx := bg(t)
	meta := call("objected-1")
	meta.RecordingConsent = false
	res, err := env.c.Ingest(ctx, meta, unreadable{t})
	if err != nil {
		t.Fatal(err)
	}
	if res.RecordingStored || res.Duplicate {
		t.Errorf("IngestResult %+v", res)
	}
	if _, err := env.c.Recording(ctx, meta.ID); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("objected-to audio stored: %v", err)
	}
}
