package record_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/internal/fhirtest"
	"github.com/callscribe/callscribe/record"
)

// variants are the records the product can make: as transcribed, amended,
// with a Patient created, a trust staff identifier system, unusual
// characters everywhere text goes, and a two-hour call.
func variants(t *testing.T, hapi *fhirtest.Server) map[string]record.Input {
	ns := fhirtest.Namespace(t)
	known := func(in record.Input) record.Input {
		in.IDs = ns
		in.NHSNumber = fhirtest.NHSNumber(t)
		hapi.RegisterPatient(t, in.NHSNumber)
		return in
	}
	plain := known(input())
	am := known(amended())
	am.CallID = "call-0008"
	created := input()
	created.IDs, created.CallID, created.NHSNumber, created.CreatePatient = ns, "call-0009", fhirtest.NHSNumber(t), true
	staff := known(input())
	staff.CallID, staff.IDs.Staff = "call-0010", "https://fhir.nhs.uk/Id/sds-user-id"
	odd := known(amended())
	odd.CallID, odd.Line = "call_0011.x-y", `line "7" & <co>`
	odd.Clinician = record.Person{ID: "o'brien|7&x=1", Name: "Dr Siobhán O'Brien-Nuñez 👩‍⚕️"}
	odd.Text = "Caller said: \"I can't cope\" — 5 < 6 & 7 > 2 | x=1#frag ½ 😢\n\ttabbed\r\nCRLF line\n"
	long := known(input())
	long.CallID, long.CallEnd = "call-0012", long.CallStart.Add(2*time.Hour)
	var b strings.Builder
	for i := 0; b.Len() < 120_000; i++ { // about what a two-hour call transcribes to
		fmt.Fprintf(&b, "[%d:%02d:%02d caller] and I have not been sleeping, I keep going over it again and again\n", i/720, i/12%60, i*5%60)
	}
	long.Text, long.MachineText = b.String(), b.String()
	return map[string]record.Input{"plain": plain, "amended": am, "create patient": created, "staff system": staff, "unusual characters": odd, "two hours": long}
}

// TestHAPIAcceptsEveryRecordOnce posts every variant to a real HAPI FHIR
// JPA server: its HL7 validator finds no errors, the transaction is
// accepted, a repeat creates nothing, and the document is found by NHS
// number and by call identifier with its text byte for byte.
func TestHAPIAcceptsEveryRecordOnce(t *testing.T) {
	hapi := fhirtest.New(t)
	p := &record.Poster{BaseURL: hapi.Base}
	ctx := context.Background()
	for name, in := range variants(t, hapi) {
		t.Run(name, func(t *testing.T) {
			r, err := record.Build(in)
			if err != nil {
				t.Fatal(err)
			}
			bundle, err := r.Bundle(in.ConfirmedAt.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			issues := hapi.Validate(t, "Bundle", bundle)
			if errs := fhirtest.Errors(issues); len(errs) > 0 {
				t.Fatalf("HAPI's validator: %v", errs)
			}
			for _, i := range issues {
				t.Logf("validator: %.200s", i)
			}
			if !in.CreatePatient {
				if err := p.CheckPatient(ctx, in.NHSNumber); err != nil {
					t.Fatal(err)
				}
			}
			first, err := p.Post(ctx, bundle)
			if err != nil {
				t.Fatal(err)
			}
			want := 3 // Device is shared by every record of this recogniser: created once per run
			if in.Amended {
				want++
			}
			if in.CreatePatient {
				want++
			}
			if len(first.Locations) != want || first.Created < want-1 {
				t.Fatalf("first post: %+v", first)
			}
			again, err := p.Post(ctx, bundle)
			if err != nil || again.Created != 0 || strings.Join(again.Locations, " ") != strings.Join(first.Locations, " ") {
				t.Fatalf("second post created %+v (first %+v), err %v", again, first, err)
			}
			t.Logf("first post: %v; again: %v", first.Statuses, again.Statuses)
			checkStored(t, hapi, r, in)
		})
	}
}

// checkStored finds the record on the server the ways a reader would.
func checkStored(t *testing.T, hapi *fhirtest.Server, r *record.Record, in record.Input) {
	t.Helper()
	byNHS := hapi.Search(t, "DocumentReference?patient.identifier="+url.QueryEscape(record.NHSNumberSystem)+"|"+in.NHSNumber)
	byCall := hapi.Search(t, "DocumentReference?identifier="+url.QueryEscape(in.IDs.RecordSystem())+"|"+url.QueryEscape(in.CallID))
	current := 0
	for _, d := range byNHS.Resources {
		if d["status"] == "current" {
			current++
		}
	}
	if current != 1 || byCall.Total != 1 || (in.Amended && byNHS.Total != 2) {
		t.Fatalf("by NHS number: %d (%d current), by call identifier: %d", byNHS.Total, current, byCall.Total)
	}
	t.Logf("by NHS number: %d (%d current); by call identifier: %d", byNHS.Total, current, byCall.Total)
	doc := byCall.Resources[0]
	att := doc["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	text, err := base64.StdEncoding.DecodeString(att["data"].(string))
	if err != nil || string(text) != in.Text {
		t.Fatalf("attachment read back differs (%d bytes, want %d)", len(text), len(in.Text))
	}
	subject := doc["subject"].(map[string]any)["reference"].(string)
	if !strings.HasPrefix(subject, "Patient/") {
		t.Fatalf("subject %q not resolved to the server's Patient", subject)
	}
	prov := hapi.Search(t, "Provenance?target=DocumentReference/"+doc["id"].(string))
	if prov.Total != 1 || prov.Resources[0]["id"] != r.ProvenanceID ||
		prov.Resources[0]["meta"].(map[string]any)["versionId"] != "1" {
		t.Fatalf("provenance: %d, %v", prov.Total, prov.Resources)
	}
	if in.Amended {
		rel := doc["relatesTo"].([]any)[0].(map[string]any)["target"].(map[string]any)["reference"].(string)
		machine := hapi.Search(t, "DocumentReference?identifier="+url.QueryEscape(in.IDs.TranscriptSystem())+"|"+url.QueryEscape(in.CallID))
		if machine.Total != 1 || rel != "DocumentReference/"+machine.Resources[0]["id"].(string) || machine.Resources[0]["status"] != "superseded" {
			t.Fatalf("machine transcript %v, relatesTo %s", machine.Resources, rel)
		}
	}
}

// TestHAPIUnknownPatient: the check finds no Patient, and without it the
// server refuses the conditional reference — the record is never orphaned.
func TestHAPIUnknownPatient(t *testing.T) {
	hapi := fhirtest.New(t)
	p := &record.Poster{BaseURL: hapi.Base}
	in := input()
	in.IDs, in.NHSNumber = fhirtest.Namespace(t), fhirtest.NHSNumber(t)
	if err := p.CheckPatient(context.Background(), in.NHSNumber); !errors.Is(err, record.ErrPatientNotFound) {
		t.Fatalf("check: %v", err)
	}
	r, _ := record.Build(in)
	bundle, _ := r.Bundle(time.Now())
	docs := hapi.Count(t, "DocumentReference")
	_, err := p.Post(context.Background(), bundle)
	var se *record.ServerError
	if !errors.As(err, &se) || !errors.Is(err, record.ErrRejected) {
		t.Fatalf("post: %v", err)
	}
	t.Logf("HAPI answered HTTP %d: %s", se.Status, se.Outcome)
	if n := hapi.Count(t, "DocumentReference"); n != docs {
		t.Fatalf("%d documents after a refused post, %d before", n, docs)
	}
}
