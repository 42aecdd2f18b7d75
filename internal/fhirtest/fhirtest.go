// Package fhirtest is the tests' client for a real FHIR server (HAPI FHIR
// JPA, started by scripts/hapi.sh): it registers patients, searches, reads
// and asks the server's HL7 instance validator about a Bundle. It asserts
// nothing itself; the tests do.
package fhirtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/record"
)

// Server is a FHIR server under test.
type Server struct {
	Base string
	c    *http.Client
}

// New returns the server the tests use (testenv.FHIR): skipped when none is
// configured, failed under CI.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{Base: strings.TrimRight(testenv.FHIR(t), "/"), c: &http.Client{Timeout: time.Minute}}
	if code, body := s.Do(t, http.MethodGet, "metadata", nil); code != http.StatusOK {
		t.Fatalf("FHIR server %s: metadata answered %d: %.300s", s.Base, code, body)
	}
	return s
}

// Namespace is a fresh identifier namespace, so that reruns against the same
// server (the host run, then the whisper run) meet none of their earlier
// records.
func Namespace(t testing.TB) record.Namespace {
	return record.Namespace{Base: "https://callscribe-test.example.nhs.uk/" + Random(t, 6) + "/id"}
}

// Random is n random bytes in hex.
func Random(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// NHSNumber is a fresh number in the 999 range NHS England keeps for tests,
// so no earlier run has registered it.
func NHSNumber(t testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	n := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) % 10_000_000
	return fmt.Sprintf("999%07d", n)
}

// Do sends a request to path (relative to the base) and returns the status
// and body.
func (s *Server) Do(t testing.TB, method, path string, body []byte) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.Base+"/"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/fhir+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	resp, err := s.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// RegisterPatient makes sure the server has a Patient with the NHS number
// (a conditional create, so a rerun adds none), as the trust's patient
// administration system would have.
func (s *Server) RegisterPatient(t testing.TB, nhs string) {
	t.Helper()
	p := fmt.Sprintf(`{"resourceType":"Patient","identifier":[{"system":%q,"value":%q}],"name":[{"family":"Test","given":["Patient"]}]}`, record.NHSNumberSystem, nhs)
	req, _ := http.NewRequest(http.MethodPost, s.Base+"/Patient", strings.NewReader(p))
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Set("If-None-Exist", "identifier="+url.QueryEscape(record.NHSNumberSystem)+"|"+nhs)
	resp, err := s.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("register patient: %d", resp.StatusCode)
	}
}

// Found is a search's answer: the total and the resources.
type Found struct {
	Total     int
	Resources []map[string]any
}

// Search runs query (e.g. "DocumentReference?identifier=…") and returns
// every match (the tests' searches find a handful).
func (s *Server) Search(t testing.TB, query string) Found {
	t.Helper()
	sep := "?"
	if strings.Contains(query, "?") {
		sep = "&"
	}
	code, body := s.Do(t, http.MethodGet, query+sep+"_total=accurate&_count=100", nil)
	if code != http.StatusOK {
		t.Fatalf("search %s: %d: %.500s", query, code, body)
	}
	var b struct {
		Total int `json:"total"`
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("search %s: %v", query, err)
	}
	f := Found{Total: b.Total}
	for _, e := range b.Entry {
		f.Resources = append(f.Resources, e.Resource)
	}
	return f
}

// Count is the number of resources of a type on the server.
func (s *Server) Count(t testing.TB, resourceType string) int {
	t.Helper()
	code, body := s.Do(t, http.MethodGet, resourceType+"?_summary=count", nil)
	var b struct {
		Total int `json:"total"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &b) != nil {
		t.Fatalf("count %s: %d: %.300s", resourceType, code, body)
	}
	return b.Total
}

// Issue is one OperationOutcome issue.
type Issue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics"`
	Expression  []string `json:"expression"`
}

func (i Issue) String() string {
	return fmt.Sprintf("%s %s %v: %s", i.Severity, i.Code, i.Expression, i.Diagnostics)
}

// Validate asks the server's HL7 instance validator about a resource
// (Bundle/$validate) and returns its issues.
func (s *Server) Validate(t testing.TB, resourceType string, resource []byte) []Issue {
	t.Helper()
	_, body := s.Do(t, http.MethodPost, resourceType+"/$validate", resource)
	var oo struct {
		ResourceType string  `json:"resourceType"`
		Issue        []Issue `json:"issue"`
	}
	if err := json.Unmarshal(body, &oo); err != nil || oo.ResourceType != "OperationOutcome" {
		t.Fatalf("$validate: not an OperationOutcome: %.500s", body)
	}
	return oo.Issue
}

// Errors are the issues of severity error or fatal.
func Errors(issues []Issue) []Issue {
	var out []Issue
	for _, i := range issues {
		if i.Severity == "error" || i.Severity == "fatal" {
			out = append(out, i)
		}
	}
	return out
}
