package web_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/web"
)

// The API's reads of patient data are in the trail when the first byte of
// their answer leaves: a clinician's transcript read and the DPO's export
// of each call. The check counts the events at that moment.
func TestAPIReadsAuditedBeforeTheFirstByte(t *testing.T) {
	e := newEnv(t)
	trail := openTrail(t, e)
	serveAPI(t, e, trail, trail)
	id := e.clinicalCall(t)
	checks := map[string]audit.Filter{
		"/api/v1/calls/" + id: {ObjectID: id, ObjectKind: audit.KindTranscript, User: "dr.khan", Action: audit.ActionRead},
		"/api/v1/sar":         {ObjectID: devCalls[0].id, User: "dpo", Action: audit.ActionExport},
	}
	var mu sync.Mutex
	seen := map[string]int{}
	e.web.Config.Handler = firstByteCheck(e.web.Config.Handler, func(r *http.Request) {
		f, ok := checks[r.URL.Path]
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		seen[r.URL.Path]++
		if n := len(events(t, trail, f)); n != seen[r.URL.Path] {
			t.Errorf("%s, answer %d: %d audit events when its first byte left, want %d", r.URL.Path, seen[r.URL.Path], n, seen[r.URL.Path])
		}
	})
	doc, dpo := e.apiToken(t, "dr.khan", clinicianPW), e.apiToken(t, "dpo", dpoPW)
	for range 3 {
		if r := e.api(t, "GET", "/api/v1/calls/"+id, doc, nil); r.code != 200 {
			t.Fatalf("clinician GET call: %d", r.code)
		}
		if r := e.api(t, "POST", "/api/v1/sar", dpo, web.SARRequest{NHSNumber: devCalls[0].nhs}); r.code != 200 {
			t.Fatalf("export: %d", r.code)
		}
	}
	if seen["/api/v1/calls/"+id] != 3 || seen["/api/v1/sar"] != 3 {
		t.Fatalf("checked %v, want 3 of each", seen)
	}
}
