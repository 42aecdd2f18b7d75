package web_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/web"
)

// breakableTrail is a TEST DOUBLE around the real audit trail: it appends
// to it until broken, then every append fails, as every append did after
// one junk message on audit.events.
type breakableTrail struct {
	real   web.AuditAppender
	broken atomic.Bool
	failed atomic.Int32
}

func (b *breakableTrail) Append(ctx context.Context, ev audit.Event) (audit.Entry, error) {
	if b.broken.Load() {
		b.failed.Add(1)
		return audit.Entry{}, errors.New("audit append: stream seq 36 holds entry 0 where entry 35 belongs (test double)")
	}
	return b.real.Append(ctx, ev)
}

// Attack: with the trail unable to append, the UI kept serving
// transcripts. Now every read of patient data is refused with 503 and a
// page that says why, and no patient data leaves. The positive control
// first: the same requests, on the same server and sessions, show the data
// while the trail works.
func TestReadsRefusedWhenTheTrailCannotAppend(t *testing.T) {
	e := newEnv(t)
	id := e.clinicalCall(t)
	res, err := e.c.Result(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	words := plainWords(res.Transcript.Segments[0].Text)
	if len(words) < 10 {
		t.Fatalf("first segment of %s starts with too few plain words to look for: %q", id, words)
	}
	trail := &breakableTrail{real: openTrail(t, e)}
	e.web = e.serveUI(t, func(cfg *web.Config, _ string) { cfg.Audit = trail })
	doc := ownClient(e.login(t, "dr.khan", clinicianPW))
	adm := ownClient(e.login(t, "sam", adminPW))
	if page := doc.get("/calls/"+id, http.StatusOK); !strings.Contains(page, words) {
		t.Fatal("control: the call page with a working trail does not show the transcript")
	}
	if body := doc.get("/calls/"+id+"/audio", http.StatusOK); !strings.HasPrefix(body, "RIFF") {
		t.Fatal("control: the audio with a working trail is not a WAV")
	}
	if page := doc.get("/", http.StatusOK); !strings.Contains(page, id) {
		t.Fatal("control: the queue with a working trail does not list the call")
	}
	if page := adm.get("/admin-calls", http.StatusOK); !strings.Contains(page, `class="admin-call"`) {
		t.Fatal("control: the admin calls page with a working trail lists no call")
	}

	trail.broken.Store(true)
	for _, c := range []struct {
		u    *user
		path string
	}{
		{doc, "/calls/" + id}, {doc, "/calls/" + id + "/audio"}, {doc, "/"},
		{adm, "/admin-calls"}, {adm, "/calls/" + id}, {doc, "/admin-calls"},
	} {
		body := c.u.get(c.path, http.StatusServiceUnavailable)
		if !strings.Contains(body, "audit trail is unavailable") {
			t.Errorf("GET %s: the 503 page does not say auditing is unavailable:\n%s", c.path, body)
		}
		for _, leak := range []string{words, "RIFF", `class="segment"`, `class="call-link"`, `class="admin-call"`, "spa-main"} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s: refused page holds patient data %q", c.path, leak)
			}
		}
	}
	// A range request too, and the refusal keeps none of the recording's
	// headers (length, range, digest) that http.ServeContent had set.
	req, _ := http.NewRequest(http.MethodGet, e.web.URL+"/calls/"+id+"/audio", nil)
	req.Header.Set("Range", "bytes=0-99")
	resp := doc.do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Range") != "" ||
		resp.Header.Get("ETag") != "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("range request with a broken trail: %d %v, want a 503 page with no recording headers", resp.StatusCode, resp.Header)
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("the refusal lost the security headers")
	}
	if trail.failed.Load() == 0 {
		t.Fatal("the broken trail was never asked to append")
	}
}

// ownClient gives u an HTTP client of its own: login sets its cookie jar
// on the test server's one shared client, so the next login would make
// every earlier user that user.
func ownClient(u *user) *user {
	c := *u.c
	u.c = &c
	return u
}

// plainWords is the start of a transcript segment up to its first
// character that a page would escape or split (an apostrophe, a hit), so
// it can be looked for in the HTML as it is.
func plainWords(text string) string {
	end := strings.IndexFunc(text, func(r rune) bool {
		return !(r == ' ' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
	if end < 0 {
		return text
	}
	return text[:end]
}
