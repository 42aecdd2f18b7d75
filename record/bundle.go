package record

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Bundle encodes the record as a FHIR transaction Bundle assembled at
// assembledAt. Every entry is idempotent, so a retry after a lost answer
// creates nothing new:
//
//   - Patient (only with CreatePatient): conditional create on the NHS number;
//   - Device: conditional create on its identifier (engine, version, model,
//     model checksum): one Device per recogniser, shared by all its records;
//   - machine transcript (amended only) and record DocumentReferences:
//     conditional create on their identifiers;
//   - Provenance: PUT to its client-assigned id (see Namespace.ProvenanceID).
//
// The record's subject is the conditional reference Patient?identifier=
// <NHS number>, which the server resolves to its existing Patient (and
// refuses if it has none or several), so a search by NHS number finds the
// document.
func (r *Record) Bundle(assembledAt time.Time) ([]byte, error) {
	var entries []fhir.BundleEntry
	add := func(fullURL string, res json.Marshaler, req fhir.BundleEntryRequest) error {
		data, err := res.MarshalJSON()
		if err != nil {
			return fmt.Errorf("encode %s: %w", req.Url, err)
		}
		entries = append(entries, fhir.BundleEntry{FullUrl: ptr(fullURL), Resource: data, Request: &req})
		return nil
	}
	create := func(kind string, id []fhir.Identifier) fhir.BundleEntryRequest {
		return fhir.BundleEntryRequest{Method: fhir.HTTPVerbPOST, Url: kind, IfNoneExist: ptr(search("identifier", *id[0].System, *id[0].Value))}
	}
	if r.Patient != nil {
		if err := add(r.PatientURL, r.Patient, create("Patient", r.Patient.Identifier)); err != nil {
			return nil, err
		}
	}
	if err := add(r.DeviceURL, r.Device, create("Device", r.Device.Identifier)); err != nil {
		return nil, err
	}
	if r.Machine != nil {
		if err := add(r.MachineURL, r.Machine, create("DocumentReference", r.Machine.Identifier)); err != nil {
			return nil, err
		}
	}
	if err := add(r.DocumentURL, r.DocumentReference, create("DocumentReference", r.DocumentReference.Identifier)); err != nil {
		return nil, err
	}
	provURL := "Provenance/" + r.ProvenanceID
	if err := add(r.ProvenanceURL, r.Provenance, fhir.BundleEntryRequest{Method: fhir.HTTPVerbPUT, Url: provURL}); err != nil {
		return nil, err
	}
	b := fhir.Bundle{Type: fhir.BundleTypeTransaction, Timestamp: ptr(assembledAt.UTC().Format(time.RFC3339Nano)), Entry: entries}
	data, err := b.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode Bundle: %w", err)
	}
	return data, nil
}

// The models encode as JSON with their resourceType.
var (
	_ json.Marshaler = fhir.DocumentReference{}
	_ json.Marshaler = fhir.Provenance{}
	_ json.Marshaler = fhir.Device{}
	_ json.Marshaler = (*fhir.Patient)(nil)
)
