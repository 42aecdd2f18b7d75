package record

import (
	"crypto/sha256"
	"fmt"
	"net/url"
	"strings"
)

// NHSNumberSystem identifies a patient by NHS number.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// Namespace is where the identifiers callscribe mints live. The trust
// configures it (serve's -fhir-id-base); by default it is a URL under the
// review UI's base, so every system is a URL the trust controls and can
// resolve, unlike the unregistered urn:callscribe of earlier versions.
type Namespace struct {
	// Base is an absolute http(s) URI without a trailing slash, e.g.
	// https://callscribe.trust.nhs.uk/id.
	Base string
	// Staff is the identifier system of clinicians' IDs: a professional
	// register or directory the trust uses, e.g. https://fhir.nhs.uk/Id/sds-user-id
	// (NHS CIS2's uid), https://fhir.hl7.org.uk/Id/gmc-number or
	// https://fhir.hl7.org.uk/Id/nmc-pin. Base+"/staff" (local account IDs) if empty.
	Staff string
}

// NamespaceUnder returns the default namespace for a review UI at baseURL:
// <baseURL>/id.
func NamespaceUnder(baseURL string) Namespace {
	return Namespace{Base: strings.TrimRight(baseURL, "/") + "/id"}
}

// Check says whether the namespace can mint valid identifier systems.
func (n Namespace) Check() error {
	u, err := url.Parse(n.Base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.HasSuffix(n.Base, "/") {
		return fmt.Errorf("identifier namespace %q: want an absolute http(s) URL without a trailing slash", n.Base)
	}
	if n.Staff != "" {
		if u, err := url.Parse(n.Staff); err != nil || u.Scheme == "" {
			return fmt.Errorf("staff identifier system %q: not an absolute URI", n.Staff)
		}
	}
	return nil
}

// Identifier systems under the namespace.
func (n Namespace) RecordSystem() string     { return n.Base + "/record" }
func (n Namespace) TranscriptSystem() string { return n.Base + "/machine-transcript" }
func (n Namespace) CallSystem() string       { return n.Base + "/call" }
func (n Namespace) RecordingSystem() string  { return n.Base + "/recording" }
func (n Namespace) DeviceSystem() string     { return n.Base + "/device" }
func (n Namespace) StaffSystem() string {
	if n.Staff != "" {
		return n.Staff
	}
	return n.Base + "/staff"
}

// ProvenanceID is the client-assigned id of a call's Provenance. R4
// Provenance has no identifier to make a conditional create on, and HAPI
// refuses the :identifier modifier on Provenance?entity (HAPI-1250,
// HAPI-2498), so the Provenance is PUT to an id derived from the namespace
// and call: a retry updates it to the same content, which the server
// treats as a no-op. It always has letters, as servers that allow
// client-assigned ids only for non-numeric ones require, and fits FHIR's
// 64-character id.
func (n Namespace) ProvenanceID(callID string) string {
	h := sha256.Sum256([]byte(n.Base + "\x00Provenance\x00" + callID))
	return fmt.Sprintf("callscribe-%x", h[:20])
}

// uuidURN derives a stable urn:uuid (RFC 9562 version 8, name-based) from
// a kind and key, so rebuilding a record after a failed delivery yields
// the same fullUrls.
func uuidURN(kind, key string) string {
	h := sha256.Sum256([]byte("callscribe/" + kind + "/" + key))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// search is a FHIR search on one token: name=system|value, escaped so a
// value with &, # or spaces cannot change the query.
func search(name, system, value string) string {
	return name + "=" + url.QueryEscape(system) + "|" + url.QueryEscape(value)
}

// PatientSearch is the search that finds a patient by NHS number; it is
// also the conditional reference a record's subject carries.
func PatientSearch(nhsNumber string) string {
	return "Patient?" + search("identifier", NHSNumberSystem, nhsNumber)
}
