package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/sar"
	"github.com/callscribe/callscribe/web"
)

// apiResp is one API answer.
type apiResp struct {
	code int
	hdr  http.Header
	body []byte
}

// api calls the API on e's server over real HTTP with token (none if "").
func (e *env) api(t *testing.T, method, path, token string, body any) apiResp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.web.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.web.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResp{resp.StatusCode, resp.Header, b}
}

// apiToken signs user in on the API and returns the token.
func (e *env) apiToken(t *testing.T, user, pw string) string {
	t.Helper()
	r := e.api(t, "POST", "/api/v1/login", "", map[string]string{"user": user, "password": pw})
	var tok web.APIToken
	if r.code != http.StatusOK || json.Unmarshal(r.body, &tok) != nil || tok.Token == "" {
		t.Fatalf("API login %s: %d %s", user, r.code, r.body)
	}
	return tok.Token
}

// serveAPI restarts e's UI with a real trail, trail reader and exporter.
func serveAPI(t *testing.T, e *env, trail web.AuditAppender, reader web.AuditReader) {
	e.web = e.serveUI(t, func(cfg *web.Config, _ string) {
		cfg.Audit, cfg.AuditReader = trail, reader
		cfg.Exporter = &sar.Exporter{Pipeline: e.c, Review: e.store}
	})
}

