// Package record builds the FHIR R4 resources that a clinician's confirmed
// proposal becomes: a DocumentReference holding the call transcript and a
// Provenance saying who confirmed it from which recording. They are built
// with typed R4 models (github.com/samply/golang-fhir-models) rather than
// maps, so a misspelt element or an invalid code cannot compile or encode.
//
// The two resources travel together in a transaction Bundle: consumers get
// one message per confirmed call, the Provenance can point at the
// DocumentReference by its Bundle fullUrl, and a FHIR server can take the
// same Bundle as-is, with conditional create (ifNoneExist on the record
// identifier) making a repeated POST harmless.
package record

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// NHSNumberSystem identifies a patient by NHS number.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// DefaultSystemBase prefixes the identifier systems for call, record,
// recording and staff identifiers when the trust sets none of its own.
const DefaultSystemBase = "urn:callscribe"

// Input is everything a record needs. It is a plain struct so this package
// does not depend on how proposals are stored.
type Input struct {
	CallID    string
	CallStart time.Time
	CallEnd   time.Time
	Line      string
	NHSNumber string
	// Transcript is the text that goes to the record: the clinician's
	// amended text when they edited it, else the machine transcript.
	Transcript string
	Amended    bool
	// Clinician is who confirmed: author and authenticator.
	Clinician Person
	// ConfirmedAt is when the clinician confirmed.
	ConfirmedAt time.Time
	// CallURL links back to the call in the review UI; optional.
	CallURL string
	// SystemBase overrides DefaultSystemBase.
	SystemBase string
}

// Person is a member of staff as the record names them.
type Person struct {
	ID   string
	Name string
}

// Record is the built resources and the Bundle that carries them.
type Record struct {
	DocumentReference fhir.DocumentReference
	Provenance        fhir.Provenance
	// DocumentReferenceURL and ProvenanceURL are the entries' fullUrls
	// (urn:uuid, derived from the call ID so a rebuild is identical).
	DocumentReferenceURL string
	ProvenanceURL        string
}

// Identifier returns the record identifier for a call (system, value), the
// key for conditional create.
func Identifier(systemBase, callID string) (string, string) {
	if systemBase == "" {
		systemBase = DefaultSystemBase
	}
	return systemBase + ":record", callID
}

// Build makes the DocumentReference and Provenance for a confirmed call.
func Build(in Input) (*Record, error) {
	if err := in.check(); err != nil {
		return nil, fmt.Errorf("build record for %s: %w", in.CallID, err)
	}
	base := in.SystemBase
	if base == "" {
		base = DefaultSystemBase
	}
	docURL := uuidURN("DocumentReference", in.CallID)
	provURL := uuidURN("Provenance", in.CallID)
	clinician := fhir.Reference{
		Type:       ptr("Practitioner"),
		Identifier: &fhir.Identifier{System: ptr(base + ":staff"), Value: ptr(in.Clinician.ID)},
		Display:    optional(in.Clinician.Name),
	}
	recSystem, recValue := Identifier(base, in.CallID)
	text := []byte(in.Transcript)
	sum := sha1.Sum(text) // R4 Attachment.hash is defined as SHA-1
	size := len(text)
	confirmed := in.ConfirmedAt.UTC().Format(time.RFC3339)
	callStart := in.CallStart.UTC().Format(time.RFC3339)
	final := fhir.CompositionStatusFinal
	description := "Transcript of a telephone call to the mental-health Single Point of Access, confirmed by a clinician"
	if in.Amended {
		description = "Transcript of a telephone call to the mental-health Single Point of Access, amended and confirmed by a clinician (the machine transcript is kept by callscribe)"
	}
	period := &fhir.Period{Start: ptr(callStart)}
	if !in.CallEnd.IsZero() {
		period.End = ptr(in.CallEnd.UTC().Format(time.RFC3339))
	}
	related := []fhir.Reference{{
		Identifier: &fhir.Identifier{System: ptr(base + ":call"), Value: ptr(in.CallID)},
		Display:    ptr("SPA call " + in.CallID + lineSuffix(in.Line)),
	}}
	doc := fhir.DocumentReference{
		Identifier: []fhir.Identifier{{System: ptr(recSystem), Value: ptr(recValue)}},
		Status:     fhir.DocumentReferenceStatusCurrent,
		DocStatus:  &final,
		Type:       &fhir.CodeableConcept{Text: ptr("Telephone call transcript")},
		Category:   []fhir.CodeableConcept{{Text: ptr("Mental health Single Point of Access call")}},
		Subject: &fhir.Reference{
			Type:       ptr("Patient"),
			Identifier: &fhir.Identifier{System: ptr(NHSNumberSystem), Value: ptr(in.NHSNumber)},
		},
		Date:          ptr(confirmed),
		Author:        []fhir.Reference{clinician},
		Authenticator: &clinician,
		Description:   ptr(description),
		Content: []fhir.DocumentReferenceContent{{
			Attachment: fhir.Attachment{
				ContentType: ptr("text/plain; charset=utf-8"),
				Language:    ptr("en-GB"),
				Data:        ptr(base64.StdEncoding.EncodeToString(text)),
				Size:        &size,
				Hash:        ptr(base64.StdEncoding.EncodeToString(sum[:])),
				Title:       ptr("Call transcript " + in.CallID),
				Creation:    ptr(callStart),
			},
		}},
		Context: &fhir.DocumentReferenceContext{Period: period, Related: related},
	}
	if in.CallURL != "" {
		// The link back to the call: a second content entry by URL, which
		// a reader with access to the review UI can follow.
		doc.Content = append(doc.Content, fhir.DocumentReferenceContent{Attachment: fhir.Attachment{
			ContentType: ptr("text/html"), Url: ptr(in.CallURL), Title: ptr("Call " + in.CallID + " in callscribe"),
		}})
	}
	prov := fhir.Provenance{
		Target:           []fhir.Reference{{Reference: ptr(docURL), Type: ptr("DocumentReference")}},
		OccurredDateTime: ptr(callStart),
		Recorded:         in.ConfirmedAt.UTC().Format(time.RFC3339Nano),
		Activity: &fhir.CodeableConcept{Coding: []fhir.Coding{{
			System: ptr("http://terminology.hl7.org/CodeSystem/v3-DataOperation"), Code: ptr("CREATE"), Display: ptr("create"),
		}}},
		Agent: []fhir.ProvenanceAgent{{
			Type: &fhir.CodeableConcept{Coding: []fhir.Coding{{
				System: ptr("http://terminology.hl7.org/CodeSystem/provenance-participant-type"), Code: ptr("verifier"), Display: ptr("Verifier"),
			}}},
			Who: clinician,
		}},
		Entity: []fhir.ProvenanceEntity{{
			Role: fhir.ProvenanceEntityRoleSource,
			What: fhir.Reference{
				Identifier: &fhir.Identifier{System: ptr(base + ":recording"), Value: ptr(in.CallID)},
				Display:    ptr("call recording " + in.CallID),
			},
		}},
	}
	return &Record{DocumentReference: doc, Provenance: prov, DocumentReferenceURL: docURL, ProvenanceURL: provURL}, nil
}

