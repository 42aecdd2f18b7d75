package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/transcribe"
)

// A recording cut short by the recorder, and a two-channel one with a
// silent side, say so on the call page, where the clinician weighs the
// words; a whole recording says neither (the control).
func TestCallPageSaysWhenTheRecordingIsIncomplete(t *testing.T) {
	e := newEnvDouble(t, nil, func(id string, tr *transcribe.Transcript) {
		if id == "call-0003" {
			tr.Truncated = &transcribe.Truncation{Declared: 4 * time.Minute, Present: tr.Duration}
			tr.SilentChannels = []string{"caller"}
		}
	})
	doc := e.login(t, "dr.khan", clinicianPW)
	page := doc.get("/calls/call-0003", http.StatusOK)
	for _, want := range []string{`id="truncated"`, "of the 0:04:00 it should hold", `id="silent-channels"`, "on the caller's channel"} {
		if !strings.Contains(page, want) {
			t.Errorf("call-0003's page lacks %q", want)
		}
	}
	control := doc.get("/calls/call-0005", http.StatusOK)
	if strings.Contains(control, `id="truncated"`) || strings.Contains(control, `id="silent-channels"`) {
		t.Error("a whole recording's page says it is incomplete")
	}
}