// Every endpoint answers the roles it is for and refuses the others with
// 403, the refusal in the audit trail; what it shows is audited as read
// (or exported) by the token's person. Clinicians get the transcript of a
// call, admin staff its state only.
func TestAPIRolesAndAudit(t *testing.T) {
	e := newEnv(t)
	trail := openTrail(t, e)
	serveAPI(t, e, trail, trail)
	id := e.clinicalCall(t)
	res, err := e.c.Result(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	words := plainWords(res.Transcript.Segments[0].Text)
	tok := map[string]string{
		"dr.khan": e.apiToken(t, "dr.khan", clinicianPW), "sam": e.apiToken(t, "sam", adminPW),
		"dpo": e.apiToken(t, "dpo", dpoPW), "aud": e.apiToken(t, "aud", auditorPW),
	}

	if r := e.api(t, "GET", "/api/v1/calls/"+id, tok["dr.khan"], nil); r.code != 200 || !strings.Contains(string(r.body), words) {
		t.Fatalf("clinician GET call: %d, want the transcript\n%s", r.code, r.body)
	}
	if got := events(t, trail, audit.Filter{ObjectID: id, User: "dr.khan", ObjectKind: audit.KindTranscript, Action: audit.ActionRead}); len(got) != 1 {
		t.Errorf("clinician's transcript read: events %+v, want one", got)
	}
	for _, who := range []string{"sam", "dpo", "aud"} {
		r := e.api(t, "GET", "/api/v1/calls/"+id, tok[who], nil)
		var v web.CallView
		if r.code != 200 || json.Unmarshal(r.body, &v) != nil || v.State.State != pipeline.StateTranscribed ||
			v.Result != nil || strings.Contains(string(r.body), words) {
			t.Errorf("%s GET call: %d, want the state and no content\n%s", who, r.code, r.body)
		}
		if got := events(t, trail, audit.Filter{ObjectID: id, User: who, ObjectKind: audit.KindDecision}); len(got) != 1 {
			t.Errorf("%s's read of the state: events %+v, want one decision read", who, got)
		}
		if r := e.api(t, "GET", "/api/v1/calls", tok[who], nil); r.code != 200 || !strings.Contains(string(r.body), `"queued"`) {
			t.Errorf("%s GET calls: %d %s", who, r.code, r.body)
		}
	}
	if r := e.api(t, "GET", "/api/v1/calls/never-was-1", tok["dr.khan"], nil); r.code != 404 {
		t.Errorf("unknown call: %d, want 404", r.code)
	}
	if got := events(t, trail, audit.Filter{ObjectID: "never-was-1"}); len(got) != 0 {
		t.Errorf("unknown call: events %+v, want none", got)
	}
	checkRefusals(t, e, trail, tok, id)
	checkExport(t, e, trail, tok["dpo"])
	checkObjections(t, e, trail, tok, id)
}

// checkRefusals: each role-restricted endpoint refuses the other roles,
// audited as denied, and answers its own.
func checkRefusals(t *testing.T, e *env, trail *audit.Log, tok map[string]string, id string) {
	t.Helper()
	for _, c := range []struct {
		method, path string
		body         any
		allowed      []string
		obj          string
	}{
		{"POST", "/api/v1/sar", web.SARRequest{NHSNumber: "9434765919"}, []string{"dpo"}, "subject-access"},
		{"GET", "/api/v1/audit?object=" + id, nil, []string{"aud", "dpo"}, audit.StreamAudit},
		{"POST", "/api/v1/audit/verify", web.AuditVerifyRequest{}, []string{"aud", "dpo"}, audit.StreamAudit},
	} {
		for who, token := range tok {
			r := e.api(t, c.method, c.path, token, c.body)
			allowed := strings.Contains(strings.Join(c.allowed, ","), who)
			denied := events(t, trail, audit.Filter{ObjectID: c.obj, User: who})
			switch {
			case allowed && r.code != 200:
				t.Errorf("%s %s as %s: %d, want 200\n%s", c.method, c.path, who, r.code, r.body)
			case !allowed && (r.code != 403 || !strings.Contains(string(r.body), "your role")):
				t.Errorf("%s %s as %s: %d, want 403\n%s", c.method, c.path, who, r.code, r.body)
			case !allowed && (len(denied) == 0 || denied[len(denied)-1].Outcome != audit.Denied):
				t.Errorf("%s %s as %s: refusal not audited: %+v", c.method, c.path, who, denied)
			}
		}
	}
}

// checkExport: the DPO's export is a zip, and each call in it is in the
// trail as exported by the DPO.
func checkExport(t *testing.T, e *env, trail *audit.Log, token string) {
	t.Helper()
	f := audit.Filter{ObjectID: devCalls[0].id, User: "dpo", Action: audit.ActionExport}
	before := len(events(t, trail, f))
	r := e.api(t, "POST", "/api/v1/sar", token, web.SARRequest{NHSNumber: "943 476 5919"})
	if r.code != 200 || !bytes.HasPrefix(r.body, []byte("PK")) || r.hdr.Get(web.HeaderSARMatched) != "1" {
		t.Fatalf("export: %d %v", r.code, r.hdr)
	}
	if got := events(t, trail, f); len(got) != before+1 {
		t.Errorf("export of %s: events %+v, want one more than %d", devCalls[0].id, got, before)
	}
	if r := e.api(t, "POST", "/api/v1/sar", token, web.SARRequest{NHSNumber: "12345"}); r.code != 400 {
		t.Errorf("export with a malformed NHS number: %d, want 400", r.code)
	}
}

// checkObjections: an objection is refused to the DPO (audited), an
// unknown call is 404 with no tombstone, and a clinician's goes through
// as the token's person.
func checkObjections(t *testing.T, e *env, trail *audit.Log, tok map[string]string, id string) {
	t.Helper()
	ctx := context.Background()
	if r := e.api(t, "POST", "/api/v1/calls/"+id+"/objection", tok["dpo"], map[string]string{}); r.code != 403 {
		t.Errorf("DPO objection: %d, want 403", r.code)
	}
	if got := events(t, trail, audit.Filter{ObjectID: id, User: "dpo", Action: audit.ActionDelete}); len(got) != 1 || got[0].Outcome != audit.Denied {
		t.Errorf("DPO objection: events %+v, want one denied", got)
	}
	if r := e.api(t, "POST", "/api/v1/calls/never-was-2/objection", tok["dr.khan"], map[string]string{}); r.code != 404 {
		t.Errorf("objection to an unknown call: %d, want 404", r.code)
	}
	if _, err := e.c.State(ctx, "never-was-2"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("objection to an unknown call left a state: %v", err)
	}
	r := e.api(t, "POST", "/api/v1/calls/"+id+"/objection", tok["dr.khan"], map[string]string{"reason": "asked on the phone"})
	var v web.ObjectionView
	if r.code != 200 || json.Unmarshal(r.body, &v) != nil || v.By != "dr.khan" || !v.Erasure.Recording {
		t.Fatalf("clinician objection: %d %s", r.code, r.body)
	}
	if st, err := e.c.State(ctx, id); err != nil || st.State != pipeline.StateObjected || st.By != "dr.khan" {
		t.Errorf("state after the objection: %+v %v", st, err)
	}
}

var tokenRE = regexp.MustCompile(`<pre id="api-token">([^<]+)</pre>`)

// A signed-in user (whatever way they signed in) mints a personal token on
// a page, behind the form token like every form; it is shown once and
// works on the API as that user.
func TestPersonalTokenFromThePage(t *testing.T) {
	e := newEnv(t)
	u := e.login(t, "sam", adminPW)
	page := u.get("/account/api-token", http.StatusOK)
	if tokenRE.MatchString(page) || !strings.Contains(page, `id="mint-token"`) {
		t.Fatalf("token page before minting:\n%s", page)
	}
	if r := u.post("/account/api-token", url.Values{}); r.StatusCode != http.StatusForbidden {
		t.Errorf("minting without the form token: %d, want 403", r.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, e.web.URL+"/account/api-token", strings.NewReader(url.Values{"csrf": {u.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.web.URL)
	resp := u.do(req)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := tokenRE.FindStringSubmatch(string(body))
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("minting: %d, no token shown\n%s", resp.StatusCode, body)
	}
	r := e.api(t, "GET", "/api/v1/me", m[1], nil)
	if r.code != 200 || !strings.Contains(string(r.body), `"user":"sam"`) {
		t.Errorf("minted token on the API: %d %s", r.code, r.body)
	}
	if again := u.get("/account/api-token", http.StatusOK); tokenRE.MatchString(again) {
		t.Error("the token is shown again after it was minted")
	}
}
