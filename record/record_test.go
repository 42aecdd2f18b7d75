package record_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/record"
)

const machineText = "[0:00:01 caller] I have been feeling low since my sertraline was stopped.\n"

func input() record.Input {
	start := time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
	return record.Input{
		CallID: "call-0007", CallStart: start, CallEnd: start.Add(3 * time.Minute), Line: "spa-main",
		NHSNumber: "9434765919", Text: machineText, MachineText: machineText,
		TranscribedAt: start.Add(4 * time.Minute),
		Clinician:     record.Person{ID: "dr.khan", Name: "Dr A Khan"},
		ConfirmedAt:   start.Add(2 * time.Hour),
		Recogniser:    record.Device{Engine: "whisper.cpp", Version: "1.8.2", Model: "tiny.en", ModelSHA256: strings.Repeat("ab", 32)},
		IDs:           record.Namespace{Base: "https://callscribe.example.nhs.uk/id"},
	}
}

func amended() record.Input {
	in := input()
	in.Text, in.Amended = "Caller reports low mood since sertraline stopped.", true
	return in
}

// bundle decodes a Bundle's entries as generic JSON.
type bundle struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Entry     []struct {
		FullURL  string         `json:"fullUrl"`
		Resource map[string]any `json:"resource"`
		Request  struct {
			Method, URL, IfNoneExist string
		} `json:"request"`
	} `json:"entry"`
}

func decode(t *testing.T, in record.Input, at time.Time) (*record.Record, []byte, bundle) {
	t.Helper()
	r, err := record.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	data, err := r.Bundle(at)
	if err != nil {
		t.Fatal(err)
	}
	if err := record.Validate(data); err != nil {
		t.Fatalf("Validate: %v\n%s", err, data)
	}
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	return r, data, b
}

