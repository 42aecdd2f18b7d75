package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Validate checks a Bundle as published on records.confirmed.<id> against
// the FHIR R4 structure: every element must be one R4 defines (strict
// decoding into the R4 models, whose code types reject values outside their
// value sets), the elements R4 requires must be present (Bundle.type,
// entry.request for a transaction, DocumentReference.status and content with
// an attachment, Provenance.target, recorded and agent.who), and a few R4
// invariants and formats hold (att-1, dateTime/instant syntax, URI systems,
// resolvable internal references). It is not the HL7 validator: terminology
// bindings beyond the code types are not checked.
//
// It lives outside the tests because a consumer of records.confirmed can use
// it too, and the browser test in package web needs it.
func Validate(bundle []byte) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	var b fhir.OtherBundle
	if err := strictResource(bundle, "Bundle", &b); err != nil {
		return err
	}
	if b.Type != fhir.BundleTypeTransaction {
		bad("Bundle.type %s: want transaction", b.Type.Code())
	}
	if b.Timestamp != nil && !instantRE.MatchString(*b.Timestamp) {
		bad("Bundle.timestamp %q: not an instant", *b.Timestamp)
	}
	full := map[string]string{}
	for _, e := range b.Entry {
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if e.FullUrl != nil && json.Unmarshal(e.Resource, &head) == nil {
			full[*e.FullUrl] = head.ResourceType
		}
	}
	var docs, provs, devices, patients int
	for i, e := range b.Entry {
		where := fmt.Sprintf("Bundle.entry[%d]", i)
		if e.Request == nil || e.Request.Url == "" {
			bad("%s.request: required in a transaction", where)
		}
		if e.FullUrl == nil {
			bad("%s.fullUrl: missing", where)
		}
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			bad("%s.resource: %v", where, err)
			continue
		}
		switch head.ResourceType {
		case "DocumentReference":
			var d fhir.OtherDocumentReference
			if err := strictResource(e.Resource, head.ResourceType, &d); err != nil {
				bad("%s: %w", where, err)
				continue
			}
			if d.Status == fhir.DocumentReferenceStatusCurrent {
				docs++
			}
			errs = append(errs, checkDocumentReference(where, d, full)...)
		case "Provenance":
			provs++
			var p fhir.OtherProvenance
			if err := strictResource(e.Resource, head.ResourceType, &p); err != nil {
				bad("%s: %w", where, err)
				continue
			}
			errs = append(errs, checkProvenance(where, p, full)...)
		case "Device":
			devices++
			var d fhir.OtherDevice
			if err := strictResource(e.Resource, head.ResourceType, &d); err != nil {
				bad("%s: %w", where, err)
			}
		case "Patient":
			patients++
			var p fhir.OtherPatient
			if err := strictResource(e.Resource, head.ResourceType, &p); err != nil {
				bad("%s: %w", where, err)
			}
		default:
			bad("%s.resource: unexpected resourceType %q", where, head.ResourceType)
		}
	}
	if docs != 1 || provs != 1 || devices != 1 || patients > 1 {
		bad("Bundle: %d current DocumentReference, %d Provenance, %d Device and %d Patient entries, want one of each (Patient optional)", docs, provs, devices, patients)
	}
	return errors.Join(errs...)
}

// FHIR R4 primitive formats (from the R4 datatypes page).
var (
	dateTimeRE = regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$`)
	instantRE  = regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$`)
	base64RE   = regexp.MustCompile(`^(\s*([0-9a-zA-Z\+/=]){4}\s*)+$`)
)

// strictResource decodes one resource, refusing elements R4 does not define
// for it and a wrong resourceType.
func strictResource(data []byte, want string, into any) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return fmt.Errorf("%s: %w", want, err)
	}
	var rt string
	if err := json.Unmarshal(fields["resourceType"], &rt); err != nil || rt != want {
		return fmt.Errorf("%s: resourceType %s", want, fields["resourceType"])
	}
	delete(fields, "resourceType")
	rest, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("%s: %w", want, err)
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("%s: not valid R4: %w", want, err)
	}
	return nil
}

