package watch

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Fields are the call.Meta fields (by their JSON names) a sidecar can fill.
var Fields = []string{"id", "started_at", "line", "handler_id", "caller_number", "nhs_number", "recording_consent", "channel_speakers"}

// Mapping says how an XML or CSV sidecar's names become call.Meta fields.
// JSON sidecars are callscribe's own form (call.Parse) and are not mapped.
//
// A mapping file is JSON, e.g. for a Puzzel-style export:
//
//	{"fields": {"CallId": "id", "StartTime": "started_at", "QueueName": "line",
//	            "AgentId": "handler_id", "ANumber": "caller_number",
//	            "RecordingConsent": "recording_consent", "Channel": "channel_speakers"},
//	 "time_layout": "2006-01-02 15:04:05", "time_zone": "Europe/London"}
type Mapping struct {
	// Fields maps a sidecar's element or column name (any case) to a
	// call.Meta field; names not listed are ignored.
	Fields map[string]string `json:"fields"`
	// TimeLayout is started_at's layout (Go reference time); default RFC 3339.
	TimeLayout string `json:"time_layout,omitempty"`
	// TimeZone is the IANA zone of times that carry no offset; default UTC.
	TimeZone string `json:"time_zone,omitempty"`

	byName map[string]string // lower-case source name → field
	loc    *time.Location
}

// DefaultMapping reads elements and columns named as call.Meta's JSON
// fields (<id>, <started_at>, ...), times in RFC 3339.
func DefaultMapping() *Mapping {
	m := &Mapping{Fields: map[string]string{}}
	for _, f := range Fields {
		m.Fields[f] = f
	}
	if err := m.compile(); err != nil {
		panic(err) // the default is known good
	}
	return m
}

// LoadMapping reads a mapping file (see Mapping), strictly: an unknown key
// or a target that is not a call.Meta field is an error, since a
// misspelt "recording_consent" would otherwise never be read.
func LoadMapping(path string) (*Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sidecar mapping: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("sidecar mapping %s: %w", path, err)
	}
	if err := m.compile(); err != nil {
		return nil, fmt.Errorf("sidecar mapping %s: %w", path, err)
	}
	return &m, nil
}

func (m *Mapping) compile() error {
	m.byName = map[string]string{}
	targets := map[string]bool{}
	for src, dst := range m.Fields {
		if !slices.Contains(Fields, dst) {
			return fmt.Errorf("%q maps to %q, which is not one of %s", src, dst, strings.Join(Fields, ", "))
		}
		k := strings.ToLower(src)
		if _, dup := m.byName[k]; dup {
			return fmt.Errorf("%q is mapped twice (names are matched in any case)", src)
		}
		m.byName[k] = dst
		targets[dst] = true
	}
	if !targets["recording_consent"] {
		return fmt.Errorf("nothing maps to recording_consent: without it no recording can be taken")
	}
	if m.TimeLayout == "" {
		m.TimeLayout = time.RFC3339Nano
	}
	m.loc = time.UTC
	if m.TimeZone != "" {
		loc, err := time.LoadLocation(m.TimeZone)
		if err != nil {
			return fmt.Errorf("time_zone: %w", err)
		}
		m.loc = loc
	}
	return nil
}
