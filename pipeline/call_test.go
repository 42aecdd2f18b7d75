package pipeline_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/pipeline"
)

func TestParseCallMeta(t *testing.T) {
	const good = `{"id":"C-2026-03-02_0001","started_at":"2026-03-02T09:15:00Z","line":"spa-main",
		"handler_id":"h-042","caller_number":"07700900123","nhs_number":"9434765919",
		"recording_consent":true,"channel_speakers":["handler","caller"]}`
	m, err := pipeline.ParseCallMeta(strings.NewReader(good))
	if err != nil {
		t.Fatalf("valid record rejected: %v", err)
	}
	if m.ID != "C-2026-03-02_0001" || !m.RecordingConsent || len(m.ChannelSpeakers) != 2 || m.StartedAt.IsZero() {
		t.Errorf("parsed %+v", m)
	}

	objected, err := pipeline.ParseCallMeta(strings.NewReader(`{"id":"c1","started_at":"2026-03-02T09:15:00Z","recording_consent":false}`))
	if err != nil || objected.RecordingConsent {
		t.Errorf("explicit objection: %+v, %v", objected, err)
	}

	bad := map[string]string{
		"unknown field (typo)":   `{"id":"c1","started_at":"2026-03-02T09:15:00Z","recording_consnt":true}`,
		"consent missing":        `{"id":"c1","started_at":"2026-03-02T09:15:00Z"}`,
		"trailing data":          `{"id":"c1","started_at":"2026-03-02T09:15:00Z","recording_consent":true} {}`,
		"not JSON":               `id=c1`,
		"started_at missing":     `{"id":"c1","recording_consent":true}`,
		"dot in id":              `{"id":"c.1","started_at":"2026-03-02T09:15:00Z","recording_consent":true}`,
		"wildcard id":            `{"id":"c*","started_at":"2026-03-02T09:15:00Z","recording_consent":true}`,
		"tail wildcard id":       `{"id":">","started_at":"2026-03-02T09:15:00Z","recording_consent":true}`,
		"path id":                `{"id":"../etc","started_at":"2026-03-02T09:15:00Z","recording_consent":true}`,
		"leading dash id":        `{"id":"-rf","started_at":"2026-03-02T09:15:00Z","recording_consent":true}`,
		"space in id":            `{"id":"c 1","started_at":"2026-03-02T09:15:00Z","recording_consent":true}`,
		"empty id":               `{"id":"","started_at":"2026-03-02T09:15:00Z","recording_consent":true}`,
		"id too long":            `{"id":"` + strings.Repeat("a", 129) + `","started_at":"2026-03-02T09:15:00Z","recording_consent":true}`,
		"NHS number checksum":    `{"id":"c1","started_at":"2026-03-02T09:15:00Z","recording_consent":true,"nhs_number":"9434765918"}`,
		"NHS number with spaces": `{"id":"c1","started_at":"2026-03-02T09:15:00Z","recording_consent":true,"nhs_number":"943 476 5919"}`,
		"control char":           `{"id":"c1","started_at":"2026-03-02T09:15:00Z","recording_consent":true,"handler_id":"h\n42"}`,
		"caller number too long": `{"id":"c1","started_at":"2026-03-02T09:15:00Z","recording_consent":true,"caller_number":"` + strings.Repeat("1", 33) + `"}`,
		"empty speaker":          `{"id":"c1","started_at":"2026-03-02T09:15:00Z","recording_consent":true,"channel_speakers":["handler",""]}`,
		"oversized":              `{"id":"c1","started_at":"2026-03-02T09:15:00Z","recording_consent":true,"line":"` + strings.Repeat("x", pipeline.MaxCallMetaBytes) + `"}`,
	}
	for name, in := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := pipeline.ParseCallMeta(strings.NewReader(in))
			if !errors.Is(err, pipeline.ErrInvalidCall) {
				t.Fatalf("got %v, want ErrInvalidCall", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	m := pipeline.CallMeta{ID: "a.b", NHSNumber: "123"}
	err := m.Validate()
	for _, want := range []string{"id", "started_at", "nhs_number"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("corrupt WAV")
	p := pipeline.Permanent(base)
	if !pipeline.IsPermanent(p) || !errors.Is(p, base) {
		t.Errorf("Permanent(%v) = %v: IsPermanent %v, Is base %v", base, p, pipeline.IsPermanent(p), errors.Is(p, base))
	}
	wrapped := errors.Join(errors.New("decode"), p)
	if !pipeline.IsPermanent(wrapped) {
		t.Error("wrapping hides Permanent")
	}
	if pipeline.IsPermanent(base) || pipeline.Permanent(nil) != nil {
		t.Error("plain error counted as permanent, or Permanent(nil) not nil")
	}
}
