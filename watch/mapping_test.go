package watch_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/watch"
)

// A mapping that could silently drop recording_consent, or name a field
// that does not exist, is refused at start.
func TestWatchMappingRefusesWhatCannotWork(t *testing.T) {
	cases := map[string]string{
		`{"fields": {"CallId": "id"}}`:                                           "recording_consent",
		`{"fields": {"Consent": "recording_consent", "Q": "queue"}}`:             "not one of",
		`{"fields": {"Consent": "recording_consent"}, "time_zone": "Mars/Base"}`: "time_zone",
		`{"fields": {"Consent": "recording_consent"}, "timezone": "UTC"}`:        "unknown field",
		`{"fields": {"Consent": "recording_consent", "consent": "id"}}`:          "mapped twice",
	}
	for doc, want := range cases {
		p := filepath.Join(t.TempDir(), "map.json")
		write(t, p, []byte(doc))
		if _, err := watch.LoadMapping(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one naming %q", doc, err, want)
		}
	}
	p := filepath.Join(t.TempDir(), "map.json") // positive control
	write(t, p, []byte(`{"fields": {"Consent": "recording_consent"}, "time_zone": "Europe/London"}`))
	if _, err := watch.LoadMapping(p); err != nil {
		t.Errorf("a good mapping refused: %v", err)
	}
}
