package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/roles"
)

// auditorActor reads the trail in these tests.
var auditorActor = audit.Actor{User: "auditor", Role: roles.Auditor}

// events returns the trail's events that f matches.
func events(t *testing.T, trail *audit.Log, f audit.Filter) []audit.Event {
	t.Helper()
	entries, err := trail.Query(context.Background(), auditorActor, f)
	if err != nil {
		t.Fatalf("audit query: %v", err)
	}
	var out []audit.Event
	for _, en := range entries {
		out = append(out, en.Event)
	}
	return out
}

// firstByteCheck wraps the UI's handler so that, when a response's first
// byte (its status line) is about to leave, check runs: what the trail
// holds at that moment is what was audited before any data was sent.
func firstByteCheck(next http.Handler, check func(r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&firstByte{ResponseWriter: w, check: func() { check(r) }}, r)
	})
}

type firstByte struct {
	http.ResponseWriter
	check func()
	done  bool
}

func (f *firstByte) WriteHeader(code int) {
	if !f.done {
		f.done = true
		f.check()
	}
	f.ResponseWriter.WriteHeader(code)
}

func (f *firstByte) Write(p []byte) (int, error) {
	if !f.done {
		f.WriteHeader(http.StatusOK)
	}
	return f.ResponseWriter.Write(p)
}

// Attack: 10 audio downloads left 4 audit events, because the event was
// appended after the response, with the request's (by then cancelled)
// context. Now each download's event is in the trail before the first byte
// of the response leaves, whole file or range alike.
func TestEveryAudioDownloadAuditedBeforeTheFirstByte(t *testing.T) {
	e := newEnv(t)
	trail := openTrail(t, e)
	id := e.clinicalCall(t)
	audioPath := "/calls/" + id + "/audio"
	recorded := audit.Filter{ObjectID: id, ObjectKind: audit.KindRecording, User: "dr.khan"}

	var mu sync.Mutex
	requests, short := 0, 0
	e.web.Config.Handler = firstByteCheck(e.web.Config.Handler, func(r *http.Request) {
		if r.URL.Path != audioPath {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		requests++
		if n := len(events(t, trail, recorded)); n != requests {
			short++
			t.Errorf("download %d: %d audit events when its first byte left, want %d", requests, n, requests)
		}
	})
	doc := e.login(t, "dr.khan", clinicianPW)
	const downloads = 10
	for i := 0; i < downloads; i++ {
		req, _ := http.NewRequest(http.MethodGet, e.web.URL+audioPath, nil)
		want := http.StatusOK
		if i%2 == 1 {
			req.Header.Set("Range", "bytes=1000-1999")
			want = http.StatusPartialContent
		}
		resp := doc.do(req)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || len(body) == 0 {
			t.Fatalf("download %d: status %d, %d bytes; want %d with audio", i, resp.StatusCode, len(body), want)
		}
	}
	if requests != downloads {
		t.Fatalf("checked %d downloads, want %d", requests, downloads)
	}
	got := events(t, trail, recorded)
	if len(got) != downloads {
		t.Fatalf("%d downloads left %d audit events", downloads, len(got))
	}
	for i, ev := range got {
		if ev.Action != audit.ActionRead || ev.Outcome != audit.Allowed || ev.Role != "clinician" {
			t.Errorf("event %d: %+v, want an allowed read by a clinician", i, ev)
		}
	}
}

// Attack: a confirm that failed with 409 was recorded as allowed. Now the
// trail says what happened: the first confirm allowed, the second failed.
func TestFailedActionAuditedAsFailed(t *testing.T) {
	e := newEnv(t)
	trail := openTrail(t, e)
	id := e.clinicalCall(t)
	doc := e.login(t, "dr.khan", clinicianPW)
	if r := doc.post("/calls/"+id+"/confirm", url.Values{"csrf": {doc.csrf}, "clarified": {"yes"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", r.StatusCode)
	}
	if r := doc.post("/calls/"+id+"/confirm", url.Values{"csrf": {doc.csrf}, "clarified": {"yes"}}); r.StatusCode != http.StatusConflict {
		t.Fatalf("second confirm: %d, want 409", r.StatusCode)
	}
	got := events(t, trail, audit.Filter{ObjectID: id, Action: audit.ActionUpdate})
	if len(got) != 2 {
		t.Fatalf("audit events %+v, want 2", got)
	}
	if got[0].Outcome != audit.Allowed {
		t.Errorf("confirm that succeeded: outcome %s, want allowed", got[0].Outcome)
	}
	if got[1].Outcome != audit.Failed || got[1].Reason == "" {
		t.Errorf("confirm that failed with 409: %+v, want outcome failed with a reason", got[1])
	}
	// The 409 answers with the call page and its transcript: a read too.
	// The confirm that succeeded redirects, and shows nothing.
	reads := events(t, trail, audit.Filter{ObjectID: id, Action: audit.ActionRead})
	if len(reads) != 1 || reads[0].Object.Kind != audit.KindTranscript || reads[0].Outcome != audit.Allowed {
		t.Errorf("reads after a confirm and a 409: %+v, want the one transcript the 409 page showed", reads)
	}
}

// Attack: the queue page was not audited. Now every showing of it is a
// read in the trail (signing in shows it once), before it is sent.
func TestQueueReadAudited(t *testing.T) {
	e := newEnv(t)
	trail := openTrail(t, e)
	doc := e.login(t, "dr.khan", clinicianPW)
	doc.get("/?state=proposed", http.StatusOK)
	got := events(t, trail, audit.Filter{ObjectID: "review-queue", User: "dr.khan"})
	if len(got) != 2 {
		t.Fatalf("queue shown twice, audit events %+v", got)
	}
	for _, ev := range got {
		if ev.Action != audit.ActionRead || ev.Outcome != audit.Allowed {
			t.Errorf("queue event %+v, want an allowed read", ev)
		}
	}
}
