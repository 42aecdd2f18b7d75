package call_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/call"
)

// TestMetadataRefusesInvisibleCharacters plays the spoofing attack from
// issue 12: a line name with a right-to-left override (rendered on the
// review page as something else) and other characters that are not drawn
// but change what a value reads as. Each is refused with an error naming
// the field and the code point, whether the metadata comes as JSON (ingest
// -meta) or is built in code.
func TestMetadataRefusesInvisibleCharacters(t *testing.T) {
	attacks := []struct{ name, value, code string }{
		{"right-to-left override", "niam-aps\u202e", "U+202E"},
		{"zero-width space", "spa\u200bmain", "U+200B"},
		{"left-to-right isolate", "\u2066spa-main", "U+2066"},
		{"byte order mark", "\ufeffspa-main", "U+FEFF"},
		{"line separator", "spa\u2028main", "U+2028"},
		{"private use", "spa\ue000main", "U+E000"},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			meta := call.Meta{ID: "c1", StartedAt: time.Now(), Line: a.value, RecordingConsent: true}
			err := meta.Validate()
			if !errors.Is(err, call.ErrInvalid) {
				t.Fatalf("Validate: %v, want ErrInvalidCall", err)
			}
			if !strings.Contains(err.Error(), "line: ") || !strings.Contains(err.Error(), a.code) {
				t.Errorf("error %q does not name the field and %s", err, a.code)
			}
			js := `{"id":"c1","started_at":"2026-03-02T09:15:00Z","recording_consent":true,"handler_id":"` + a.value + `"}`
			if _, err := call.Parse(strings.NewReader(js)); !errors.Is(err, call.ErrInvalid) {
				t.Fatalf("ParseCallMeta: %v, want ErrInvalidCall", err)
			}
		})
	}
	// Positive control: visible non-ASCII text (accents, Welsh, an en dash)
	// is still accepted.
	ok := call.Meta{ID: "c1", StartedAt: time.Now(), Line: "Gŵyl – Zoë's line", HandlerID: "h-042", RecordingConsent: true}
	if err := ok.Validate(); err != nil {
		t.Fatalf("visible text refused: %v", err)
	}
}