// Bundle encodes the record as a FHIR transaction Bundle. Each entry is a
// conditional create on the record identifier, so posting it twice to a FHIR
// server creates each resource once.
func (r *Record) Bundle(timestamp time.Time) ([]byte, error) {
	doc, err := r.DocumentReference.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode DocumentReference: %w", err)
	}
	prov, err := r.Provenance.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode Provenance: %w", err)
	}
	var cond *string
	if len(r.DocumentReference.Identifier) > 0 {
		id := r.DocumentReference.Identifier[0]
		cond = ptr("identifier=" + *id.System + "|" + *id.Value)
	}
	// R4 Provenance has no identifier; its source recording (one record
	// per call) identifies it, searched with the :identifier modifier.
	var provCond *string
	if len(r.Provenance.Entity) > 0 && r.Provenance.Entity[0].What.Identifier != nil {
		id := r.Provenance.Entity[0].What.Identifier
		provCond = ptr("entity:identifier=" + *id.System + "|" + *id.Value)
	}
	b := fhir.Bundle{
		Type:      fhir.BundleTypeTransaction,
		Timestamp: ptr(timestamp.UTC().Format(time.RFC3339Nano)),
		Entry: []fhir.BundleEntry{{
			FullUrl:  ptr(r.DocumentReferenceURL),
			Resource: doc,
			Request:  &fhir.BundleEntryRequest{Method: fhir.HTTPVerbPOST, Url: "DocumentReference", IfNoneExist: cond},
		}, {
			FullUrl:  ptr(r.ProvenanceURL),
			Resource: prov,
			Request:  &fhir.BundleEntryRequest{Method: fhir.HTTPVerbPOST, Url: "Provenance", IfNoneExist: provCond},
		}},
	}
	data, err := b.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode Bundle: %w", err)
	}
	return data, nil
}

func (in Input) check() error {
	var problems []string
	if in.CallID == "" {
		problems = append(problems, "call ID missing")
	}
	if in.NHSNumber == "" {
		problems = append(problems, "no NHS number: the record would have no patient")
	}
	if strings.TrimSpace(in.Transcript) == "" {
		problems = append(problems, "transcript empty")
	}
	if in.Clinician.ID == "" {
		problems = append(problems, "clinician missing")
	}
	if in.ConfirmedAt.IsZero() || in.CallStart.IsZero() {
		problems = append(problems, "confirmation or call time missing")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// uuidURN derives a stable urn:uuid (RFC 9562 version 8, name-based) from
// the resource type and call ID, so rebuilding a record after a failed
// publish yields the same Bundle and the same deduplication.
func uuidURN(kind, callID string) string {
	h := sha256.Sum256([]byte("callscribe/" + kind + "/" + callID))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func lineSuffix(line string) string {
	if line == "" {
		return ""
	}
	return " on line " + line
}

func ptr[T any](v T) *T { return &v }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// marshalled is a compile-time check that the models encode as JSON with
// their resourceType (the samply types implement json.Marshaler).
var _ json.Marshaler = fhir.DocumentReference{}
