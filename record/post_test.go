package record_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/record"
)

// answer is a TEST DOUBLE FHIR server that gives one fixed answer; the
// real server's answers are checked against HAPI in hapi_test.go.
func answer(status int, body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
}

func TestPostClassifiesFailures(t *testing.T) {
	oo := `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":"HAPI-0000: no"}]}`
	refused, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + refused.Addr().String()
	refused.Close()
	for _, c := range []struct {
		name   string
		status int
		body   string
		want   error
		text   string
	}{
		{"bad request", 400, oo, record.ErrRejected, "HTTP 400 Bad Request: error processing: HAPI-0000: no"},
		{"precondition", 412, oo, record.ErrRejected, "HAPI-0000"},
		{"server error", 500, oo, record.ErrUnavailable, "HTTP 500"},
		{"busy", 429, "", record.ErrUnavailable, "no OperationOutcome"},
		{"not a transaction-response", 200, `{"resourceType":"Bundle","type":"searchset"}`, record.ErrRejected, "not a transaction-response"},
		{"an entry failed", 200, `{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created"}},{"response":{"status":"400 Bad Request"}}]}`, record.ErrRejected, "entry 1"},
		{"down", 0, "", record.ErrUnavailable, "connection refused"},
	} {
		url := down
		if c.status != 0 {
			srv := answer(c.status, c.body)
			defer srv.Close()
			url = srv.URL
		}
		_, err := (&record.Poster{BaseURL: url}).Post(context.Background(), []byte(`{}`))
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: err %v, want %v with %q", c.name, err, c.want, c.text)
		}
	}
}

func TestPostCountsCreated(t *testing.T) {
	srv := answer(200, `{"resourceType":"Bundle","type":"transaction-response","entry":[`+
		`{"response":{"status":"201 Created","location":"Device/1/_history/1"}},{"response":{"status":"200 OK","location":"DocumentReference/2/_history/1"}}]}`)
	defer srv.Close()
	d, err := (&record.Poster{BaseURL: srv.URL}).Post(context.Background(), []byte(`{}`))
	if err != nil || d.Created != 1 || len(d.Locations) != 2 || d.Locations[1] != "DocumentReference/2/_history/1" {
		t.Fatalf("delivered %+v, err %v", d, err)
	}
}

func TestCheckPatient(t *testing.T) {
	for _, c := range []struct {
		total string
		want  error
	}{{"1", nil}, {"0", record.ErrPatientNotFound}, {"2", record.ErrRejected}} {
		var query string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			query = r.URL.RawQuery
			_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","total":` + c.total + `}`))
		}))
		err := (&record.Poster{BaseURL: srv.URL}).CheckPatient(context.Background(), "9434765919")
		srv.Close()
		if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("total %s: err %v, want %v", c.total, err, c.want)
		}
		if query != "identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number|9434765919&_summary=count" {
			t.Errorf("query %q", query)
		}
	}
}
