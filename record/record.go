// Package record builds the FHIR R4 resources that a clinician's confirmed
// proposal becomes, and delivers them to a FHIR server. They are built
// with typed R4 models (github.com/samply/golang-fhir-models) rather than
// maps, so a misspelt element or an invalid code cannot compile or encode.
//
// A record is one transaction Bundle (see Bundle): the DocumentReference
// holding the text that goes to the patient's record, its subject the
// trust's existing Patient found by NHS number; the Device that made the
// machine transcript; for an amended record also the machine transcript,
// kept as a superseded DocumentReference the record replaces; and a
// Provenance naming the confirming clinician, the device and the source
// recording. Every entry is idempotent, so posting the same Bundle twice
// creates nothing new. A real HAPI FHIR JPA server accepts it (tests in
// this package and in review, started by scripts/hapi.sh).
package record

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Input is everything a record needs. It is a plain struct so this package
// does not depend on how proposals are stored.
type Input struct {
	CallID    string
	CallStart time.Time
	CallEnd   time.Time // zero if unknown
	Line      string
	NHSNumber string
	// Text goes to the record: the clinician's amended text when they
	// edited it, else the machine transcript.
	Text string
	// MachineText is the machine transcript. When the clinician amended
	// it (Amended), it is kept as its own superseded DocumentReference
	// that the record replaces, so what the recogniser heard stays
	// findable beside what the clinician recorded.
	MachineText string
	Amended     bool
	// TranscribedAt is when the machine transcript was made.
	TranscribedAt time.Time
	// Clinician confirmed: author, authenticator and Provenance agent.
	Clinician Person
	// ConfirmedAt is when the clinician confirmed: the record's date and
	// the Provenance's activity time.
	ConfirmedAt time.Time
	// Recogniser made the machine transcript.
	Recogniser Device
	// IDs is where minted identifiers live.
	IDs Namespace
	// CreatePatient adds a minimal Patient (NHS number only) when the
	// server has none with the NHS number. Off by default: a trust's
	// record system normally owns its patients, and an unknown NHS number
	// is a problem for a person to resolve, not a new patient.
	CreatePatient bool
}

// Person is a member of staff as the record names them.
type Person struct {
	// ID in the namespace's staff system (a professional identifier).
	ID   string
	Name string
}

// Device is the speech recogniser: engine, its version and the model file.
type Device struct {
	Engine      string // e.g. whisper.cpp
	Version     string // the engine library's version
	Model       string // model name, e.g. tiny.en
	ModelSHA256 string // hex sha256 of the model file
}

func (p Person) label() string {
	if p.Name != "" {
		return p.Name + " (" + p.ID + ")"
	}
	return p.ID
}

func (d Device) key() string {
	return d.Engine + "/" + d.Version + "/" + d.Model + "/" + d.ModelSHA256
}

// Record is the built resources and their fullUrls in the Bundle (urn:uuid
// derived from the namespace and call, so a rebuild is identical).
type Record struct {
	IDs               Namespace
	Patient           *fhir.Patient // only with Input.CreatePatient
	PatientURL        string
	Device            fhir.Device
	DeviceURL         string
	Machine           *fhir.DocumentReference // only when amended
	MachineURL        string
	DocumentReference fhir.DocumentReference
	DocumentURL       string
	Provenance        fhir.Provenance
	ProvenanceURL     string
	ProvenanceID      string
}

