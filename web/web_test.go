package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/record"
	"github.com/callscribe/callscribe/review"
)

// user is a signed-in HTTP client.
type user struct {
	t    *testing.T
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) login(t *testing.T, name, pw string) *user {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := e.web.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	u := &user{t: t, e: e, c: c}
	body := u.get("/login", http.StatusOK)
	tok := csrfIn(t, body)
	resp := u.post("/login", url.Values{"csrf": {tok}, "username": {name}, "password": {pw}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", name, resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "callscribe_session" && (!ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode) {
			t.Errorf("session cookie attributes: %+v", ck)
		}
	}
	home := "/"
	if name == "cso" {
		home = "/monitoring" // the safety role sees no queue
	}
	u.csrf = csrfIn(t, u.get(home, http.StatusOK))
	return u
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfIn(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in page")
	}
	return m[1]
}

func (u *user) do(req *http.Request) *http.Response {
	u.t.Helper()
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

func (u *user) get(path string, want int) string {
	u.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u.e.web.URL+path, nil)
	resp := u.do(req)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		u.t.Fatalf("GET %s: status %d, want %d\n%s", path, resp.StatusCode, want, b)
	}
	return string(b)
}

func (u *user) post(path string, form url.Values) *http.Response {
	u.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u.e.web.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", u.e.web.URL)
	resp := u.do(req)
	resp.Body.Close()
	return resp
}

func TestLoginRefusesWrongPassword(t *testing.T) {
	e := newEnv(t)
	u := &user{t: t, e: e, c: e.web.Client()}
	jar, _ := cookiejar.New(nil)
	u.c.Jar = jar
	tok := csrfIn(t, u.get("/login", http.StatusOK))
	if r := u.post("/login", url.Values{"csrf": {tok}, "username": {"dr.khan"}, "password": {"wrong"}}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.StatusCode)
	}
	if r := u.post("/login", url.Values{"csrf": {"forged"}, "username": {"dr.khan"}, "password": {clinicianPW}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("login CSRF: %d", r.StatusCode)
	}
	// Not signed in: pages redirect, audio is refused.
	u.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	u.get("/", http.StatusSeeOther)
	u.get("/calls/call-0003/audio", http.StatusUnauthorized)
}

