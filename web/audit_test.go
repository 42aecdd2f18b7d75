package web_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"net/url"
	"testing"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/roles"
	"github.com/callscribe/callscribe/web"
)

// Every request on a call through the UI, allowed or refused, leaves an
// audit event naming who, as what role, did what to which object.
func TestEveryCallAccessIsAudited(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	trail, err := audit.Open(ctx, e.c, audit.Config{Signer: audit.NewSigner(key)})
	if err != nil {
		t.Fatal(err)
	}
	e.web = e.serveUI(t, func(cfg *web.Config, _ string) { cfg.Audit = trail })
	id := e.clinicalCall(t)

	clin := e.login(t, "dr.khan", clinicianPW)
	clin.get("/calls/"+id, http.StatusOK)
	clin.get("/calls/"+id+"/audio", http.StatusOK)
	adm := e.login(t, "sam", adminPW)
	adm.get("/calls/"+id, http.StatusOK)
	adm.get("/calls/"+id+"/audio", http.StatusForbidden)
	adm.post("/calls/"+id+"/confirm", url.Values{"csrf": {adm.csrf}, "clarified": {"yes"}})

	entries, err := trail.Query(ctx, audit.Actor{User: "auditor", Role: roles.Auditor}, audit.Filter{ObjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		user    string
		action  audit.Action
		kind    audit.ObjectKind
		outcome audit.Outcome
	}
	var got []ev
	for _, en := range entries {
		got = append(got, ev{en.Event.User, en.Event.Action, en.Event.Object.Kind, en.Event.Outcome})
	}
	want := []ev{
		{"dr.khan", audit.ActionRead, audit.KindTranscript, audit.Allowed},
		{"dr.khan", audit.ActionRead, audit.KindRecording, audit.Allowed},
		{"sam", audit.ActionRead, audit.KindDecision, audit.Allowed}, // admin pages show the state only
		{"sam", audit.ActionRead, audit.KindRecording, audit.Denied},
		{"sam", audit.ActionUpdate, audit.KindProposal, audit.Denied},
		{"sam", audit.ActionRead, audit.KindDecision, audit.Allowed}, // the refusal re-shows the page
	}
	if len(got) != len(want) {
		t.Fatalf("audit events %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
