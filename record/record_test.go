package record_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/record"
)

func input() record.Input {
	start := time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
	return record.Input{
		CallID: "call-0007", CallStart: start, CallEnd: start.Add(3 * time.Minute), Line: "spa-main",
		NHSNumber: "9434765919", Transcript: "[00:00:01 caller] I have been feeling low since my sertraline was stopped.",
		Clinician:   record.Person{ID: "dr.khan", Name: "Dr A Khan"},
		ConfirmedAt: start.Add(2 * time.Hour), CallURL: "https://review.example.nhs.uk/calls/call-0007",
	}
}

func TestBuildValidates(t *testing.T) {
	r, err := record.Build(input())
	if err != nil {
		t.Fatal(err)
	}
	data, err := r.Bundle(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := record.Validate(data); err != nil {
		t.Fatalf("Validate: %v\n%s", err, data)
	}
	// The elements the issue asks for, read back from the JSON.
	var b struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	doc := b.Entry[0].Resource
	if doc["status"] != "current" || doc["docStatus"] != "final" {
		t.Errorf("status %v docStatus %v", doc["status"], doc["docStatus"])
	}
	subj := doc["subject"].(map[string]any)["identifier"].(map[string]any)
	if subj["system"] != record.NHSNumberSystem || subj["value"] != "9434765919" {
		t.Errorf("subject %v", subj)
	}
	att := doc["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	text, _ := base64.StdEncoding.DecodeString(att["data"].(string))
	if string(text) != input().Transcript || !strings.HasPrefix(att["contentType"].(string), "text/plain") {
		t.Errorf("attachment %v", att)
	}
	prov := b.Entry[1].Resource
	if prov["resourceType"] != "Provenance" || prov["target"].([]any)[0].(map[string]any)["reference"] != r.DocumentReferenceURL {
		t.Errorf("provenance %v", prov)
	}
	// Rebuilding gives the same identities (deduplication after a retry).
	r2, _ := record.Build(input())
	if r2.DocumentReferenceURL != r.DocumentReferenceURL {
		t.Error("fullUrl not stable")
	}
}

func TestBuildRefusesWithoutPatient(t *testing.T) {
	in := input()
	in.NHSNumber = ""
	if _, err := record.Build(in); err == nil || !strings.Contains(err.Error(), "NHS number") {
		t.Fatalf("err %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	r, _ := record.Build(input())
	good, _ := r.Bundle(time.Now())
	cases := map[string]func(string) string{
		"unknown element": func(s string) string { return strings.Replace(s, `"docStatus"`, `"docStatuz"`, 1) },
		"bad code":        func(s string) string { return strings.Replace(s, `"status":"current"`, `"status":"live"`, 1) },
		"no content":      func(s string) string { return cut(s, `"content":[`, `],"context"`, `"content":[]`) },
		"bad recorded":    func(s string) string { return strings.Replace(s, `"recorded":"2026-`, `"recorded":"26-`, 1) },
		"dangling target": func(s string) string {
			return strings.Replace(s, `"target":[{"reference":"urn:uuid:`, `"target":[{"reference":"urn:uuid:0`, 1)
		},
		"wrong bundle type": func(s string) string { return strings.Replace(s, `"type":"transaction"`, `"type":"collection"`, 1) },
	}
	for name, mutate := range cases {
		bad := mutate(string(good))
		if bad == string(good) {
			t.Fatalf("%s: mutation did not apply", name)
		}
		if err := record.Validate([]byte(bad)); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}

// cut replaces from the start of `from` up to (not including) `to` with repl.
func cut(s, from, to, repl string) string {
	i := strings.Index(s, from)
	j := strings.Index(s, to)
	if i < 0 || j < i {
		return s
	}
	return s[:i] + repl + s[j:]
}