func TestRecordAsTranscribed(t *testing.T) {
	in := input()
	assembled := in.ConfirmedAt.Add(90 * time.Second)
	r, _, b := decode(t, in, assembled)
	if len(b.Entry) != 3 {
		t.Fatalf("%d entries, want Device, DocumentReference, Provenance", len(b.Entry))
	}
	dev, doc, prov := b.Entry[0], b.Entry[1], b.Entry[2]
	if dev.Resource["resourceType"] != "Device" || dev.Request.Method != "POST" ||
		dev.Request.IfNoneExist != "identifier=https%3A%2F%2Fcallscribe.example.nhs.uk%2Fid%2Fdevice|whisper.cpp%2F1.8.2%2Ftiny.en%2F"+strings.Repeat("ab", 32) {
		t.Errorf("device entry %+v", dev.Request)
	}
	d := doc.Resource
	if d["status"] != "current" || d["docStatus"] != "final" {
		t.Errorf("status %v docStatus %v", d["status"], d["docStatus"])
	}
	if doc.Request.IfNoneExist != "identifier=https%3A%2F%2Fcallscribe.example.nhs.uk%2Fid%2Frecord|call-0007" {
		t.Errorf("document conditional create %q", doc.Request.IfNoneExist)
	}
	// Coded type: LOINC and SNOMED CT.
	codes := map[string]string{}
	for _, c := range d["type"].(map[string]any)["coding"].([]any) {
		c := c.(map[string]any)
		codes[c["system"].(string)] = c["code"].(string)
	}
	if codes["http://loinc.org"] != "34748-4" || codes["http://snomed.info/sct"] != "371531000" {
		t.Errorf("type codes %v", codes)
	}
	// The subject is the server's Patient, found by NHS number.
	subj := d["subject"].(map[string]any)
	if subj["reference"] != "Patient?identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number|9434765919" {
		t.Errorf("subject %v", subj)
	}
	// Timestamps mean what they say.
	att := d["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	text, _ := base64.StdEncoding.DecodeString(att["data"].(string))
	if string(text) != machineText || att["creation"] != "2026-03-02T09:19:00Z" || d["date"] != "2026-03-02T11:15:00Z" {
		t.Errorf("attachment %v date %v", att, d["date"])
	}
	if len(d["content"].([]any)) != 1 {
		t.Error("a link to the review UI is in the record; it breaks once the call is erased")
	}
	p := prov.Resource
	if prov.Request.Method != "PUT" || prov.Request.URL != "Provenance/"+r.ProvenanceID || p["id"] != r.ProvenanceID {
		t.Errorf("provenance request %+v id %v", prov.Request, p["id"])
	}
	if p["occurredDateTime"] != "2026-03-02T11:15:00Z" || p["recorded"] != "2026-03-02T11:15:00Z" || b.Timestamp != "2026-03-02T11:16:30Z" {
		t.Errorf("provenance times %v %v, bundle %v", p["occurredDateTime"], p["recorded"], b.Timestamp)
	}
	agents := p["agent"].([]any)
	who := func(i int) map[string]any { return agents[i].(map[string]any)["who"].(map[string]any) }
	if who(0)["identifier"].(map[string]any)["value"] != "dr.khan" || who(1)["reference"] != dev.FullURL {
		t.Errorf("agents %v", agents)
	}
	// Rebuilding gives the same identities (deduplication after a retry).
	r2, _ := record.Build(in)
	if r2.DocumentURL != r.DocumentURL || r2.ProvenanceID != r.ProvenanceID || r2.DeviceURL != r.DeviceURL {
		t.Error("identities not stable")
	}
}

func TestAmendedRecordKeepsTheMachineTranscript(t *testing.T) {
	_, _, b := decode(t, amended(), time.Now())
	if len(b.Entry) != 4 {
		t.Fatalf("%d entries, want Device, machine transcript, record, Provenance", len(b.Entry))
	}
	machine, doc, prov := b.Entry[1].Resource, b.Entry[2].Resource, b.Entry[3].Resource
	mtext, _ := base64.StdEncoding.DecodeString(machine["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)["data"].(string))
	if machine["status"] != "superseded" || machine["docStatus"] != "preliminary" || string(mtext) != machineText {
		t.Errorf("machine transcript %v %v %q", machine["status"], machine["docStatus"], mtext)
	}
	rel := doc["relatesTo"].([]any)[0].(map[string]any)
	if rel["code"] != "replaces" || rel["target"].(map[string]any)["reference"] != b.Entry[1].FullURL {
		t.Errorf("relatesTo %v", rel)
	}
	entities := prov["entity"].([]any)
	if len(entities) != 2 || entities[1].(map[string]any)["role"] != "revision" {
		t.Errorf("entities %v", entities)
	}
	if prov["agent"].([]any)[0].(map[string]any)["type"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"] != "author" {
		t.Error("the clinician is not the author of an amended record")
	}
}

func TestCreatePatientIsExplicit(t *testing.T) {
	in := input()
	in.CreatePatient = true
	_, _, b := decode(t, in, time.Now())
	pat := b.Entry[0]
	if pat.Resource["resourceType"] != "Patient" || pat.Request.IfNoneExist != "identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number|9434765919" {
		t.Fatalf("patient entry %+v", pat)
	}
	if ref := b.Entry[2].Resource["subject"].(map[string]any)["reference"]; ref != pat.FullURL {
		t.Errorf("subject %v, want the Patient entry", ref)
	}
}

func TestStaffSystemIsConfigurable(t *testing.T) {
	in := input()
	in.IDs.Staff = "https://fhir.nhs.uk/Id/sds-user-id"
	_, data, _ := decode(t, in, time.Now())
	if !strings.Contains(string(data), `"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"dr.khan"`) {
		t.Error("clinician not identified in the configured system")
	}
}

func TestBuildRefuses(t *testing.T) {
	for name, change := range map[string]func(*record.Input){
		"NHS number":        func(in *record.Input) { in.NHSNumber = "" },
		"namespace":         func(in *record.Input) { in.IDs.Base = "urn:callscribe" },
		"trailing slash":    func(in *record.Input) { in.IDs.Base += "/" },
		"speech recogniser": func(in *record.Input) { in.Recogniser = record.Device{} },
		"machine transcript": func(in *record.Input) {
			*in = amended()
			in.MachineText = ""
		},
	} {
		in := input()
		change(&in)
		if _, err := record.Build(in); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func TestProvenanceID(t *testing.T) {
	ns := input().IDs
	id := ns.ProvenanceID("call-0007")
	other := record.Namespace{Base: "https://other.example.nhs.uk/id"}.ProvenanceID("call-0007")
	if len(id) > 64 || !strings.HasPrefix(id, "callscribe-") || id == other || id != ns.ProvenanceID("call-0007") {
		t.Fatalf("id %q (other trust %q)", id, other)
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
		"wrong conditional reference": func(s string) string { return strings.Replace(s, `"reference":"Patient?`, `"reference":"Group?`, 1) },
		"wrong bundle type":           func(s string) string { return strings.Replace(s, `"type":"transaction"`, `"type":"collection"`, 1) },
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
