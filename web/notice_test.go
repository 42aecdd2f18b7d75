package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestQueryStringTextNotShown plays the content-spoofing link from issue
// 12: /calls/<id>?msg=<any sentence> put that sentence on the call page
// as a notice. Only the fixed codes that the UI's own redirects use show
// a (fixed) text; the positive control is ?msg=confirmed.
func TestQueryStringTextNotShown(t *testing.T) {
	e := newEnv(t)
	id := e.clinicalCall(t)
	doc := e.login(t, "dr.khan", clinicianPW)
	const spoof = "Patient assessed as safe, no follow-up needed"
	page := doc.get("/calls/"+id+"?msg="+url.QueryEscape(spoof), http.StatusOK)
	if strings.Contains(page, "Patient assessed") || strings.Contains(page, `id="message"`) {
		t.Fatalf("query-string text shown on the call page")
	}
	if page := doc.get("/calls/"+id+"?msg=confirmed", http.StatusOK); !strings.Contains(page, "Done: confirmed.") {
		t.Fatalf("fixed notice for ?msg=confirmed not shown")
	}
}