// Build makes the resources for a confirmed call.
func Build(in Input) (*Record, error) {
	if err := in.check(); err != nil {
		return nil, fmt.Errorf("build record for %s: %w", in.CallID, err)
	}
	key := in.IDs.Base + "/" + in.CallID
	r := &Record{
		IDs:           in.IDs,
		DeviceURL:     uuidURN("Device", in.IDs.Base+"/"+in.Recogniser.key()),
		DocumentURL:   uuidURN("DocumentReference", key),
		ProvenanceURL: uuidURN("Provenance", key),
		ProvenanceID:  in.IDs.ProvenanceID(in.CallID),
	}
	subject := fhir.Reference{
		Reference:  ptr(PatientSearch(in.NHSNumber)),
		Type:       ptr("Patient"),
		Identifier: &fhir.Identifier{System: ptr(NHSNumberSystem), Value: ptr(in.NHSNumber)},
	}
	if in.CreatePatient {
		r.PatientURL = uuidURN("Patient", in.NHSNumber)
		r.Patient = &fhir.Patient{
			Text:       narrative("Patient with NHS number " + in.NHSNumber + ", created by callscribe because the record system had none"),
			Identifier: []fhir.Identifier{{System: ptr(NHSNumberSystem), Value: ptr(in.NHSNumber)}},
		}
		subject.Reference = ptr(r.PatientURL)
	}
	r.Device = in.device()
	device := fhir.Reference{Reference: ptr(r.DeviceURL), Type: ptr("Device"), Display: ptr(in.Recogniser.display())}
	clinician := fhir.Reference{
		Type:       ptr("Practitioner"),
		Identifier: &fhir.Identifier{System: ptr(in.IDs.StaffSystem()), Value: ptr(in.Clinician.ID)},
		Display:    optional(in.Clinician.Name),
	}
	transcribed := in.TranscribedAt
	if transcribed.IsZero() {
		transcribed = in.ConfirmedAt
	}
	textCreated := transcribed
	if in.Amended {
		textCreated = in.ConfirmedAt
		r.MachineURL = uuidURN("MachineTranscript", key)
		m := in.document(in.IDs.TranscriptSystem(), in.MachineText, transcribed, transcribed, subject)
		m.Status = fhir.DocumentReferenceStatusSuperseded
		m.DocStatus = ptr(fhir.CompositionStatusPreliminary)
		m.Author = []fhir.Reference{device}
		m.Description = ptr("Machine transcript of a telephone call to the mental-health Single Point of Access, replaced by the clinician's amended text")
		m.Text = narrative(*m.Description + ": call " + in.CallID + ", transcribed " + instant(transcribed) + " by " + in.Recogniser.display())
		r.Machine = &m
	}
	doc := in.document(in.IDs.RecordSystem(), in.Text, in.ConfirmedAt, textCreated, subject)
	doc.Status = fhir.DocumentReferenceStatusCurrent
	doc.DocStatus = ptr(fhir.CompositionStatusFinal)
	doc.Author = []fhir.Reference{clinician, device}
	doc.Authenticator = &clinician
	doc.Description = ptr("Transcript of a telephone call to the mental-health Single Point of Access, made by speech recognition and confirmed by a clinician")
	if in.Amended {
		doc.Description = ptr("Transcript of a telephone call to the mental-health Single Point of Access, made by speech recognition, amended and confirmed by a clinician")
		doc.RelatesTo = []fhir.DocumentReferenceRelatesTo{{Code: fhir.DocumentRelationshipTypeReplaces, Target: fhir.Reference{Reference: ptr(r.MachineURL), Type: ptr("DocumentReference")}}}
	}
	doc.Text = narrative(*doc.Description + ": call " + in.CallID + ", confirmed " + instant(in.ConfirmedAt) + " by " + in.Clinician.label())
	r.DocumentReference = doc
	r.Provenance = in.provenance(r, clinician, device)
	return r, nil
}

// document is a DocumentReference about the call holding text.
func (in Input) document(system, text string, date, created time.Time, subject fhir.Reference) fhir.DocumentReference {
	data := []byte(text)
	sum := sha1.Sum(data) // R4 Attachment.hash is defined as SHA-1
	size := len(data)
	period := &fhir.Period{Start: ptr(instant(in.CallStart))}
	if !in.CallEnd.IsZero() {
		period.End = ptr(instant(in.CallEnd))
	}
	return fhir.DocumentReference{
		Identifier: []fhir.Identifier{{System: ptr(system), Value: ptr(in.CallID)}},
		Type:       documentType(),
		Category:   []fhir.CodeableConcept{{Text: ptr("Mental health Single Point of Access call")}},
		Subject:    &subject,
		Date:       ptr(instant(date)),
		Content: []fhir.DocumentReferenceContent{{Attachment: fhir.Attachment{
			ContentType: ptr("text/plain; charset=utf-8"),
			Language:    ptr("en-GB"),
			Data:        ptr(base64.StdEncoding.EncodeToString(data)),
			Size:        &size,
			Hash:        ptr(base64.StdEncoding.EncodeToString(sum[:])),
			Title:       ptr("Call transcript " + in.CallID),
			Creation:    ptr(instant(created)),
		}}},
		Context: &fhir.DocumentReferenceContext{Period: period, Related: []fhir.Reference{{
			Identifier: &fhir.Identifier{System: ptr(in.IDs.CallSystem()), Value: ptr(in.CallID)},
			Display:    ptr("SPA call " + in.CallID + lineSuffix(in.Line)),
		}}},
	}
}

