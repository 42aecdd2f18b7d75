package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/natstest"
	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/process"
	"github.com/callscribe/callscribe/transcribe"
)

// wavBytes builds a RIFF/WAVE file from a fmt chunk body and data, with the
// sizes given (which bad inputs lie about).
func wavBytes(format, channels uint16, rate uint32, bits uint16, data []byte, dataSize uint32) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	block := channels * bits / 8
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+len(data)))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), format, channels, rate, rate * uint32(block), block, bits} {
		binary.Write(&b, le, v)
	}
	b.WriteString("data")
	binary.Write(&b, le, dataSize)
	b.Write(data)
	return b.Bytes()
}

func floatData(vals ...float32) []byte {
	var b bytes.Buffer
	for i := 0; i < 800; i++ {
		binary.Write(&b, binary.LittleEndian, vals[i%len(vals)])
	}
	return b.Bytes()
}

// TestBadRecordingsAreParkedWithTheirReason runs a corpus of broken
// recordings through the real pipeline (embedded nats-server, worker, real
// decoder and classifier; the engine is the instant test double from
// overhead_bench_test.go, since none of these reach whisper). Every one must
// be dead-lettered once, at once, with a reason naming what is wrong, its
// recording kept byte for byte; a good call queued after them all must still
// be transcribed.
func TestBadRecordingsAreParkedWithTheirReason(t *testing.T) {
	good, err := os.ReadFile(testenv.Shared(t, "calls/dev/call-0002.wav"))
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]byte, 16000)
	for i := range pcm {
		pcm[i] = byte(i * 7)
	}
	ext := wavBytes(0xFFFE, 1, 8000, 16, pcm, uint32(len(pcm)))
	corpus := []struct {
		id, why string
		data    []byte
	}{
		{"truncated-header", "RIFF", []byte("RIFF\x10\x00")},
		{"wrong-magic", "RIFF", append([]byte("RIFX"), good[4:2000]...)},
		{"avi-not-wave", "WAVE", append(append([]byte{}, good[:8]...), append([]byte("AVI "), good[12:2000]...)...)},
		{"text-file", "RIFF", []byte("Dear patient, your appointment is on Tuesday.\n")},
		{"mp3-file", "RIFF", append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), pcm...)},
		{"png-image", "RIFF", append([]byte("\x89PNG\r\n\x1a\n"), pcm...)},
		{"missing-fmt", "fmt", append([]byte("RIFF\x00\x10\x00\x00WAVEdata\x00\x08\x00\x00"), pcm[:2048]...)},
		{"missing-data", "data", wavBytes(1, 1, 8000, 16, nil, 0)[:36]},
		{"data-truncated", "present", good[:3000]},
		{"zero-frames", "frame", wavBytes(1, 1, 8000, 16, nil, 0)},
		{"rate-zero", "rate", wavBytes(1, 1, 0, 16, pcm, uint32(len(pcm)))},
		{"rate-1hz", "rate", wavBytes(1, 1, 1, 16, pcm, uint32(len(pcm)))},
		{"rate-384k", "rate", wavBytes(1, 1, 384000, 16, pcm, uint32(len(pcm)))},
		{"channels-zero", "channel", wavBytes(1, 0, 8000, 16, pcm, uint32(len(pcm)))},
		{"channels-eight", "channel", wavBytes(1, 8, 8000, 16, pcm, uint32(len(pcm)))},
		{"bits-12", "bit", wavBytes(1, 1, 8000, 12, pcm, uint32(len(pcm)))},
		// (MS ADPCM, 0x0002, is no longer here: FFmpeg decodes it.)
		{"mp3-codec", "0x0055", wavBytes(0x55, 1, 8000, 16, pcm, uint32(len(pcm)))},
		{"gsm-codec", "0x0031", wavBytes(0x31, 1, 8000, 16, pcm, uint32(len(pcm)))},
		{"float-nan", "NaN", wavBytes(3, 1, 8000, 32, floatData(0.1, float32(math.NaN())), 3200)},
		{"float-inf", "Inf", wavBytes(3, 1, 8000, 32, floatData(0.1, float32(math.Inf(1))), 3200)},
		{"float-huge", "sample", wavBytes(3, 1, 8000, 32, floatData(30000, -30000), 3200)},
		{"six-hours", "long", wavBytes(1, 1, 8000, 16, pcm, 8000*2*3600*6)},
		{"size-overflow", "long", wavBytes(1, 1, 8000, 16, pcm, 0xFFFFFFF0)},
		{"odd-block-align", "align", func() []byte {
			b := wavBytes(1, 1, 8000, 16, pcm, uint32(len(pcm)))
			binary.LittleEndian.PutUint16(b[32:], 3)
			return b
		}()},
		{"extensible-no-subformat", "fmt", ext},
		{"random-noise", "RIFF", bytes.Repeat([]byte{0x5a, 0xa5, 0x13, 0x37}, 4096)},
	}

	c, err := classify.Default()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nop := zerolog.Nop()
	client, _ := natstest.Pipeline(t, nop)
	tr := &transcribe.Transcript{Segments: []transcribe.Segment{{Text: "I'd like to change my appointment to next Tuesday please", End: 3 * time.Second, AvgLogProb: -0.2}}}
	ef := engineFlags{language: "en", silenceDB: -50, maxDuration: 4 * time.Hour}
	w := &pipeline.Worker{Client: client, Processor: process.Pipeline{P: ef.newProcessor(instantEngine{tr}, c)}, PollWait: 200 * time.Millisecond, Log: nop}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	defer func() { stop(); <-done }()

	for _, bad := range corpus {
		if _, err := client.Ingest(ctx, meta(bad.id), bytes.NewReader(bad.data)); err != nil {
			t.Fatalf("ingest %s: %v", bad.id, err)
		}
	}
	if _, err := client.Ingest(ctx, meta("good-after-bad"), bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}

	for _, bad := range corpus {
		st := waitSettled(t, client, bad.id)
		if st.State != pipeline.StateFailed {
			t.Errorf("%s: state %s, want failed", bad.id, st.State)
			continue
		}
		f, err := client.Failure(ctx, bad.id)
		if err != nil {
			t.Errorf("%s: no dead letter: %v", bad.id, err)
			continue
		}
		if f.Kind != pipeline.KindPermanent || f.Deliveries != 1 || !strings.Contains(strings.ToLower(f.Reason), strings.ToLower(bad.why)) || !strings.Contains(f.Reason, "bad audio") {
			t.Errorf("%s: dead letter kind %s after %d deliveries, reason %q; want permanent at once, naming %q", bad.id, f.Kind, f.Deliveries, f.Reason, bad.why)
		}
		rc, err := client.Recording(ctx, bad.id)
		if err != nil {
			t.Errorf("%s: recording not kept: %v", bad.id, err)
			continue
		}
		var kept bytes.Buffer
		kept.ReadFrom(rc)
		rc.Close()
		if !bytes.Equal(kept.Bytes(), bad.data) {
			t.Errorf("%s: kept recording differs (%d bytes, ingested %d)", bad.id, kept.Len(), len(bad.data))
		}
	}
	// Hostile messages straight onto the queue, as a misbehaving telephony
	// integration could publish: a call nobody stored audio for, and
	// metadata whose ID does not match its subject.
	ghosts := map[string]string{
		"ghost-0001": `{"id":"ghost-0001","started_at":"2026-11-24T09:00:00Z","recording_consent":true}`,
		"ghost-0002": `{"id":"someone-else","started_at":"2026-11-24T09:00:00Z","recording_consent":true}`,
	}
	for id, body := range ghosts {
		if _, err := client.JetStream().Publish(ctx, pipeline.SubjectRecorded(id), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	for id, why := range map[string]string{"ghost-0001": "recording not found", "ghost-0002": "does not match"} {
		deadline := time.Now().Add(time.Minute)
		f, err := client.Failure(ctx, id)
		for err != nil && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			f, err = client.Failure(ctx, id)
		}
		if err != nil || f.Kind != pipeline.KindInvalid || !strings.Contains(f.Reason, why) {
			t.Errorf("%s: dead letter %+v, %v; want invalid, naming %q", id, f, err, why)
		}
	}

	if st := waitSettled(t, client, "good-after-bad"); st.State != pipeline.StateTranscribed {
		t.Fatalf("the good call after the bad ones: state %s (%s)", st.State, st.Reason)
	}
	t.Logf("%d kinds of bad recording and %d hostile queue messages parked with their reasons; the worker carried on", len(corpus), len(ghosts))
}

