package record

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Poster delivers record Bundles to a FHIR server as transactions. It makes
// one attempt per call and says how it failed; whoever calls it keeps the
// record and retries (package review does so durably, with back-off, on
// the review item). Retrying is safe: every entry of a record Bundle is
// idempotent.
type Poster struct {
	// BaseURL is the FHIR server's base (e.g. https://fhir.example.nhs.uk/R4).
	BaseURL string
	// Client sends the requests; a client with a 30 s timeout if nil.
	Client *http.Client
	// Header is added to every request (e.g. Authorization).
	Header http.Header
}

// How a delivery failed.
var (
	// ErrRejected: the server answered 4xx to the Bundle itself; the
	// error carries its OperationOutcome text. The same Bundle will be
	// refused again until someone changes the server or callscribe.
	ErrRejected = errors.New("FHIR server rejected the record")
	// ErrPatientNotFound: the server has no Patient with the NHS number,
	// so the record would be orphaned.
	ErrPatientNotFound = errors.New("patient not found in the record system")
	// ErrUnavailable: no usable answer (network failure, timeout, 429,
	// 5xx): try again later.
	ErrUnavailable = errors.New("FHIR server unavailable")
)

// Delivered is the server's answer to an accepted Bundle.
type Delivered struct {
	// Locations are the entries' resources as the server stored them
	// (e.g. DocumentReference/1002/_history/1), in Bundle order.
	Locations []string
	// Statuses are the entries' answers (201 Created, 200 OK), in order.
	Statuses []string
	// Created counts entries the server created (201); the rest matched
	// an existing resource (a repeat delivery).
	Created int
}

// Patients counts the server's Patients with the NHS number.
func (p *Poster) Patients(ctx context.Context, nhsNumber string) (int, error) {
	body, status, err := p.do(ctx, http.MethodGet, "/"+PatientSearch(nhsNumber)+"&_summary=count", nil)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, classify(status, body)
	}
	var b struct {
		ResourceType string `json:"resourceType"`
		Total        *int   `json:"total"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.ResourceType != "Bundle" || b.Total == nil {
		return 0, fmt.Errorf("%w: Patient search answer is not a searchset Bundle with a total", ErrUnavailable)
	}
	return *b.Total, nil
}

// CheckPatient returns nil when exactly one Patient has the NHS number,
// wrapping ErrPatientNotFound when none has and ErrRejected when several
// have (the record must not guess between them).
func (p *Poster) CheckPatient(ctx context.Context, nhsNumber string) error {
	n, err := p.Patients(ctx, nhsNumber)
	switch {
	case err != nil:
		return fmt.Errorf("find patient: %w", err)
	case n == 0:
		return ErrPatientNotFound
	case n > 1:
		return fmt.Errorf("%w: %d Patients have the NHS number", ErrRejected, n)
	}
	return nil
}

// Post sends a Bundle made by Record.Bundle once.
func (p *Poster) Post(ctx context.Context, bundle []byte) (*Delivered, error) {
	body, status, err := p.do(ctx, http.MethodPost, "", bundle)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, classify(status, body)
	}
	return transactionResponse(body)
}

func (p *Poster) do(ctx context.Context, method, path string, payload []byte) ([]byte, int, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(p.BaseURL, "/")+path, rd)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	for k, v := range p.Header {
		req.Header[k] = v
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/fhir+json; fhirVersion=4.0")
	}
	req.Header.Set("Accept", "application/fhir+json")
	c := p.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: reading the answer: %v", ErrUnavailable, err)
	}
	return body, resp.StatusCode, nil
}

// classify turns a non-200 answer into ErrUnavailable (429, 5xx: retry)
// or ErrRejected (anything else) with the OperationOutcome's text.
func classify(status int, body []byte) error {
	kind := ErrRejected
	if status == http.StatusTooManyRequests || status >= 500 {
		kind = ErrUnavailable
	}
	return &ServerError{Kind: kind, Status: status, Outcome: Outcome(body)}
}

// ServerError is a FHIR server's non-200 answer.
type ServerError struct {
	Kind    error // ErrRejected or ErrUnavailable
	Status  int   // HTTP status
	Outcome string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("%v: HTTP %d %s: %s", e.Kind, e.Status, http.StatusText(e.Status), e.Outcome)
}

func (e *ServerError) Unwrap() error { return e.Kind }

// transactionResponse reads a transaction-response Bundle: every entry
// must have a 2xx status (201 created, or 200 when a conditional create
// matched or a PUT changed nothing).
func transactionResponse(body []byte) (*Delivered, error) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Entry        []struct {
			Response struct {
				Status   string `json:"status"`
				Location string `json:"location"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.ResourceType != "Bundle" || b.Type != "transaction-response" {
		return nil, fmt.Errorf("%w: the answer is not a transaction-response Bundle", ErrRejected)
	}
	d := &Delivered{}
	for i, e := range b.Entry {
		if !strings.HasPrefix(e.Response.Status, "2") {
			return nil, fmt.Errorf("%w: entry %d: %s", ErrRejected, i, e.Response.Status)
		}
		if strings.HasPrefix(e.Response.Status, "201") {
			d.Created++
		}
		d.Locations = append(d.Locations, e.Response.Location)
		d.Statuses = append(d.Statuses, e.Response.Status)
	}
	return d, nil
}

// Outcome summarises an OperationOutcome's issues (severity, code and
// diagnostics) for the review item. It may quote what was sent (HAPI
// repeats a search URL with its NHS number), so it is shown to staff on the
// item but never logged.
func Outcome(body []byte) string {
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Severity    string `json:"severity"`
			Code        string `json:"code"`
			Diagnostics string `json:"diagnostics"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 {
		return "no OperationOutcome"
	}
	var parts []string
	for _, i := range oo.Issue {
		parts = append(parts, strings.TrimSpace(i.Severity+" "+i.Code+": "+i.Diagnostics))
	}
	return strings.Join(parts, "; ")
}
