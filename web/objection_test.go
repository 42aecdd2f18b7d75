package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/pipeline"
)

// The objection form erases the call everywhere, as the command line and
// the NATS subject do; roles that do not take calls back cannot use it.
func TestObjectionFromTheCallPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.clinicalCall(t)

	dpo := e.login(t, "dpo", dpoPW)
	if r := dpo.post("/calls/"+id+"/object", url.Values{"csrf": {dpo.csrf}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("dpo objection: status %d, want 403", r.StatusCode)
	}
	adm := e.login(t, "sam", adminPW)
	if page := adm.get("/calls/"+id, http.StatusOK); !strings.Contains(page, `id="object-form"`) {
		t.Error("admin call page has no objection form")
	}
	r := adm.post("/calls/"+id+"/object", url.Values{"csrf": {adm.csrf}, "reason": {"caller asked on the call back"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin objection: status %d", r.StatusCode)
	}
	st, err := e.c.State(ctx, id)
	if err != nil || st.State != pipeline.StateObjected || st.By != "sam" {
		t.Errorf("state after objection: %+v, %v", st, err)
	}
	if _, err := e.c.Recording(ctx, id); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("recording after objection: %v", err)
	}
	if _, err := e.c.Result(ctx, id); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("transcript after objection: %v", err)
	}
	if _, err := e.store.Get(ctx, id); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("review item after objection: %v", err)
	}
	adm.get("/calls/"+id, http.StatusNotFound)
}