// Bad metadata is refused at the door with a specific error, before any
// audio is stored.
func TestBadMetadataIsRefusedAtIngest(t *testing.T) {
	cases := []struct{ name, json, why string }{
		{"malformed", `{"id": "call-1", `, "decode JSON"},
		{"unknown-field", `{"id":"call-1","started_at":"2026-11-24T09:00:00Z","recording_consent":true,"recordingconsent":false}`, "unknown field"},
		{"no-consent", `{"id":"call-1","started_at":"2026-11-24T09:00:00Z"}`, "recording_consent"},
		{"path-trick", `{"id":"../../etc/passwd","started_at":"2026-11-24T09:00:00Z","recording_consent":true}`, "id"},
		{"subject-wildcard", `{"id":"calls.>","started_at":"2026-11-24T09:00:00Z","recording_consent":true}`, "id"},
		{"oversized-field", `{"id":"call-1","started_at":"2026-11-24T09:00:00Z","recording_consent":true,"line":"` + strings.Repeat("x", 5000) + `"}`, "line"},
		{"bad-nhs-number", `{"id":"call-1","started_at":"2026-11-24T09:00:00Z","recording_consent":true,"nhs_number":"1234567890"}`, "check digit"},
		{"control-chars", `{"id":"call-1","started_at":"2026-11-24T09:00:00Z","recording_consent":true,"line":"a\u001b[31mb"}`, "control character"},
		{"no-start-time", `{"id":"call-1","recording_consent":true}`, "started_at"},
		{"trailing-data", `{"id":"call-1","started_at":"2026-11-24T09:00:00Z","recording_consent":true} {"id":"x"}`, "after the JSON"},
		{"huge", `{"id":"call-1","line":"` + strings.Repeat("y", 70000) + `"}`, "larger than"},
	}
	for _, c := range cases {
		_, err := pipeline.ParseCallMeta(strings.NewReader(c.json))
		if !errors.Is(err, pipeline.ErrInvalidCall) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: got %v, want ErrInvalidCall naming %q", c.name, err, c.why)
		}
	}
}
