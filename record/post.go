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

// Poster sends record Bundles to a FHIR server's base URL as transactions.
// Repeats are harmless: the DocumentReference is a conditional create on
// the record identifier and the Provenance one on its source recording, so
// a retry after a lost response creates nothing new.
type Poster struct {
	// BaseURL is the FHIR server's base (e.g. https://fhir.example.nhs.uk/R4).
	BaseURL string
	// Client sends the requests; http.DefaultClient with a 30 s timeout if nil.
	Client *http.Client
	// Attempts per Post (at least 1); 0 means 4.
	Attempts int
	// Backoff before the second attempt, doubled each time; 0 means 1 s.
	Backoff time.Duration
	// Header is added to every request (e.g. Authorization).
	Header http.Header
}

// ErrRejected wraps a 4xx answer: the server refused the Bundle itself, so
// retrying the same Bundle will not help.
var ErrRejected = errors.New("FHIR server rejected the record")

// Post sends a Bundle made by Record.Bundle, retrying network failures, 429
// and 5xx answers with exponential back-off.
func (p *Poster) Post(ctx context.Context, bundle []byte) error {
	attempts, backoff := p.Attempts, p.Backoff
	if attempts <= 0 {
		attempts = 4
	}
	if backoff <= 0 {
		backoff = time.Second
	}
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("post record: %w (last failure: %v)", ctx.Err(), err)
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		err = p.once(ctx, bundle)
		if err == nil || errors.Is(err, ErrRejected) {
			return err
		}
	}
	return fmt.Errorf("post record: %d attempts: %w", attempts, err)
}

func (p *Poster) once(ctx context.Context, bundle []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(p.BaseURL, "/"), bytes.NewReader(bundle))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	for k, v := range p.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/fhir+json; fhirVersion=4.0")
	req.Header.Set("Accept", "application/fhir+json")
	c := p.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated:
		return checkResponse(body)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("FHIR server answered %s", resp.Status)
	default:
		return fmt.Errorf("%w: %s: %s", ErrRejected, resp.Status, outcome(body))
	}
}

// checkResponse reads a transaction-response Bundle: every entry must have
// a 2xx status (201 created, or 200 when a conditional create matched).
func checkResponse(body []byte) error {
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Response struct {
				Status string `json:"status"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.ResourceType != "Bundle" {
		return fmt.Errorf("%w: answer is not a transaction-response Bundle", ErrRejected)
	}
	for i, e := range b.Entry {
		if !strings.HasPrefix(e.Response.Status, "2") {
			return fmt.Errorf("%w: entry %d: %s", ErrRejected, i, e.Response.Status)
		}
	}
	return nil
}

// outcome summarises an OperationOutcome for logs and the UI.
func outcome(body []byte) string {
	var oo struct {
		Issue []struct {
			Diagnostics string `json:"diagnostics"`
			Code        string `json:"code"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &oo) != nil || len(oo.Issue) == 0 {
		return "no OperationOutcome"
	}
	var parts []string
	for _, i := range oo.Issue {
		parts = append(parts, strings.TrimSpace(i.Code+" "+i.Diagnostics))
	}
	return strings.Join(parts, "; ")
}
