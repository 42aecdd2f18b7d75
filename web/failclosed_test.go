package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/web"
)

// brokenTrail is a TEST DOUBLE of the audit trail whose every append
// fails, as every append did after one junk message on audit.events.
type brokenTrail struct {
	mu    sync.Mutex
	tried []audit.Event
}

func (b *brokenTrail) Append(_ context.Context, ev audit.Event) (audit.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tried = append(b.tried, ev)
	return audit.Entry{}, errors.New("audit append: stream seq 36 holds entry 0 where entry 35 belongs (test double)")
}

// Attack: with the trail unable to append, the UI kept serving
// transcripts. Now every read of patient data is refused with 503 and a
// page that says why, and no patient data leaves. The positive control
// first: the same requests with a working trail show the data.
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

	openTrail(t, e)
	doc := e.login(t, "dr.khan", clinicianPW)
	if page := doc.get("/calls/"+id, http.StatusOK); !strings.Contains(page, words) {
		t.Fatal("control: the call page with a working trail does not show the transcript")
	}
	if body := doc.get("/calls/"+id+"/audio", http.StatusOK); !strings.HasPrefix(body, "RIFF") {
		t.Fatal("control: the audio with a working trail is not a WAV")
	}
	if page := doc.get("/", http.StatusOK); !strings.Contains(page, id) {
		t.Fatal("control: the queue with a working trail does not list the call")
	}

	broken := &brokenTrail{}
	e.web = e.serveUI(t, func(cfg *web.Config, _ string) { cfg.Audit = broken })
	doc = e.loginBroken(t, "dr.khan", clinicianPW)
	adm := e.loginBroken(t, "sam", adminPW)
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
		for _, leak := range []string{words, "RIFF", `class="segment"`, `class="call-link"`, "spa-main"} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s: refused page holds patient data %q", c.path, leak)
			}
		}
	}
	if len(broken.tried) == 0 {
		t.Fatal("the broken trail was never asked to append")
	}
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

// loginBroken signs in while the trail is broken: unlike login, it does
// not read the queue for a CSRF token, as the queue is refused too.
func (e *env) loginBroken(t *testing.T, name, pw string) *user {
	t.Helper()
	u := &user{t: t, e: e, c: e.web.Client()}
	u.c.Jar, _ = cookiejar.New(nil)
	u.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tok := csrfIn(t, u.get("/login", http.StatusOK))
	if r := u.post("/login", url.Values{"csrf": {tok}, "username": {name}, "password": {pw}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", name, r.StatusCode)
	}
	return u
}