func checkDocumentReference(where string, d fhir.OtherDocumentReference, full map[string]string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(where+": "+format, args...)) }
	if len(d.Content) == 0 {
		bad("DocumentReference.content: at least one required")
	}
	for i, c := range d.Content {
		a := c.Attachment
		if a.Data != nil && a.ContentType == nil {
			bad("content[%d].attachment: att-1 (data requires contentType)", i)
		}
		if a.Data != nil && !base64RE.MatchString(*a.Data) {
			bad("content[%d].attachment.data: not base64", i)
		}
		if a.Data == nil && a.Url == nil {
			bad("content[%d].attachment: neither data nor url", i)
		}
		if a.Creation != nil && !dateTimeRE.MatchString(*a.Creation) {
			bad("content[%d].attachment.creation %q: not a dateTime", i, *a.Creation)
		}
	}
	if d.Date != nil && !instantRE.MatchString(*d.Date) {
		bad("date %q: not an instant", *d.Date)
	}
	for _, id := range d.Identifier {
		errs = append(errs, checkIdentifier(where+".identifier", &id)...)
	}
	refs := append([]fhir.Reference{}, d.Author...)
	if d.Subject != nil {
		refs = append(refs, *d.Subject)
	}
	if d.Authenticator != nil {
		refs = append(refs, *d.Authenticator)
	}
	for _, r := range d.RelatesTo {
		refs = append(refs, r.Target)
	}
	for _, r := range refs {
		errs = append(errs, checkReference(where, r)...)
		errs = append(errs, checkInternal(where, r, full)...)
	}
	return errs
}

// checkInternal: a urn:uuid reference must name an entry of the Bundle,
// and a conditional reference must be a search on the named type.
func checkInternal(where string, r fhir.Reference, full map[string]string) []error {
	if r.Reference == nil {
		return nil
	}
	ref := *r.Reference
	switch {
	case strings.HasPrefix(ref, "urn:uuid:"):
		if full[ref] == "" {
			return []error{fmt.Errorf("%s: reference %s: no entry in the Bundle has that fullUrl", where, ref)}
		}
	case strings.Contains(ref, "?"):
		if r.Type != nil && !strings.HasPrefix(ref, *r.Type+"?") {
			return []error{fmt.Errorf("%s: conditional reference %q is not a search on %s", where, ref, *r.Type)}
		}
	}
	return nil
}

func checkProvenance(where string, p fhir.OtherProvenance, full map[string]string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(where+": "+format, args...)) }
	if len(p.Target) == 0 {
		bad("Provenance.target: at least one required")
	}
	for _, t := range p.Target {
		errs = append(errs, checkInternal(where+": Provenance.target", t, full)...)
	}
	if !instantRE.MatchString(p.Recorded) {
		bad("Provenance.recorded %q: required instant", p.Recorded)
	}
	if p.OccurredDateTime != nil && !dateTimeRE.MatchString(*p.OccurredDateTime) {
		bad("Provenance.occurredDateTime %q: not a dateTime", *p.OccurredDateTime)
	}
	if len(p.Agent) == 0 {
		bad("Provenance.agent: at least one required")
	}
	for _, a := range p.Agent {
		errs = append(errs, checkReference(where+".agent.who", a.Who)...)
		errs = append(errs, checkInternal(where+".agent.who", a.Who, full)...)
	}
	for _, e := range p.Entity {
		errs = append(errs, checkReference(where+".entity.what", e.What)...)
		errs = append(errs, checkInternal(where+".entity.what", e.What, full)...)
	}
	return errs
}

// checkReference applies ref-1's spirit: a Reference must say something
// (a reference, an identifier or a display).
func checkReference(where string, r fhir.Reference) []error {
	if r.Reference == nil && r.Identifier == nil && r.Display == nil {
		return []error{fmt.Errorf("%s: empty Reference", where)}
	}
	if r.Identifier != nil {
		return checkIdentifier(where+".identifier", r.Identifier)
	}
	return nil
}

func checkIdentifier(where string, id *fhir.Identifier) []error {
	var errs []error
	if id.System != nil {
		if u, err := url.Parse(*id.System); err != nil || u.Scheme == "" {
			errs = append(errs, fmt.Errorf("%s.system %q: not an absolute URI", where, *id.System))
		}
	}
	if id.Value == nil || *id.Value == "" {
		errs = append(errs, fmt.Errorf("%s.value: missing", where))
	}
	return errs
}
