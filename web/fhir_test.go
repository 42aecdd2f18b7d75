package web_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/fhirtest"
	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/record"
	"github.com/callscribe/callscribe/review"
)

// link is the network path to the FHIR server: a reverse proxy that can be
// cut (every request answered by a dropped connection). It is a TEST DOUBLE
// for an outage only; the server behind it is a real HAPI FHIR JPA server.
type link struct {
	down     atomic.Bool
	requests atomic.Int32
	srv      *httptest.Server
}

func newLink(t *testing.T, target string) *link {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l := &link{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.requests.Add(1)
		if l.down.Load() {
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
			return
		}
		proxy.ServeHTTP(w, r) // joins the target's path (/fhir/) with the request's
	}))
	t.Cleanup(l.srv.Close)
	return l
}

// TestRecordsReachAFHIRServer confirms and amends calls through the review
// UI with a real HAPI FHIR JPA server as the record system: the records
// are accepted, a repeat creates nothing, they are found by NHS number and
// by call identifier with their text byte for byte; a patient the server
// does not know is reported on the item; and an outage is retried, after
// a restart, until the record is delivered.
func TestRecordsReachAFHIRServer(t *testing.T) {
	hapi := fhirtest.New(t)
	net := newLink(t, hapi.Base+"/")
	ns := fhirtest.Namespace(t)
	clk := testenv.NewClock(time.Now())
	var cfg review.Config
	e := newEnvWith(t, func(c *review.Config) {
		c.IDs, c.FHIRServer, c.Now = ns, &record.Poster{BaseURL: net.srv.URL}, clk.Now
		cfg = *c
	})
	var clinical []string
	nhs := map[string]string{}
	for _, dc := range devCalls {
		if e.calls[dc.id] == string(classify.Clinical) {
			clinical = append(clinical, dc.id)
			nhs[dc.id] = dc.nhs
		}
	}
	sort.Strings(clinical)
	if len(clinical) < 3 {
		t.Fatalf("need 3 clinical dev calls, have %v", clinical)
	}
	// The amended call's record meets an outage on its way.
	asIs, amend, unknown := clinical[0], clinical[1], clinical[2]
	// The trust's record system knows every patient but one; the unknown
	// one is never registered, so reruns against the same server agree.
	for _, id := range []string{asIs, amend} {
		hapi.RegisterPatient(t, nhs[id])
	}
	doc := e.login(t, "dr.khan", clinicianPW)
	ctx := context.Background()
	confirm := func(id string, form url.Values) {
		t.Helper()
		form.Set("csrf", doc.csrf)
		form.Set("clarified", "yes")
		if r := doc.post("/calls/"+id+"/confirm", form); r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusAccepted {
			t.Fatalf("confirm %s: %d", id, r.StatusCode)
		}
	}
	find := func(id string) fhirtest.Found {
		return hapi.Search(t, "DocumentReference?identifier="+url.QueryEscape(ns.RecordSystem())+"|"+id)
	}

	// As transcribed.
	confirm(asIs, url.Values{})
	check := func(id string) {
		t.Helper()
		it, _ := e.store.Get(ctx, id)
		if !it.Record.Posted || len(it.Record.Locations) == 0 {
			t.Fatalf("%s not delivered: %+v", id, it.Record)
		}
		want := it.AmendedText
		if want == "" {
			res, _ := e.c.Result(ctx, id)
			want = review.TranscriptText(res.Transcript)
		}
		byNHS := hapi.Search(t, "DocumentReference?patient.identifier="+url.QueryEscape(record.NHSNumberSystem)+"|"+nhs[id]+
			"&identifier="+url.QueryEscape(ns.RecordSystem())+"|&status=current")
		byCall := find(id)
		if byNHS.Total != 1 || byCall.Total != 1 || byNHS.Resources[0]["id"] != byCall.Resources[0]["id"] {
			t.Fatalf("%s: by NHS number %d, by call identifier %d", id, byNHS.Total, byCall.Total)
		}
		data := byCall.Resources[0]["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)["data"].(string)
		if text, _ := base64.StdEncoding.DecodeString(data); string(text) != want {
			t.Fatalf("%s: attachment read back differs from the text confirmed", id)
		}
		t.Logf("%s: %s, found by NHS number and call identifier", id, strings.Join(it.Record.Locations, " "))
	}
	check(asIs)

	// The same confirm posted again creates nothing.
	it, _ := e.store.Get(ctx, asIs)
	bundle, err := e.store.Bundle(ctx, it)
	if err != nil {
		t.Fatal(err)
	}
	docs, provs := hapi.Count(t, "DocumentReference"), hapi.Count(t, "Provenance")
	again, err := cfg.FHIRServer.Post(ctx, bundle)
	if err != nil || again.Created != 0 || hapi.Count(t, "DocumentReference") != docs || hapi.Count(t, "Provenance") != provs {
		t.Fatalf("repeat: %+v, err %v", again, err)
	}

	// A patient the record system does not know: reported, nothing orphaned.
	confirm(unknown, url.Values{})
	page := doc.get("/calls/"+unknown, http.StatusOK)
	it, _ = e.store.Get(ctx, unknown)
	if !strings.Contains(page, "Patient not found in the record system") || it.Record.PostFailure != review.FailurePatientNotFound || find(unknown).Total != 0 {
		t.Fatalf("unknown patient: %+v", it.Record)
	}

	// The server cannot be reached when a clinician amends and confirms:
	// kept, retried with back-off, and delivered by a store opened afresh
	// (a restart) once it is back.
	net.down.Store(true)
	confirm(amend, url.Values{"text": {"Caller describes low mood and poor sleep since a medication change; advised to see GP today."}})
	it, _ = e.store.Get(ctx, amend)
	if it.State != review.StateAmended || it.Record.PostFailure != review.FailureUnavailable ||
		!strings.Contains(doc.get("/calls/"+amend, http.StatusOK), "could not be reached") {
		t.Fatalf("outage: %s %+v", it.State, it.Record)
	}
	net.down.Store(false)
	restarted, err := review.Open(ctx, e.c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := net.requests.Load()
	_ = restarted.PublishPending(ctx) // the unknown patient is not due either
	if net.requests.Load() != before {
		t.Fatal("retried before its back-off")
	}
	clk.Add(31 * time.Second)
	_ = restarted.PublishPending(ctx)
	check(amend)
	machine := hapi.Search(t, "DocumentReference?identifier="+url.QueryEscape(ns.TranscriptSystem())+"|"+amend)
	if machine.Total != 1 || machine.Resources[0]["status"] != "superseded" {
		t.Fatalf("amended call's machine transcript: %+v", machine)
	}
}