func TestClinicianConfirmPublishesFHIR(t *testing.T) {
	e := newEnv(t)
	id := e.clinicalCall(t)
	doc := e.login(t, "dr.khan", clinicianPW)

	page := doc.get("/calls/"+id, http.StatusOK)
	for _, want := range []string{`<audio id="player"`, `class="segment"`, `<mark class="hit hit-clinical"`, `id="clarified"`} {
		if !strings.Contains(page, want) {
			t.Errorf("proposal page lacks %s", want)
		}
	}
	// No CSRF token: refused.
	if r := doc.post("/calls/"+id+"/confirm", url.Values{"clarified": {"yes"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("confirm without CSRF: %d", r.StatusCode)
	}
	// Not clarified: refused with the reason, nothing changes.
	if r := doc.post("/calls/"+id+"/confirm", url.Values{"csrf": {doc.csrf}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("confirm without clarified: %d", r.StatusCode)
	}
	if r := doc.post("/calls/"+id+"/confirm", url.Values{"csrf": {doc.csrf}, "clarified": {"yes"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", r.StatusCode)
	}
	if r := doc.post("/calls/"+id+"/confirm", url.Values{"csrf": {doc.csrf}, "clarified": {"yes"}}); r.StatusCode != http.StatusConflict {
		t.Fatalf("second confirm: %d", r.StatusCode)
	}
	checkRecord(t, e, id, "dr.khan")

	it, err := e.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if it.State != review.StateConfirmed || !it.Record.Published || it.History[len(it.History)-2].Actor.ID != "dr.khan" {
		t.Fatalf("item after confirm: %+v", it)
	}
	// Transcript text never reaches the logs.
	res, _ := e.c.Result(context.Background(), id)
	for _, s := range res.Transcript.Segments {
		if len(s.Text) > 20 && strings.Contains(e.logs.String(), s.Text) {
			t.Fatalf("transcript text logged: %q", s.Text)
		}
	}
}

// checkRecord reads the Bundle published for id on records.confirmed.<id>
// and validates it against the R4 structure.
func checkRecord(t *testing.T, e *env, id, clinician string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	s, err := e.c.JetStream().Stream(ctx, review.StreamRecords)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(ctx, review.SubjectConfirmed(id))
	if err != nil {
		t.Fatalf("no record on %s: %v", review.SubjectConfirmed(id), err)
	}
	if err := record.Validate(m.Data); err != nil {
		t.Fatalf("record does not validate: %v\n%s", err, m.Data)
	}
	for _, want := range []string{`"resourceType":"DocumentReference"`, `"resourceType":"Provenance"`, record.NHSNumberSystem, `"value":"` + clinician + `"`} {
		if !bytes.Contains(m.Data, []byte(want)) {
			t.Errorf("record lacks %s", want)
		}
	}
	info, _ := s.Info(ctx)
	if info.State.Msgs != 1 {
		t.Errorf("%d records on %s, want 1", info.State.Msgs, review.StreamRecords)
	}
	return m.Data
}

func TestAudioRangeRequests(t *testing.T) {
	e := newEnv(t)
	id := e.clinicalCall(t)
	doc := e.login(t, "dr.khan", clinicianPW)
	wav, err := os.ReadFile(filepath.Join(testenv.Shared(t, "calls/dev"), id+".wav"))
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range []struct {
		header     string
		start, end int
	}{{"bytes=0-99", 0, 100}, {"bytes=40000-40999", 40000, 41000}, {"bytes=100-199", 100, 200}, {"bytes=-10", len(wav) - 10, len(wav)}} {
		req, _ := http.NewRequest(http.MethodGet, e.web.URL+"/calls/"+id+"/audio", nil)
		req.Header.Set("Range", rg.header)
		resp := doc.do(req)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(b, wav[rg.start:rg.end]) {
			t.Fatalf("Range %s: status %d, %d bytes, match %v", rg.header, resp.StatusCode, len(b), bytes.Equal(b, wav[rg.start:rg.end]))
		}
	}
	whole := doc.get("/calls/"+id+"/audio", http.StatusOK)
	if whole != string(wav) {
		t.Fatal("whole recording differs")
	}
}

func TestAdminSeesNoClinicalContent(t *testing.T) {
	e := newEnv(t)
	id := e.clinicalCall(t)
	adm := e.login(t, "sam", adminPW)
	queue := adm.get("/", http.StatusOK)
	if !strings.Contains(queue, id) {
		t.Fatalf("admin queue lacks %s", id)
	}
	page := adm.get("/calls/"+id, http.StatusOK)
	res, _ := e.c.Result(context.Background(), id)
	for _, s := range res.Transcript.Segments {
		if strings.Contains(page, s.Text) {
			t.Fatalf("admin page shows transcript text %q", s.Text)
		}
	}
	for _, banned := range []string{"<audio", "/audio", "9434765", `class="segment"`} {
		if strings.Contains(page, banned) {
			t.Errorf("admin page contains %q", banned)
		}
	}
	adm.get("/calls/"+id+"/audio", http.StatusForbidden)
	if r := adm.post("/calls/"+id+"/confirm", url.Values{"csrf": {adm.csrf}, "clarified": {"yes"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("admin confirm: %d", r.StatusCode)
	}
}

func TestCrossSitePostRefused(t *testing.T) {
	e := newEnv(t)
	id := e.clinicalCall(t)
	doc := e.login(t, "dr.khan", clinicianPW)
	req, _ := http.NewRequest(http.MethodPost, e.web.URL+"/calls/"+id+"/reject",
		strings.NewReader(url.Values{"csrf": {doc.csrf}, "reason": {"x"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := doc.do(req); r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", r.StatusCode)
	}
	// Reject needs a reason; with one, not-clinical sets administrative retention.
	if r := doc.post("/calls/"+id+"/reject", url.Values{"csrf": {doc.csrf}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("reject without reason: %d", r.StatusCode)
	}
	if r := doc.post("/calls/"+id+"/reject", url.Values{"csrf": {doc.csrf}, "reason": {"booking query"}, "not_clinical": {"yes"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", r.StatusCode)
	}
	it, _ := e.store.Get(context.Background(), id)
	if it.State != review.StateRejected || it.Retention != review.RetentionAdministrative {
		t.Fatalf("%s %s", it.State, it.Retention)
	}
	// Logout ends the session.
	doc.post("/logout", url.Values{"csrf": {doc.csrf}})
	doc.get("/", http.StatusSeeOther)
}
