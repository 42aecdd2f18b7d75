package record

import "github.com/samply/golang-fhir-models/fhir-models/fhir"

// Code systems.
const (
	loinc          = "http://loinc.org"
	snomed         = "http://snomed.info/sct"
	dataOperation  = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
	participantTyp = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
)

// documentType codes a call transcript twice: LOINC 34748-4, in R4's
// preferred value set for DocumentReference.type, and SNOMED CT 371531000
// (a record artifact, the hierarchy UK Core's document types come from).
func documentType() *fhir.CodeableConcept {
	return &fhir.CodeableConcept{
		Coding: []fhir.Coding{
			{System: ptr(loinc), Code: ptr("34748-4"), Display: ptr("Telephone encounter Note")},
			{System: ptr(snomed), Code: ptr("371531000"), Display: ptr("Report of clinical encounter")},
		},
		Text: ptr("Telephone call transcript"),
	}
}

func participant(code, display string) *fhir.CodeableConcept {
	return &fhir.CodeableConcept{Coding: []fhir.Coding{{System: ptr(participantTyp), Code: ptr(code), Display: ptr(display)}}}
}

func activityCreate() *fhir.CodeableConcept {
	return &fhir.CodeableConcept{Coding: []fhir.Coding{{System: ptr(dataOperation), Code: ptr("CREATE"), Display: ptr("create")}}}
}
