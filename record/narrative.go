package record

import (
	"html"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// narrative is a resource's human-readable summary (R4 dom-6 asks every
// resource to have one, and a record system that cannot render the
// structure shows it). It summarises; it never repeats the transcript.
func narrative(text string) *fhir.Narrative {
	return &fhir.Narrative{
		Status: fhir.NarrativeStatusGenerated,
		Div:    `<div xmlns="http://www.w3.org/1999/xhtml"><p>` + html.EscapeString(text) + `</p></div>`,
	}
}
