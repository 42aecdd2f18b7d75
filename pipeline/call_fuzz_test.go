package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseCallMeta feeds arbitrary bytes to the metadata parser the
// telephony integration and `callscribe ingest -meta` use. It must never
// panic; it either rejects the input with ErrInvalidCall or returns metadata
// that validates, whose ID is safe as a subject token and object name, and
// that survives a JSON round trip unchanged.
func FuzzParseCallMeta(f *testing.F) {
	for _, seed := range []string{
		`{"id":"call-0001","started_at":"2026-11-24T09:00:00Z","line":"spa-main","handler_id":"h42","caller_number":"+441134960000","nhs_number":"9434765919","recording_consent":true,"channel_speakers":["handler","caller"]}`,
		`{"id":"call-0002","started_at":"2026-11-24T09:00:00Z","recording_consent":false}`,
		`{"id":"../../etc/passwd","started_at":"2026-11-24T09:00:00Z","recording_consent":true}`,
		`{"id":"calls.>","started_at":"2026-11-24T09:00:00Z","recording_consent":true}`,
		`{"id":"call-3","started_at":"2026-11-24T09:00:00Z","recording_consent":true,"recordingconsent":false}`,
		`{"id":"call-4","started_at":"2026-11-24T09:00:00Z"}`,
		`{"id":"call-5","started_at":"2026-11-24T09:00:00Z","recording_consent":true}{"id":"x"}`,
		`{"id":"call-6","started_at":"not a time","recording_consent":true}`,
		`{"id":"call-7","started_at":"2026-11-24T09:00:00Z","nhs_number":"1234567890","recording_consent":true}`,
		`{"id":"call-8","started_at":"2026-11-24T09:00:00Z","line":"\u0000\u001b[31m","recording_consent":true}`,
		`[]`, `null`, ``, `{`, `{"id":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseCallMeta(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrInvalidCall) {
				t.Fatalf("rejection does not wrap ErrInvalidCall: %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted metadata does not validate: %v", err)
		}
		if !ValidID(m.ID) {
			t.Fatalf("accepted unsafe ID %q", m.ID)
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseCallMeta(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if again.ID != m.ID || !again.StartedAt.Equal(m.StartedAt) || again.RecordingConsent != m.RecordingConsent || again.NHSNumber != m.NHSNumber {
			t.Fatalf("round trip changed the metadata: %+v -> %+v", m, again)
		}
	})
}
