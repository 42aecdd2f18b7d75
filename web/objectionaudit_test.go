package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/callscribe/callscribe/audit"
)

// Attack: an objection refused to the DPO and an auditor left no trace.
// Now each refusal is audited as denied, and the admin's objection that
// went through as the deletions it made.
func TestRefusedObjectionAuditedAsDenied(t *testing.T) {
	e := newEnv(t)
	trail := openTrail(t, e)
	id := e.clinicalCall(t)
	for _, who := range []struct{ name, pw string }{{"dpo", dpoPW}, {"aud", auditorPW}} {
		u := e.login(t, who.name, who.pw)
		if r := u.post("/calls/"+id+"/object", url.Values{"csrf": {u.csrf}}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("%s objection: %d, want 403", who.name, r.StatusCode)
		}
		got := events(t, trail, audit.Filter{ObjectID: id, User: who.name, Action: audit.ActionDelete})
		if len(got) != 1 || got[0].Outcome != audit.Denied || got[0].Purpose != audit.PurposeObjection {
			t.Errorf("%s's refused objection: audit events %+v, want one denied", who.name, got)
		}
	}
	adm := e.login(t, "sam", adminPW)
	if r := adm.post("/calls/"+id+"/object", url.Values{"csrf": {adm.csrf}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin objection: %d", r.StatusCode)
	}
	got := events(t, trail, audit.Filter{ObjectID: id, User: "sam", Action: audit.ActionDelete})
	if len(got) == 0 {
		t.Fatal("the admin's objection left no audit event")
	}
	for _, ev := range got {
		if ev.Outcome != audit.Allowed {
			t.Errorf("admin objection event %+v, want allowed", ev)
		}
	}
}