func (in Input) device() fhir.Device {
	d := in.Recogniser
	active := fhir.FHIRDeviceStatusActive
	versions := []fhir.DeviceVersion{{Type: &fhir.CodeableConcept{Text: ptr("engine")}, Value: d.Engine + " " + d.Version}}
	if d.ModelSHA256 != "" {
		versions = append(versions, fhir.DeviceVersion{Type: &fhir.CodeableConcept{Text: ptr("model sha256")}, Value: d.ModelSHA256})
	}
	return fhir.Device{
		Text:       narrative(d.display() + ", model sha256 " + d.ModelSHA256),
		Identifier: []fhir.Identifier{{System: ptr(in.IDs.DeviceSystem()), Value: ptr(d.key())}},
		Status:     &active,
		DeviceName: []fhir.DeviceDeviceName{
			{Name: d.display(), Type: fhir.DeviceNameTypeUserFriendlyName},
			{Name: d.Model, Type: fhir.DeviceNameTypeModelName},
		},
		Type:    &fhir.CodeableConcept{Text: ptr("Speech recognition software")},
		Version: versions,
	}
}

func (d Device) display() string {
	return fmt.Sprintf("speech recognition: %s %s, model %s", d.Engine, d.Version, d.Model)
}

// provenance says who and what made the record: the clinician (verifier of
// a machine transcript confirmed as it was, author of an amended one), the
// recogniser that transcribed the recording, and the sources.
func (in Input) provenance(r *Record, clinician, device fhir.Reference) fhir.Provenance {
	role := participant("verifier", "Verifier")
	if in.Amended {
		role = participant("author", "Author")
	}
	entities := []fhir.ProvenanceEntity{{
		Role: fhir.ProvenanceEntityRoleSource,
		What: fhir.Reference{
			Identifier: &fhir.Identifier{System: ptr(in.IDs.RecordingSystem()), Value: ptr(in.CallID)},
			Display:    ptr("call recording " + in.CallID),
		},
	}}
	if in.Amended {
		entities = append(entities, fhir.ProvenanceEntity{
			Role: fhir.ProvenanceEntityRoleRevision,
			What: fhir.Reference{Reference: ptr(r.MachineURL), Type: ptr("DocumentReference"), Display: ptr("machine transcript of call " + in.CallID)},
		})
	}
	confirmed := instant(in.ConfirmedAt)
	what := "Confirmed"
	if in.Amended {
		what = "Amended and confirmed"
	}
	return fhir.Provenance{
		Id:               ptr(r.ProvenanceID),
		Text:             narrative(what + " by " + in.Clinician.label() + " at " + confirmed + " from the recording of call " + in.CallID + ", transcribed by " + in.Recogniser.display()),
		Target:           []fhir.Reference{{Reference: ptr(r.DocumentURL), Type: ptr("DocumentReference")}},
		OccurredDateTime: ptr(confirmed),
		Recorded:         confirmed,
		Activity:         activityCreate(),
		Agent: []fhir.ProvenanceAgent{
			{Type: role, Who: clinician},
			{Type: participant("assembler", "Assembler"), Who: device},
		},
		Entity: entities,
	}
}

func (in Input) check() error {
	var problems []string
	if in.CallID == "" {
		problems = append(problems, "call ID missing")
	}
	if in.NHSNumber == "" {
		problems = append(problems, "no NHS number: the record would have no patient")
	}
	if strings.TrimSpace(in.Text) == "" {
		problems = append(problems, "transcript empty")
	}
	if in.Amended && strings.TrimSpace(in.MachineText) == "" {
		problems = append(problems, "amended, but the machine transcript is missing")
	}
	if in.Clinician.ID == "" {
		problems = append(problems, "clinician missing")
	}
	if in.ConfirmedAt.IsZero() || in.CallStart.IsZero() {
		problems = append(problems, "confirmation or call time missing")
	}
	if in.Recogniser.Engine == "" || in.Recogniser.Model == "" {
		problems = append(problems, "speech recogniser not named")
	}
	if err := in.IDs.Check(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// instant formats a time as an R4 instant in UTC, to the second (the
// recorder's and clinicians' clocks are no finer).
func instant(t time.Time) string { return t.UTC().Format(time.RFC3339) }

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
