package web_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/web"
)

// breakableReader is a TEST DOUBLE around the real trail reader: while
// trail is broken it fails as audit.Log.Query and VerifyLog do when they
// cannot record the read, before reading anything.
type breakableReader struct {
	real  web.AuditReader
	trail *breakableTrail
}

var errReadNotRecorded = errors.New("record access to the audit trail: stream seq 36 holds entry 0 where entry 35 belongs (test double)")

func (b *breakableReader) Query(ctx context.Context, a audit.Actor, f audit.Filter) ([]audit.Entry, error) {
	if b.trail.broken.Load() {
		return nil, errReadNotRecorded
	}
	return b.real.Query(ctx, a, f)
}

func (b *breakableReader) VerifyLog(ctx context.Context, a audit.Actor, o audit.VerifyOptions) (audit.Report, error) {
	if b.trail.broken.Load() {
		return audit.Report{}, errReadNotRecorded
	}
	return b.real.VerifyLog(ctx, a, o)
}

// With the trail unable to append, every API read of patient data (or of
// the trail) is refused with 503 and sends none of it, as the pages do; a
// refusal by role that cannot be audited is refused the same way. The
// same requests with the same tokens work while the trail works (the
// positive control).
func TestAPIRefusesWhenTheTrailCannotAppend(t *testing.T) {
	e := newEnv(t)
	id := e.clinicalCall(t)
	res, err := e.c.Result(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	words := plainWords(res.Transcript.Segments[0].Text)
	real := openTrail(t, e)
	trail := &breakableTrail{real: real}
	serveAPI(t, e, trail, &breakableReader{real: real, trail: trail})
	doc, dpo, aud := e.apiToken(t, "dr.khan", clinicianPW), e.apiToken(t, "dpo", dpoPW), e.apiToken(t, "aud", auditorPW)
	type call struct {
		token, method, path string
		body                any
		data                string // what the answer holds when it is allowed
	}
	calls := []call{
		{doc, "GET", "/api/v1/calls/" + id, nil, words},
		{doc, "GET", "/api/v1/calls", nil, `"queued"`},
		{dpo, "POST", "/api/v1/sar", web.SARRequest{NHSNumber: "9434765919"}, "PK"},
		{aud, "GET", "/api/v1/audit?object=" + id, nil, `"entries"`},
		{aud, "POST", "/api/v1/audit/verify", web.AuditVerifyRequest{}, `"head"`},
	}
	for _, c := range calls {
		if r := e.api(t, c.method, c.path, c.token, c.body); r.code != 200 || !bytes.Contains(r.body, []byte(c.data)) {
			t.Fatalf("control: %s %s with a working trail: %d, no %q", c.method, c.path, r.code, c.data)
		}
	}
	trail.broken.Store(true)
	calls = append(calls, call{dpo, "POST", "/api/v1/calls/" + id + "/objection", map[string]string{}, ""})
	for _, c := range calls {
		r := e.api(t, c.method, c.path, c.token, c.body)
		if r.code != 503 || !strings.Contains(string(r.body), "audit trail") {
			t.Errorf("%s %s with a broken trail: %d, want 503 saying why\n%.300s", c.method, c.path, r.code, r.body)
		}
		if c.data != "" && bytes.Contains(r.body, []byte(c.data)) || r.hdr.Get("Content-Disposition") != "" {
			t.Errorf("%s %s with a broken trail: the refusal holds the data", c.method, c.path)
		}
	}
	if trail.failed.Load() == 0 {
		t.Fatal("the broken trail was never asked to append")
	}
}
